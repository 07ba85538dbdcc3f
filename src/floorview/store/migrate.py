"""Alembic, run from code: the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(path: Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    return cfg


def upgrade(path: Path, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(path), revision)
