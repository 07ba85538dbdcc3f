"""The hub database's migrations (hub/migrations/), run from code inside the
hub's write transaction (hubstore.open_hub_engine).

The hub's revision is kept in a table of its own, `hub_alembic_version`, apart
from the store's `alembic_version`: the two schemas never share a history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

VERSION_TABLE = "hub_alembic_version"
# The newest revision this floorview knows, and every one before it. Keep in step with migrations/versions.
HUB_HEAD = "h0004"
HUB_REVISIONS = ("h0001", "h0002", "h0003", "h0004")
BASELINE = "h0001"  # the tables as format 4 left them


def revision(conn: Connection) -> str | None:
    """The database's hub revision; None before the hub had migrations (or a new database)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def has_tables(conn: Connection) -> bool:
    return inspect(conn).has_table("hub_meta")


def upgrade(conn: Connection, to: str = HUB_HEAD) -> None:
    """Run the migrations up to `to` on `conn`, in its transaction."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, to)
