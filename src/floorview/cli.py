"""The command line: `floorview` (the TUI) and `floorview seed`.

Imports stay inside the commands that need them: start-up time is a feature.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="floorview",
        description="A keyboard-driven console for contact-center supervisors. "
        "With no store named it opens a live demo floor.",
    )
    _client_options(p)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sync = sub.add_parser("sync", help="sync the store from the hub without a screen")
    sync.add_argument(
        "--once",
        action="store_true",
        help="pull until caught up, push the outbox, evaluate the alerts once, exit (0 when caught up). A busy hub"
        " (429, 503: after its Retry-After) and one refusing our position (410 again: with backoff) are tried"
        " again until --deadline; then exit 2 with one line saying what the hub last answered",
    )
    sync.add_argument(
        "--deadline",
        type=_deadline,
        default=60.0,
        metavar="SECONDS",
        help="with --once: how long to keep retrying a busy or refusing hub (default 60)",
    )
    _client_options(sync)
    sync.add_argument(
        "--alerts-webhook-file",
        type=Path,
        metavar="PATH",
        help="a 0600 file holding the URL to post new and resolved alerts to (or env FLOORVIEW_ALERTS_WEBHOOK,"
        " or alerts.webhook_url in a 0600 config file). There is no flag taking the URL itself: it may hold"
        " a secret, and a command line is visible to every user of the machine",
    )
    hub = sub.add_parser("hub", help="serve the feed (the reference hub)")
    hub.add_argument(
        "--db",
        default=None,
        help="SQLAlchemy URL of the hub database: sqlite:///PATH, or postgresql+psycopg://USER@HOST/DB with the"
        " password in ~/.pgpass, never here (default: env FLOORVIEW_HUB_DB, else hub.db in the data directory)",
    )
    hub.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine only)"
    )
    hub.add_argument("--port", type=int, default=8765, help="the port to listen on (default 8765; 0: any free one)")
    hub.add_argument("--simulate", action="store_true", help="run a simulated floor into the hub, live")
    hub.add_argument("--seed", type=int, default=7, help="names the simulated floor (default 7)")
    hub.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    hub.add_argument(
        "--config",
        dest="hub_config",
        type=Path,
        default=None,
        metavar="PATH",
        help="the hub's config file: its sources, one [sources.NAME] table each, and the Asterisk site settings"
        " (every key documented in config/hub.toml; env FLOORVIEW_HUB_CONFIG). A file holding a secret must be"
        " readable by you alone (0600)",
    )
    hub.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="SPEC",
        help="a source to feed the hub (repeatable; beside the config file's and --simulate):"
        " asterisk-queue-log:PATH (the queue_log file, followed as it grows),"
        " asterisk-ami:HOST:PORT (user from FLOORVIEW_AMI_USER; secret from the 0600 file named by"
        " FLOORVIEW_AMI_SECRET_FILE, or FLOORVIEW_AMI_SECRET), or asterisk-queue-log-table (the realtime"
        " table; its database URL from FLOORVIEW_QUEUE_LOG_URL or the config file, never the command line:"
        " a URL may hold a password)",
    )
    hub.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    hub.add_argument("--print-port", action="store_true", help=argparse.SUPPRESS)
    hub_sub = hub.add_subparsers(dest="hub_command", metavar="SUBCOMMAND")
    token = hub_sub.add_parser("token", help="manage tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create a token and print it once")
    create.add_argument(
        "--name", required=True, type=_person_name, help="the person it is for: the author of their notes"
    )
    create.add_argument(
        "--team", action="append", default=[], type=_team_name, help="a team it may see, spaces allowed (repeatable)"
    )
    create.add_argument(
        "--queue", action="append", default=[], type=_queue_id, help="a queue id it may see (repeatable)"
    )
    create.add_argument(
        "--expires",
        default=None,
        metavar="WHEN",
        help="when it stops working: a duration (90m, 12h, 30d, 8w) or a date "
        "(2027-01-31: the start of that day, UTC) or an RFC 3339 time (default: never)",
    )
    listing = token.add_parser("list", help="list tokens: who, scope, created, expiry, revoked (never the token)")
    revoke = token.add_parser("revoke", help="revoke a token by its id, or every token of a name, at once")
    revoke.add_argument("who", metavar="NAME|ID", help="a token's id (from list), or a name: all of its tokens")
    for command in (create, listing, revoke):
        command.add_argument("--db", dest="token_db", default=None, help="SQLAlchemy URL of the hub database")
    status = hub_sub.add_parser(
        "status",
        help="how each source feeding the hub stands: running, lag, records written, what could not be mapped",
    )
    status.add_argument("--db", dest="status_db", default=None, help="SQLAlchemy URL of the hub database")
    export = sub.add_parser("export", help="write a summary for the minutes").add_subparsers(
        dest="export_command", metavar="WHAT", required=True
    )
    huddle = export.add_parser("huddle", help="the huddle summary: team figures, coaching themes, kudos, verbatims")
    huddle.add_argument("--team", help="the team (default: the whole floor)")
    huddle.add_argument("--format", choices=("md", "html"), default="md", help="Markdown (default) or HTML")
    huddle.add_argument(
        "--output", type=Path, help="the file to write, readable by you alone (default: standard output)"
    )
    _store_options(huddle)
    seed = sub.add_parser("seed", help="write a new store holding a simulated floor")
    seed.add_argument("path", type=Path)
    seed.add_argument("--seed", type=int, default=7, help="names the floor (default 7)")
    seed.add_argument(
        "--scale",
        choices=("small", "large"),
        default="small",
        help="small: 8 queues, 64 agents, one day; large: 200 queues, "
        "2,000 agents, sixteen days (about 2 million contacts)",
    )
    seed.add_argument(
        "--days",
        type=_positive_days,
        default=None,
        help="days of history up to --at, today included (default: the scale's)",
    )
    seed.add_argument("--at", help="when the simulated day ends, RFC 3339 (default: now)")
    return p


def _positive_days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 400:
        raise argparse.ArgumentTypeError(f"expected a number of days from 1 to 400, got {text!r}")
    return int(text)


def _team_name(text: str) -> str:
    # The feed's own rule for names: a token must name a team a record can hold.
    from floorview.domain.text import clean

    if not text.strip() or len(text) > 200 or clean(text) != text or "\n" in text or "\t" in text:
        raise argparse.ArgumentTypeError(f"a team is 1 to 200 printable characters, got {text!r}")
    return text


def _person_name(text: str) -> str:
    # A token's name is the author of its notes: a feed name, 1 to 200 printable characters.
    from floorview.domain.text import clean

    if not text.strip() or len(text) > 200 or clean(text) != text or "\n" in text or "\t" in text:
        raise argparse.ArgumentTypeError(f"a name is 1 to 200 printable characters, got {text!r}")
    return text


_DURATION_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _expiry(text: str, now: float) -> float:
    """--expires: a duration from now ("30d"), a date (its start, UTC) or an RFC 3339 time."""
    import re

    text = text.strip()
    found = re.fullmatch(r"([0-9]{1,6})([mhdw])", text)
    if found:
        seconds = int(found[1]) * _DURATION_S[found[2]]
        if not 0 < seconds <= 100 * 366 * 86400:
            raise _UserError(f"--expires: a duration from 1 minute to 100 years, got {text!r}")
        return now + seconds
    try:
        at = datetime.fromisoformat(text)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            at = at.replace(tzinfo=timezone.utc)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise _UserError(
            f"--expires: a duration like 30d, a date like 2027-01-31, or a time with its offset, got {text!r}"
        )
    if at.timestamp() <= now:
        raise _UserError(f"--expires {text} is in the past")
    return at.timestamp()


def _queue_id(text: str) -> str:
    if not 1 <= len(text) <= 128 or any(not 0x21 <= ord(c) <= 0x7E for c in text):
        raise argparse.ArgumentTypeError(
            f"a queue id is 1 to 128 printable ASCII characters without spaces, got {text!r}"
        )
    return text


def _store_options(p: argparse.ArgumentParser) -> None:
    """A command that reads a store and nothing else (no hub, no demo)."""
    p.add_argument(
        "--db", type=Path, help="the store to read (default: yours, in the data directory; env FLOORVIEW_DB)"
    )
    p.add_argument("--config", type=Path, help="config file (env FLOORVIEW_CONFIG)")


def _no_store(path: Path) -> _UserError:
    return _UserError(
        f"no store at {path}: name one with --db, make one with `floorview seed PATH`,"
        " or keep one from a hub with `floorview sync --hub URL`"
    )


def _client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="the store to open (default: yours, or a live demo; env FLOORVIEW_DB)")
    p.add_argument("--hub", help="the hub's URL (env FLOORVIEW_HUB)")
    p.add_argument("--token-file", type=Path, help="a 0600 file holding the hub token (or env FLOORVIEW_TOKEN)")
    p.add_argument("--config", type=Path, help="config file (env FLOORVIEW_CONFIG)")
    p.add_argument("--offline", action="store_true", default=None, help="open the store read-only, no sync, no demo")
    p.add_argument("--insecure-http", action="store_true", default=None, help="allow plain http to a non-loopback hub")
    p.add_argument(
        "--low-bandwidth", action="store_true", default=None, help="for slow links: slower ticking, no sparklines"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        from floorview import __version__

        print(f"floorview {__version__}")
        return 0
    try:
        if args.command == "seed":
            return _seed(args)
        if args.command == "hub":
            return _hub(args)
        if args.command == "sync":
            return _sync(args)
        if args.command == "export":
            return _export_huddle(args)
        return _tui(args)
    except KeyboardInterrupt:
        return 130
    except _UserError as exc:
        print(f"floorview: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UserError(Exception):
    pass


def _deadline(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:  # nan and inf fail too
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return seconds


def _settings(args):
    from floorview.config import ConfigError, load_settings

    try:
        return load_settings(
            args.config,
            db=args.db,
            offline=getattr(args, "offline", None),
            hub=getattr(args, "hub", None) or os.environ.get("FLOORVIEW_HUB"),
            token_file=getattr(args, "token_file", None),
            insecure_http=getattr(args, "insecure_http", None),
            low_bandwidth=getattr(args, "low_bandwidth", None),
        )
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
        result = seed_store(args.path, args.seed, args.scale, end, args.days)
    except (FileExistsError, StoreError) as exc:
        raise _UserError(str(exc)) from None
    print(f"wrote {args.path}: {result.applied} records ({args.scale} floor, seed {args.seed})")
    return 0


def _tui(args) -> int:
    settings = _settings(args)
    _setup_logging()
    from floorview.domain.clock import Clock, FrozenClock, SystemClock
    from floorview.store.location import StoreError, default_store_path

    clock: Clock = SystemClock()
    try:
        if settings.hub and not settings.offline:
            from floorview.sync.source import HubSource
            from floorview.tui.app import FloorviewApp

            path = settings.db or default_store_path()
            url, token = _hub_access(settings)
            source = HubSource(path, url, token, settings.long_poll, settings.refresh_s, settings.proxy)
            # LiveSource (tui/live.py) says `label: str`, settable; the app reads it only, and takes None
            # (`source.label or ...`): the protocol is to say `@property def label(self) -> str | None`.
            app = FloorviewApp(settings, path, clock=clock, source=source, source_label=_host(url))
        elif settings.db is not None or settings.offline:
            path = settings.db or default_store_path()
            from floorview.store.engine import open_reader, prepare_for_writes
            from floorview.store.reads import store_status

            if not path.exists():
                if settings.db is None:
                    raise _UserError(f"no store at {path} (run floorview without --offline for the live demo)")
                raise _no_store(path)
            if not settings.offline:
                prepare_for_writes(path)  # notes and alerts will be written beside the screens' reads
            reader = open_reader(path)
            status = store_status(reader)
            label = None
            if status.source == "snapshot" and status.last_success_at:
                # A snapshot is read at the moment it was taken, not hours later.
                clock, label = FrozenClock(status.last_success_at), "SNAPSHOT"
            from floorview.tui.app import FloorviewApp

            app = FloorviewApp(settings, path, clock=clock, reader=reader, source_label=label)
        else:
            from floorview.store.location import secure_directory
            from floorview.sync.source import DemoHubSource
            from floorview.tui.app import FloorviewApp

            path = default_store_path().with_name("demo.db")
            secure_directory(path.parent, own_default=True)
            source = DemoHubSource(path, path.with_name("demo-hub.db"), settings.demo.seed, settings.refresh_s)
            app = FloorviewApp(settings, path, clock=clock, source=source)
    except StoreError as exc:
        raise _UserError(str(exc)) from None
    app.run()
    return app.return_code or 0


def _export_huddle(args) -> int:
    settings = _settings(args)
    from dataclasses import replace

    from floorview import export
    from floorview.store.engine import open_reader
    from floorview.store.huddle import find_team, load_huddle, teams
    from floorview.store.location import StoreError, default_store_path
    from floorview.store.reads import site_time, store_status
    from floorview.store.syncstate import token_scope
    from floorview.store.balance import week_sentence

    path = settings.db or default_store_path()
    if not path.exists():
        raise _no_store(path)
    try:
        con = open_reader(path)
    except StoreError as exc:
        raise _UserError(str(exc)) from None
    status = store_status(con)
    # A snapshot is summarised at the moment it was taken.
    now = (
        status.last_success_at if status.source == "snapshot" and status.last_success_at else datetime.now().timestamp()
    )
    scope = token_scope(con)
    partial = scope is not None and not scope.whole_floor
    team = None
    if args.team is not None:
        team = find_team(con, args.team)
        if team is None:
            known = teams(con)
            raise _UserError(f"no team {args.team!r} in {path}; teams: {', '.join(known) or 'none'}")
    elif partial and scope is not None and scope.teams:
        team = find_team(con, scope.teams[0])  # a team lead's store: their team, as the huddle shows it
    con.execute("BEGIN")  # one consistent snapshot
    site = site_time(con, settings.site_timezone)
    huddle = load_huddle(con, team, now, site)
    huddle = replace(huddle, sentence=week_sentence(con, now, settings.balance.priorities, team), partial=partial)
    con.execute("COMMIT")
    text = export.to_html(huddle, site) if args.format == "html" else export.to_markdown(huddle, site)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    _write_new_file(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _write_new_file(path: Path, text: str) -> None:
    """Write `text` as a new file at `path`, readable by us alone (audit L7).

    The text goes into a temporary file beside `path`, created O_EXCL and
    0600, which is then renamed over `path`: an existing file's mode, owner
    and other links are never reused. A `path` that is another user's file,
    a symbolic link or not a regular file (a device, a FIFO) is refused, as is
    a rename the directory forbids (another user's file in a sticky one)."""
    import stat
    import tempfile

    def refused(why: str) -> _UserError:
        return _UserError(f"refusing to write {path}: {why}")

    def existing() -> os.stat_result | None:
        try:
            return os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _UserError(f"cannot write {path}: {exc.strerror}") from None

    st = existing()
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise refused("it is a symbolic link")
        if not stat.S_ISREG(st.st_mode):
            raise refused("it is not a regular file")
        if st.st_uid != os.getuid():
            raise refused(f"it belongs to another user (uid {st.st_uid})")
    try:
        fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".tmp")
    except OSError as exc:
        raise _UserError(f"cannot write {path}: {exc.strerror}") from None
    renamed = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, path)
        renamed = True
    except OSError as exc:
        st = existing()
        if st is not None and st.st_uid != os.getuid():  # it appeared meanwhile; a sticky directory keeps it
            raise refused(f"it belongs to another user (uid {st.st_uid})") from None
        raise _UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if not renamed:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _hub_access(settings) -> tuple[str, str]:
    from floorview.sync.token import TokenError, read_token
    from floorview.sync.transport import URLRefused, check_url

    try:
        url = check_url(settings.hub, settings.insecure_http)
        return url, read_token(settings.token_file)
    except (URLRefused, TokenError) as exc:
        raise _UserError(str(exc)) from None


