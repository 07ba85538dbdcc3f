"""The hub's sources, from its config file (config/hub.toml documents every key) and `--source`.

A config file (`floorview hub --config PATH`, or FLOORVIEW_HUB_CONFIG) holds
one `[sources.NAME]` table per source, each with its `kind` and the kind's
keys, and the site settings of Asterisk sources (sources/asterisk/settings.py):
in an `[asterisk]` table shared by every Asterisk source, and per source
(a source's own keys win; its queues, members and teams add to the shared ones).

`--source SPEC` adds a source from the command line: `asterisk-queue-log:PATH`,
`asterisk-ami:HOST:PORT`, or `asterisk-queue-log-table` with its database URL
from FLOORVIEW_QUEUE_LOG_URL. A URL may hold a password, and a command line is
visible to every user of the machine: no secret is ever taken from it.

Secrets (a table source's URL, the AMI secret, the customer key) come from a
file readable by its owner only, the environment, or the config file itself,
which is then refused unless it is a regular file of ours that no one else
can read, in a directory no one else can enter. Errors name the key, never a
secret's value. Unknown keys and bad values are refused, naming the key.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from floorview.sources.asterisk.settings import CHANNELS, AsteriskSettings, QueueSettings
from floorview.sources.base import Source
from floorview.sources.secret_file import SecretFileError
from floorview.sources.secret_file import read_secret_file as read_secret
from floorview.store.location import private_file_problem

CONFIG_ENV = "FLOORVIEW_HUB_CONFIG"
TABLE_URL_ENV = "FLOORVIEW_QUEUE_LOG_URL"
CUSTOMER_KEY_ENV = "FLOORVIEW_CUSTOMER_KEY"
CUSTOMER_KEY_FILE_ENV = "FLOORVIEW_CUSTOMER_KEY_FILE"


KINDS = ("asterisk-queue-log", "asterisk-queue-log-table", "asterisk-ami")
_MISSING = object()


class SourceConfigError(Exception):
    """The hub's source configuration is not usable; the message names the key."""


# -- values ---------------------------------------------------------------------------------------


def _int(lo: int, hi: int) -> Callable[[str, object], int]:
    def check(key: str, v: object) -> int:
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise SourceConfigError(f"{key}: a whole number from {lo} to {hi}, got {v!r}")
        return v

    return check


def _float(lo: float, hi: float) -> Callable[[str, object], float]:
    def check(key: str, v: object) -> float:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or not lo <= v <= hi:
            raise SourceConfigError(f"{key}: a number from {lo} to {hi}, got {v!r}")
        return float(v)

    return check


def _text(key: str, v: object) -> str:
    if not isinstance(v, str) or not v.strip() or len(v) > 500 or any(ord(c) < 32 for c in v):
        raise SourceConfigError(f"{key}: a line of text (1 to 500 characters), got {v!r}")
    return v


def _any_text(key: str, v: object) -> str:
    if not isinstance(v, str) or len(v) > 500 or any(ord(c) < 32 for c in v):
        raise SourceConfigError(f"{key}: a line of text (up to 500 characters), got {v!r}")
    return v


def _bool(key: str, v: object) -> bool:
    if not isinstance(v, bool):
        raise SourceConfigError(f"{key}: true or false, got {v!r}")
    return v


def _zone(key: str, v: object) -> str:
    if not isinstance(v, str):
        raise SourceConfigError(f'{key}: an IANA time zone name like "America/Chicago", got {v!r}')
    if v == "":
        return v
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise SourceConfigError(f"{key}: {v!r} is not a time zone this machine knows (IANA names)") from None
    return v


def _queue_zone(key: str, v: object) -> str:
    if v == "":
        raise SourceConfigError(f"{key}: a queue's time zone cannot be empty")
    return _zone(key, v)


def _channel(key: str, v: object) -> str:
    if v not in CHANNELS:
        raise SourceConfigError(f"{key}: one of {', '.join(CHANNELS)}, got {v!r}")
    return str(v)


def _caller_ids(key: str, v: object) -> str:
    if v not in ("hashed", "plain", "none"):
        raise SourceConfigError(f'{key}: "hashed", "plain" or "none", got {v!r}')
    return str(v)


def _agents(key: str, v: object) -> str:
    if v not in ("auto", "yes", "no"):
        raise SourceConfigError(f'{key}: "auto", "yes" or "no", got {v!r}')
    return str(v)


