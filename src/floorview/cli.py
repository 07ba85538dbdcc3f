"""The command line: `floorview` (the TUI) and `floorview seed`.

Imports stay inside the commands that need them: start-up time is a feature.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="floorview",
        description="A keyboard-driven console for contact-center supervisors. "
        "With no store named it opens a live demo floor.",
    )
    p.add_argument("--db", type=Path, help="the store to open (default: a live demo; env FLOORVIEW_DB)")
    p.add_argument("--config", type=Path, help="config file (env FLOORVIEW_CONFIG)")
    p.add_argument(
        "--offline", action="store_true", default=None,
        help="open your own store read-only, without the demo",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    seed = sub.add_parser("seed", help="write a new store holding a simulated floor")
    seed.add_argument("path", type=Path)
    seed.add_argument("--seed", type=int, default=7, help="names the floor (default 7)")
    seed.add_argument("--scale", choices=("small", "large"), default="small",
                      help="small: 8 queues, 64 agents, one day; large: 200 queues, "
                      "2,000 agents, sixteen days (about 2 million contacts)")
    seed.add_argument("--at", help="when the simulated day ends, RFC 3339 (default: now)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        from floorview import __version__

        print(f"floorview {__version__}")
        return 0
    try:
        if args.command == "seed":
            return _seed(args)
        return _tui(args)
    except KeyboardInterrupt:
        return 130
    except _UserError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UserError(Exception):
    pass


def _settings(args):
    from floorview.config import ConfigError, load_settings

    try:
        return load_settings(args.config, db=getattr(args, "db", None), offline=getattr(args, "offline", None))
    except ConfigError as exc:
        raise _UserError(str(exc)) from None


def _seed(args) -> int:
    from floorview.store.location import StoreError

    end = datetime.now().astimezone().timestamp()
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise _UserError(f"--at {args.at!r} is not an RFC 3339 time") from None
        if at.tzinfo is None:
            raise _UserError("--at needs an offset, like 2026-11-20T15:00:00-05:00")
        end = at.timestamp()
    from floorview.hub.seed import seed_store

    try:
        result = seed_store(args.path, args.seed, args.scale, end)
    except (FileExistsError, StoreError) as exc:
        raise _UserError(str(exc)) from None
    print(f"wrote {args.path}: {result.applied} records ({args.scale} floor, seed {args.seed})")
    return 0


def _tui(args) -> int:
    settings = _settings(args)
    _setup_logging()
    from floorview.domain.clock import FrozenClock, SystemClock
    from floorview.store.location import StoreError, default_store_path

    clock = SystemClock()
    try:
        if settings.db is not None or settings.offline:
            path = settings.db or default_store_path()
            from floorview.store.engine import open_reader
            from floorview.store.reads import store_status

            if not path.exists():
                hint = "" if settings.db else " (run floorview without --offline for the live demo)"
                raise _UserError(f"no store at {path}{hint}")
            reader = open_reader(path)
            status = store_status(reader)
            label = None
            if status.source == "snapshot" and status.last_success_at:
                # A snapshot is read at the moment it was taken, not hours later.
                clock, label = FrozenClock(status.last_success_at), "SNAPSHOT"
            from floorview.tui.app import FloorviewApp

            app = FloorviewApp(settings, path, clock=clock, reader=reader, source_label=label)
        else:
            from floorview.hub.demo import DemoFloor
            from floorview.store.location import secure_directory
            from floorview.tui.app import FloorviewApp

            path = default_store_path().with_name("demo.db")
            secure_directory(path.parent, own_default=True)
            source = DemoFloor(path, settings.demo.seed, clock, settings.refresh_s)
            app = FloorviewApp(settings, path, clock=clock, source=source)
    except StoreError as exc:
        raise _UserError(str(exc)) from None
    app.run()
    return app.return_code or 0


def _setup_logging() -> None:
    """Warnings and errors go to a 0600 log file in the user's log directory."""
    import logging

    from platformdirs import user_log_path

    from floorview.store.location import secure_directory

    folder = user_log_path("floorview", appauthor=False)
    try:
        secure_directory(folder, own_default=True)
        path = folder / "floorview.log"
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        handler = logging.FileHandler(path)
    except OSError:
        return  # no log is better than no console
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