def _host(url: str) -> str:
    from floorview.sync.source import hub_label

    return hub_label(url)


EXIT_FAULT = 1  # the sync stopped on a fault (the hub's or this machine's), said in one line


def _sync(args) -> int:
    """`floorview sync [--once]`. Every way it ends is one line on stderr and
    an exit status: 0 caught up (--once); 2 a usage, configuration or hub
    refusal; 1 a fault retrying cannot cure, the hub's (continuous mode) or
    this machine's (the disk full, the store read-only, an I/O error)."""
    settings = _settings(args)
    _setup_logging()
    if not settings.hub:
        raise _UserError("no hub: give --hub URL or set FLOORVIEW_HUB")
    url, token = _hub_access(settings)
    webhook_url = _webhook_url(args, settings)
    from floorview.store.location import default_store_path
    from floorview.sync.source import local_fault

    path = settings.db or default_store_path()
    try:
        return _sync_into(args, settings, path, url, token, webhook_url)
    except Exception as exc:
        reason = local_fault(exc)
        if reason is None:
            raise
        import logging

        logging.getLogger(__name__).warning("sync stopped: the store %s cannot be written (%s)", path, reason)
        print(f"floorview: cannot write the store {path}: {reason}", file=sys.stderr, flush=True)
        return EXIT_FAULT