def _table_name(key: str, v: object) -> str:
    parts = v.split(".") if isinstance(v, str) else []
    if not 1 <= len(parts) <= 2 or not all(p and p.replace("_", "a").isalnum() and p.isascii() for p in parts):
        raise SourceConfigError(f"{key}: a table name (letters, digits, _; optionally schema.table), got {v!r}")
    return str(v)


# Every key, its check and its default (config/hub.toml documents them; a test holds the two equal).
QUEUE_KEYS: dict[str, tuple[Callable[[str, object], Any], Any]] = {
    "sl_threshold_s": (_int(0, 86400), QueueSettings.sl_threshold_s),
    "sl_target": (_float(0.0, 1.0), QueueSettings.sl_target),
    "short_abandon_s": (_int(0, 3600), QueueSettings.short_abandon_s),
    "timezone": (_queue_zone, QueueSettings.timezone),
    "channel": (_channel, QueueSettings.channel),
    "name": (_text, None),
}
SITE_KEYS: dict[str, tuple[Callable[[str, object], Any], Any]] = {
    "default_team": (_text, AsteriskSettings.default_team),
    "caller_ids": (_caller_ids, AsteriskSettings.caller_ids),
    "customer_key": (_any_text, None),  # a secret: the config file must then be private
    "customer_key_file": (_text, None),
}
SITE_TABLES = ("default_queue", "queues", "members", "teams")
KIND_KEYS: dict[str, dict[str, tuple[Callable[[str, object], Any], Any]]] = {
    "asterisk-queue-log": {
        "path": (_text, _MISSING),
        "poll_s": (_float(0.02, 10.0), 0.1),
        "agents": (_agents, "auto"),
        "backfill_rotated": (_bool, True),
        "rotated_dir": (_text, None),
    },
    "asterisk-queue-log-table": {
        "url": (_text, None),  # a secret (it may hold a password)
        "url_file": (_text, None),
        "url_env": (_text, None),
        "table": (_table_name, "queue_log"),
        "time_zone": (_zone, ""),
        "poll_s": (_float(0.02, 60.0), 0.2),
        "agents": (_agents, "auto"),
    },
    "asterisk-ami": {
        "host": (_text, _MISSING),
        "port": (_int(1, 65535), 5038),
        "user": (_text, None),
        "secret": (_text, None),  # a secret
        "secret_file": (_text, None),
        "tls": (_bool, False),
        "allow_plain_login": (_bool, False),
    },
}
SECRET_KEYS = ("customer_key", "url", "secret")


# -- secrets --------------------------------------------------------------------------------------


def read_secret_file(path: str | Path, what: str) -> str:
    """A file holding a secret (sources/secret_file.py): its first line, or a refusal in words."""
    try:
        return read_secret(path, what)
    except SecretFileError as exc:
        raise SourceConfigError(str(exc)) from None


def _check_private(path: Path, why: str) -> None:
    """A config file holding a secret: private, by the client's rule (store/location.py)."""
    try:
        found = private_file_problem(path)
    except OSError as exc:
        raise SourceConfigError(f"cannot read the hub config {path}: {exc.strerror}") from None
    if found is not None:
        problem, fix = found
        raise SourceConfigError(
            f"refusing the hub config {path}: {why}, and {problem}; {fix},"
            " or keep the secret in a file of its own or the environment"
        )


def _url_is_secret(url: object) -> bool:
    """A URL with a password or query parameters (which may hold one); a plain SQLite path is not."""
    if not isinstance(url, str):
        return False
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return True
    return parsed.password is not None or bool(parsed.query)


