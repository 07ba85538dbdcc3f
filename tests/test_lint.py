"""Lint, types and the layers' import contracts are part of the test run
(pyproject: [tool.ruff], [tool.mypy], [tool.importlinter]); tests/test_layers.py
also checks what each layer pulls in at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def test_ruff_finds_nothing():
    out = subprocess.run(
        [_tool("ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_tree_is_formatted():
    """One format, one line length (pyproject [tool.ruff]): `uv run ruff format` fixes it."""
    out = subprocess.run(
        [_tool("ruff"), "format", "--check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_import_contracts_hold():
    out = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "0 broken" in out.stdout, out.stdout + out.stderr


def test_mypy_finds_nothing():
    """Strict on domain/, store/, sync/ and sources/; clean on the rest (`uv run mypy`)."""
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


STRICT_PACKAGES = ["floorview.domain.*", "floorview.store.*", "floorview.sync.*", "floorview.sources.*"]


def test_the_strict_packages_get_every_flag_of_mypy_strict(tmp_path):
    """`strict = true` in an override turns strict on for every module, so the
    override spells the flags out: this holds it to what `mypy --strict` sets,
    should a new mypy add one."""
    from mypy.main import process_options

    bare = tmp_path / "mypy.ini"
    bare.write_text("[mypy]\n")

    def options(*flags: str) -> dict[str, object]:
        _, got = process_options(["--config-file", str(bare), *flags, "-c", "pass"])
        return {n: getattr(got, n) for n in dir(got) if not n.startswith("_") and not callable(getattr(got, n))}

    strict, plain = options("--strict"), options()
    wanted = {name: value for name, value in strict.items() if plain[name] != value}
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    (override,) = [o for o in config["overrides"] if o["module"] == STRICT_PACKAGES]
    have = {name: override.get(name, config.get(name, plain[name])) for name in wanted}
    assert have == wanted