def _webhook_url(args, settings) -> str | None:
    """The alerts webhook's URL (never shown: only its scheme and host are), or None."""
    if not settings.alerts.enabled:
        return None
    from floorview.sync.webhook import WebhookError, webhook_url

    try:
        return webhook_url(
            getattr(args, "alerts_webhook_file", None), settings.alerts.webhook_file, settings.alerts.webhook_url
        )
    except WebhookError as exc:
        raise _UserError(str(exc)) from None


def _alerts(settings, engine, webhook_url: str | None, say):
    """The alerts' watch and webhook of a headless sync, or (None, None) with alerts off."""
    if not settings.alerts.enabled:
        return None, None
    from floorview.sync.alerts import AlertWatch
    from floorview.sync.webhook import Webhook

    webhook = None
    if webhook_url is not None:
        a = settings.alerts
        webhook = Webhook(
            engine, webhook_url, a.webhook_format, timeout_s=a.webhook_timeout_s, proxy=settings.proxy, report=say
        )
    watch = AlertWatch(
        engine, settings.alerts.rules, settings.alerts.budget.budget(), settings.site_timezone, webhook=webhook
    )
    return watch, webhook


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _sync_into(args, settings, path: Path, url: str, token: str, webhook_url: str | None = None) -> int:
    from floorview.store.engine import open_engine
    from floorview.store.location import StoreError
    from floorview.sync.syncer import Syncer
    from floorview.sync.transport import HubClient, HubError

    try:
        engine = open_engine(path, default=settings.db is None)
    except StoreError as exc:
        raise _UserError(str(exc)) from None
    watch = webhook = None
    try:
        watch, webhook = _alerts(settings, engine, webhook_url, None if args.once else _say)
        with HubClient(url, token, proxy=settings.proxy) as client:
            syncer = Syncer(engine, client, long_poll=settings.long_poll, poll_s=settings.refresh_s)
            if args.once:
                try:
                    pulled, pushed = syncer.sync_once(args.deadline)
                except HubError as exc:
                    raise _UserError(exc.message) from None  # cleaned where it came in (sync/transport.py)
                print(f"synced {pulled.changes} changes in {pulled.pages} pages; pushed {pushed}")
                if watch is not None:
                    _alerts_once(watch, webhook)
                return 0
            if watch is not None:
                syncer.on_applied = watch.changed
                watch.start()
            if webhook is not None:
                webhook.start()
            import threading

            stop = threading.Event()

            stale_since: list[float] = []  # when the current outage began

            def report(state: str, detail: str | None) -> None:
                if state != "stale":
                    stale_since.clear()
                if state == "live":
                    return
                if state == "stale":
                    stale_since[:1] = stale_since[:1] or [datetime.now().timestamp()]
                    began = datetime.fromtimestamp(stale_since[0], timezone.utc).strftime("%H:%M:%S UTC")
                    print(f"stale since {began}: {detail}", file=sys.stderr, flush=True)
                    return
                print(f"{state}: {detail}" if detail else state, file=sys.stderr, flush=True)

            syncer.run(report, stop)
            return EXIT_FAULT  # run returns only on a fault that retrying cannot cure
    finally:
        if watch is not None:
            watch.stop()
        if webhook is not None:
            webhook.stop()
        engine.dispose()