# -- the sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """One configured source, checked; `build()` makes it (secrets resolved, never shown)."""

    name: str
    kind: str
    options: Mapping[str, Any]
    settings: AsteriskSettings = field(repr=False)
    _secret: str | None = field(default=None, repr=False)  # the table's URL or the AMI secret

    def build(self) -> Source:
        o = self.options
        if self.kind == "asterisk-queue-log":
            from floorview.sources.asterisk.queue_log.source import QueueLogSource

            return QueueLogSource(
                o["path"],
                self.settings,
                name=self.name,
                poll_s=o["poll_s"],
                agents=o["write_agents"],
                backfill_rotated=o["backfill_rotated"],
                rotated_dir=o["rotated_dir"],
            )
        if self.kind == "asterisk-queue-log-table":
            from floorview.sources.asterisk.queue_log.source import QueueLogTableSource

            assert self._secret is not None
            return QueueLogTableSource(
                self._secret,
                self.settings,
                o["table"],
                o["time_zone"],
                name=self.name,
                poll_s=o["poll_s"],
                agents=o["write_agents"],
            )
        ami = _ami_source()
        assert self._secret is not None
        tls = None
        if o["tls"]:
            import ssl

            tls = ssl.create_default_context()
        source: Source = ami(
            o["host"],
            o["port"],
            o["user"],
            self._secret,
            self.settings,
            self.name,
            allow_plain_login=o["allow_plain_login"],
            tls=tls,
        )
        return source


def _ami_source() -> Any:
    try:
        from floorview.sources.asterisk.ami.source import AmiSource
    except ImportError as exc:
        raise SourceConfigError(
            f"the asterisk-ami source is not in this floorview (floorview.sources.asterisk.ami: {exc})"
        ) from None
    return AmiSource


def _check_keys(where: str, table: Mapping[str, Any], allowed: Any) -> None:
    for key in table:
        if key not in allowed:
            raise SourceConfigError(f"{where}.{key}: no such setting (known: {', '.join(sorted(allowed))})")


