from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample.db"
# sample.db is `floorview seed sample.db --seed 7 --at` this moment.
SAMPLE_AT = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("America/New_York"))
SAMPLE_SEED = 7


@pytest.fixture
def sample_store(tmp_path: Path) -> Path:
    """A private copy of sample.db (tests may write to it)."""
    path = tmp_path / "store" / "floorview.db"
    path.parent.mkdir(mode=0o700)
    shutil.copyfile(SAMPLE, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def engine(tmp_path: Path):
    from floorview.store.engine import open_engine

    eng = open_engine(tmp_path / "data" / "test.db")
    yield eng
    eng.dispose()