def _alerts_once(watch, webhook) -> None:
    """`sync --once`: one evaluation at the end, and one round of posting what waits (what the
    receiver does not take stays queued in the store for the next run)."""
    events = watch.tick_once()
    fired = sum(1 for e in events if e.kind == "fired")
    resolved = sum(1 for e in events if e.kind == "resolved")
    held = sum(1 for e in events if e.kind == "held_back")
    line = f"alerts: {fired} fired, {resolved} resolved" + (f", {held} held back by the budget" if held else "")
    if webhook is not None:
        failed = webhook.deliver()
        left = webhook.waiting()
        line += f"; webhook {webhook.label}: {webhook.posted} posted, {left} waiting"
        if failed is not None:
            _say(f"alerts webhook {webhook.label}: not delivered ({failed.why}); {left} kept for the next sync")
    print(line)


def _hub(args) -> int:
    os.umask(0o077)  # the hub's database and its WAL hold tokens and customer data: ours alone
    from floorview.hub.hubstore import HubDatabaseError, HubStore, open_hub_engine
    from floorview.store.location import default_store_path, secure_directory

    def default_url(given: str | None = None) -> str:
        """--db, else FLOORVIEW_HUB_DB, else hub.db in the data directory. A password
        in --db would show in the process list: it is refused, with where to put it."""
        if given:
            from sqlalchemy.engine import make_url

            try:
                has_password = make_url(given).password is not None
            except Exception:  # noqa: BLE001 - not a URL: open_hub_engine says so
                has_password = False
            if has_password:
                raise _UserError(
                    "a password in --db would show in the process list: give the URL in FLOORVIEW_HUB_DB, "
                    "or the password in ~/.pgpass (PGPASSFILE) and the URL without it"
                )
            return given
        if os.environ.get("FLOORVIEW_HUB_DB"):
            return os.environ["FLOORVIEW_HUB_DB"]
        path = default_store_path().with_name("hub.db")
        secure_directory(path.parent, own_default=True)
        return f"sqlite:///{path}"

    try:
        if args.hub_command == "token":
            return _hub_token(args, HubStore(open_hub_engine(default_url(args.token_db or args.db))))
        if args.hub_command == "status":
            from floorview.hub.status import status_text

            url = default_url(args.status_db or args.db)
            from sqlalchemy.engine import make_url

            where = make_url(url)
            if where.get_backend_name() == "sqlite" and where.database and not Path(where.database).exists():
                raise _UserError(f"no hub database at {where.database}")
            store = HubStore(open_hub_engine(url))
            print(status_text(store.sources(), store.clock()))
            return 0
        from floorview.hub.source_config import SourceConfigError, load_sources

        try:
            sources = [spec.build() for spec in load_sources(args.hub_config, args.source)]
        except SourceConfigError as exc:
            raise _UserError(str(exc)) from None
        _setup_logging()
        from floorview.hub.run import serve

        def ready(port: int) -> None:
            if args.print_port:
                print(f"PORT {port}", flush=True)
            else:
                print(f"floorview hub on http://{args.host}:{port}", file=sys.stderr, flush=True)

        serve(
            default_url(args.db),
            args.host,
            args.port,
            simulate=args.simulate,
            seed=args.seed,
            speed=args.speed,
            on_ready=ready,
            parent_pid=args.parent_pid,
            bootstrap_token=os.environ.pop("FLOORVIEW_HUB_BOOTSTRAP_TOKEN", None),
            sources=sources,
        )
    except HubDatabaseError as exc:
        raise _UserError(str(exc)) from None
    return 0