def _site(where: str, table: Mapping[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The site settings of `table` over `base` (raw, checked): maps add, values replace."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in table.items():
        full = f"{where}.{key}"
        if key in SITE_KEYS:
            out[key] = SITE_KEYS[key][0](full, value)
        elif key in SITE_TABLES:
            if not isinstance(value, dict):
                raise SourceConfigError(f"{full}: a table, got {value!r}")
            if key == "default_queue":
                out[key] = {**out.get(key, {}), **_queue(full, value, allow_name=False)}
            elif key == "queues":
                merged = dict(out.get(key, {}))
                for q, settings in value.items():
                    if not isinstance(settings, dict):
                        raise SourceConfigError(f'{full}."{q}": a table of queue settings, got {settings!r}')
                    merged[_text(f"{full} (a queue's name)", q)] = _queue(f'{full}."{q}"', settings)
                out[key] = merged
            else:
                merged = dict(out.get(key, {}))
                for k, v in value.items():
                    merged[_text(f"{full} (a name)", k)] = _text(f'{full}."{k}"', v)
                out[key] = merged
    return out


def _queue(where: str, table: Mapping[str, Any], allow_name: bool = True) -> dict[str, Any]:
    allowed = QUEUE_KEYS if allow_name else {k: v for k, v in QUEUE_KEYS.items() if k != "name"}
    _check_keys(where, table, allowed)
    return {k: QUEUE_KEYS[k][0](f"{where}.{k}", v) for k, v in table.items()}


def _settings(where: str, site: Mapping[str, Any], environ: Mapping[str, str]) -> AsteriskSettings:
    default = QueueSettings(**site.get("default_queue", {}))
    queues = {q: QueueSettings(**{**site.get("default_queue", {}), **s}) for q, s in site.get("queues", {}).items()}
    key = site.get("customer_key")
    if key is None and site.get("customer_key_file"):
        key = read_secret_file(site["customer_key_file"], f"{where}.customer_key_file")
    if key is None and environ.get(CUSTOMER_KEY_FILE_ENV):
        key = read_secret_file(environ[CUSTOMER_KEY_FILE_ENV], CUSTOMER_KEY_FILE_ENV)
    if key is None:
        key = environ.get(CUSTOMER_KEY_ENV, "")
    caller_ids = site.get("caller_ids", AsteriskSettings.caller_ids)
    return AsteriskSettings(
        default_queue=default,
        queues=queues,
        members=dict(site.get("members", {})),
        teams=dict(site.get("teams", {})),
        default_team=site.get("default_team", AsteriskSettings.default_team),
        caller_ids=caller_ids,
        customer_key=key,
    )


def _options(where: str, kind: str, table: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, (check, default) in KIND_KEYS[kind].items():
        if key in table:
            out[key] = check(f"{where}.{key}", table[key])
        elif default is _MISSING:
            raise SourceConfigError(f"{where}.{key}: required for a {kind} source")
        else:
            out[key] = default
    return out


def _secret_of(where: str, kind: str, o: dict[str, Any], environ: Mapping[str, str]) -> str | None:
    if kind == "asterisk-queue-log-table":
        given = [k for k in ("url", "url_file", "url_env") if o.get(k)]
        if len(given) > 1:
            raise SourceConfigError(f"{where}: one of url, url_file, url_env, not {' and '.join(given)}")
        if o.get("url"):
            return str(o["url"])
        if o.get("url_file"):
            return read_secret_file(o["url_file"], f"{where}.url_file")
        env = o.get("url_env") or TABLE_URL_ENV
        url = environ.get(env, "").strip()
        if not url:
            raise SourceConfigError(
                f"{where}: no database URL: set {env}, or url_file (a 0600 file holding it) in the hub config"
            )
        return url
    if kind == "asterisk-ami":
        try:
            from floorview.sources.asterisk.ami.credentials import CredentialsError, ami_secret, ami_user
        except ImportError as exc:
            raise SourceConfigError(
                f"the asterisk-ami source is not in this floorview (floorview.sources.asterisk.ami: {exc})"
            ) from None
        try:
            o["user"] = ami_user(o.get("user"), environ)
            secret = o.get("secret")
            if secret is None and o.get("secret_file"):
                secret = read_secret_file(o["secret_file"], f"{where}.secret_file")
            return str(ami_secret(secret, environ))
        except CredentialsError as exc:
            raise SourceConfigError(f"{where}: {exc}") from None
    return None


def _spec(
    name: str, kind: str, table: Mapping[str, Any], shared: dict[str, Any], environ: Mapping[str, str], where: str
) -> SourceSpec:
    own = {k: v for k, v in table.items() if k in KIND_KEYS[kind]}
    site = _site(where, {k: v for k, v in table.items() if k in SITE_KEYS or k in SITE_TABLES}, shared)
    options = _options(where, kind, own)
    if kind == "asterisk-queue-log":
        options["path"] = str(Path(options["path"]).expanduser().absolute())
        if options["rotated_dir"] is not None:  # relative: to the file's directory, as logrotate's olddir
            options["rotated_dir"] = str(Path(options["path"]).parent / Path(options["rotated_dir"]).expanduser())
    secret = _secret_of(where, kind, options, environ)
    if kind == "asterisk-queue-log-table" and secret is not None:
        _check_url(where, secret)
    for key in SECRET_KEYS:  # resolved into `secret`: the options, shown in a repr, never hold one
        options.pop(key, None)
    settings = _settings(where, site, environ)
    if kind == "asterisk-ami":
        _ami_source()  # missing: said now, at start, not in the source's thread
    return SourceSpec(name, kind, options, settings, secret)


def _check_url(where: str, url: str) -> None:
    """A database URL SQLAlchemy can use, with its driver installed: said now, at start, not
    in the source's thread. The messages never hold the URL (it may hold a password)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        raise SourceConfigError(f"{where}: the database URL is not an SQLAlchemy URL (dialect+driver://...)") from None
    try:
        parsed.get_dialect().import_dbapi()
    except Exception as exc:
        raise SourceConfigError(
            f"{where}: no database driver for {parsed.drivername!r} here ({type(exc).__name__})"
        ) from None


def _name(where: str, name: str) -> str:
    if not 1 <= len(name) <= 200 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise SourceConfigError(f"{where}: a source's name is 1 to 200 printable characters")
    return name


def read_config(path: Path) -> dict[str, Any]:
    """The hub config file, parsed and checked for privacy (not yet validated)."""
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceConfigError(f"cannot read the hub config {path}: {exc}") from None
    secrets = []
    tables = [("asterisk", values.get("asterisk"))]
    if isinstance(values.get("sources"), dict):
        tables += [(f"sources.{n}", t) for n, t in values["sources"].items()]
    for where, table in tables:
        if not isinstance(table, dict):
            continue
        for key in SECRET_KEYS:
            value = table.get(key)
            if value and (key != "url" or _url_is_secret(value)):
                secrets.append(f"{where}.{key}")
    if secrets:
        _check_private(path, f"it holds {', '.join(secrets)}, a secret")
    return values


def load_sources(
    config: Path | None = None, specs: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[SourceSpec]:
    """The sources of the hub config file (`config`, else FLOORVIEW_HUB_CONFIG) and `--source` specs."""
    env = os.environ if environ is None else environ
    if config is None and env.get(CONFIG_ENV):
        config = Path(env[CONFIG_ENV])
    values: dict[str, Any] = {}
    if config is not None:
        if not config.is_file():
            raise SourceConfigError(f"hub config {config} does not exist")
        values = read_config(config)
    _check_keys("(top level)", values, ("asterisk", "sources"))
    shared_table = values.get("asterisk", {})
    if not isinstance(shared_table, dict):
        raise SourceConfigError("asterisk: a table of site settings")
    _check_keys("asterisk", shared_table, (*SITE_KEYS, *SITE_TABLES))
    shared = _site("asterisk", shared_table, {})
    out: list[SourceSpec] = []
    sources = values.get("sources", {})
    if not isinstance(sources, dict):
        raise SourceConfigError("sources: a table of [sources.NAME] tables")
    for name, table in sources.items():
        where = f"sources.{name}"
        _name(where, name)
        if not isinstance(table, dict):
            raise SourceConfigError(f"{where}: a table, got {table!r}")
        kind = table.get("kind")
        if kind not in KINDS:
            raise SourceConfigError(f"{where}.kind: one of {', '.join(KINDS)}, got {kind!r}")
        _check_keys(where, table, ("kind", *KIND_KEYS[kind], *SITE_KEYS, *SITE_TABLES))
        out.append(_spec(name, kind, {k: v for k, v in table.items() if k != "kind"}, shared, env, where))
    for text in specs or []:
        out.append(_from_flag(text, shared, env))
    seen: set[str] = set()
    for spec in out:
        if spec.name in seen:
            raise SourceConfigError(f"two sources named {spec.name!r}")
        seen.add(spec.name)
    return _owners_of_agents(out)


def _owners_of_agents(specs: list[SourceSpec]) -> list[SourceSpec]:
    """Which sources write agent records. The AMI source knows what queue_log cannot (device
    state: a member on a call outside the queues, unavailable, ringing) and knows it live; the
    queue_log knows queue events only, and history. Both write an agent at the version of its
    event's time, so a queue_log line newer than AMI's last word (a PAUSE during a direct call)
    would replace AMI's truer state. So a queue_log source's `agents = "auto"` is "no" when the
    hub runs an AMI source, "yes" otherwise; "yes" and "no" say it outright (several Asterisk
    servers in one hub, some without AMI: "yes" on the queue_log of those)."""
    ami = any(spec.kind == "asterisk-ami" for spec in specs)
    out = []
    for spec in specs:
        if spec.kind in ("asterisk-queue-log", "asterisk-queue-log-table"):
            choice = spec.options["agents"]
            writes = choice == "yes" or (choice == "auto" and not ami)
            spec = dataclasses.replace(spec, options={**spec.options, "write_agents": writes})
        out.append(spec)
    return out


def _from_flag(text: str, shared: dict[str, Any], environ: Mapping[str, str]) -> SourceSpec:
    kind, _, arg = text.partition(":")
    where = f"--source {kind}"
    if kind == "asterisk-queue-log":
        if not arg:
            raise SourceConfigError("--source asterisk-queue-log:PATH needs the queue_log file's path")
        path = str(Path(arg).expanduser().absolute())
        return _spec(f"asterisk-queue-log:{path}", kind, {"path": path}, shared, environ, where)
    if kind == "asterisk-queue-log-table":
        if arg:
            raise SourceConfigError(
                "--source asterisk-queue-log-table takes no URL on the command line (a URL may hold a password,"
                f" and every user of the machine can read a command line): set {TABLE_URL_ENV}, or configure"
                " the source in the hub config file"
            )
        return _spec(kind, kind, {}, shared, environ, where)
    if kind == "asterisk-ami":
        host, _, port = arg.rpartition(":")
        host = host.strip("[]")  # [::1]:5038
        if not host or not port.isdigit():
            raise SourceConfigError("--source asterisk-ami:HOST:PORT, e.g. asterisk-ami:127.0.0.1:5038")
        return _spec(f"asterisk-ami:{host}:{port}", kind, {"host": host, "port": int(port)}, shared, environ, where)
    raise SourceConfigError(f"--source {text!r}: the kind is one of {', '.join(KINDS)} (as KIND:ARGUMENT)")
