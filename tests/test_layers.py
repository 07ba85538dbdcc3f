"""The layering rule of DESIGN.md, executable: what each layer may import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys, importlib, pkgutil
import floorview.{layer} as pkg
for m in pkgutil.walk_packages(pkg.__path__, "floorview.{layer}."):
    if ".migrations" not in m.name:
        importlib.import_module(m.name)
print(json.dumps(sorted(sys.modules)))
"""

FORBIDDEN = {
    "domain": ("floorview.store", "floorview.sync", "floorview.hub", "floorview.tui", "textual", "sqlalchemy", "httpx"),
    "store": ("floorview.sync", "floorview.hub", "floorview.tui", "textual", "httpx"),
    "hub": ("floorview.sync", "floorview.tui", "textual"),
    "tui": ("floorview.hub", "httpx", "starlette", "fastapi", "uvicorn"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer):
    out = subprocess.run([sys.executable, "-c", PROBE.format(layer=layer)], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    bad = sorted(m for m in loaded if m.startswith(FORBIDDEN[layer]))
    assert not bad, f"floorview.{layer} pulls in {bad}"


def test_start_up_path_stays_light():
    # Opening the TUI on a store: config, reader, queries and screens. SQLAlchemy,
    # Alembic and pydantic each cost a large share of the start-up budget and are
    # imported only by the writer and the feed; zstandard (the `zstd` extra) only when the
    # queue_log follower meets a .zst rotation.
    code = (
        "import sys, floorview.cli, floorview.config, floorview.store.reads, floorview.store.engine,"
        " floorview.tui.app; floorview.config.load_settings();"
        "print(sorted({m.split('.')[0] for m in sys.modules"
        " if m.startswith(('sqlalchemy', 'alembic', 'pydantic', 'zstandard'))}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