def _hub_token(args, store) -> int:
    """`floorview hub token create|list|revoke`. Never prints a token but the one just made."""
    if args.token_command == "create":
        expires_at = None if args.expires is None else _expiry(args.expires, store.clock())
        print(store.create_token(args.name, args.team, args.queue, expires_at))
        return 0
    if args.token_command == "list":
        _print_tokens(store.tokens(), store.clock())
        return 0
    revoked, before = store.revoke(args.who)
    if not revoked and not before:
        raise _UserError(f"no token with the id or name {args.who!r} (see floorview hub token list)")
    from floorview.domain.text import clean

    for t in revoked:
        print(f"revoked token {t.id} ({clean(t.name)})")
    for t in before:
        print(f"token {t.id} ({clean(t.name)}) was already revoked")
    return 0


def _print_tokens(tokens, now: float) -> None:
    from floorview.domain.text import clean

    def when(t: float | None, empty: str) -> str:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M") if t is not None else empty

    rows = [("ID", "NAME", "SCOPE", "CREATED (UTC)", "EXPIRES (UTC)", "REVOKED (UTC)")]
    for t in tokens:
        scope = (
            "; ".join(
                part
                for part in (t.teams and "teams: " + ", ".join(t.teams), t.queues and "queues: " + ", ".join(t.queues))
                if part
            )
            or "whole floor"
        )
        expires = when(t.expires_at, "never") + (
            " (expired)" if t.expires_at is not None and t.expires_at <= now else ""
        )
        rows.append((str(t.id), clean(t.name), clean(scope), when(t.created_at, "-"), expires, when(t.revoked_at, "-")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())


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
