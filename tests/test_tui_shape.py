"""The shape of tui/ that review alone would not keep: no SQL in it, no panel
importing another (import-linter holds the layers too; this names the
offender in plain words), and every screen on the typed load contract."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import floorview.tui as tui
from floorview.tui.base import DataScreen

TUI = Path(tui.__file__).parent
PANELS = ("queues", "agents", "balance", "coaching", "customers", "huddle")
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\(|PRAGMA\s|CREATE\s+(TABLE|INDEX))",
    re.IGNORECASE | re.DOTALL,
)


def _modules() -> list[Path]:
    return sorted(TUI.rglob("*.py"))


def _type_only(tree: ast.Module) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` (imports for annotations only)."""
    return {
        n.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for n in ast.walk(node)
        if hasattr(n, "lineno")
    }


def test_no_module_in_tui_runs_sql() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        type_only = _type_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("execute", "executemany", "executescript", "exec_driver_sql"):
                    found.append(f"{path.relative_to(TUI)}:{node.lineno} calls .{node.func.attr}()")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                found.append(f"{path.relative_to(TUI)}:{node.lineno} holds SQL {node.value[:40]!r}")
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in type_only:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [
                    f"{path.relative_to(TUI)}:{node.lineno} imports {n}" for n in names if n.startswith("sqlalchemy")
                ]
    # The app runs the one transaction around a load (BEGIN/COMMIT on the reader): that is the contract, not a query.
    found = [f for f in found if not f.startswith("app.py")]
    assert not found, "SQL belongs in store/:\n" + "\n".join(found)


def test_no_panel_imports_another_panel() -> None:
    found = []
    for panel in PANELS:
        for path in sorted((TUI / panel).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    parts = node.module.split(".")
                    if (
                        parts[:2] == ["floorview", "tui"]
                        and len(parts) > 2
                        and parts[2] in PANELS
                        and parts[2] != panel
                    ):
                        found.append(f"{path.relative_to(TUI)}:{node.lineno} imports {node.module}")
    assert not found, "a panel opens another by posting a tui/nav.py message:\n" + "\n".join(found)


def test_every_screen_is_on_the_typed_load_contract() -> None:
    """Each DataScreen has a loader and overrides request(); none keeps the old load(con, now)."""
    for info in pkgutil.walk_packages(tui.__path__, "floorview.tui."):
        importlib.import_module(info.name)
    screens = [c for c in _subclasses(DataScreen) if c.__module__.startswith("floorview.tui.")]
    assert len(screens) >= 10, screens
    for screen in screens:
        assert screen.loader is not None or "loader" in _init_assigns(screen), f"{screen.__name__} has no loader"
        assert screen.request is not DataScreen.request, f"{screen.__name__} builds no request"
        assert "load" not in vars(screen), f"{screen.__name__} keeps the old load(con, now)"


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _init_assigns(cls: type) -> set[str]:
    """Attributes `__init__` assigns on self (a loader object that owns caches)."""
    init = vars(cls).get("__init__")
    if init is None:
        return set()
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    return {
        t.attr
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    }
