"""Settings: defaults < config file < FLOORVIEW_* environment < command-line flags.

Every key is documented, with its default, in config/floorview.toml (a test
holds the two equal). Validation is plain Python on purpose: the settings are
a dozen scalars, and pydantic-settings with its models costs about 0.2 s of
import before the first row can paint, which a supervisor on a jump host
feels on every start. The feed, untrusted and large, keeps pydantic.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from floorview.domain.targets import Targets
from floorview.domain.balance import Priorities, PriorityError, check_priorities
from floorview.domain.metrics import AGENT_STATES as STATES
from floorview.domain.recovery import RecoveryRules
from floorview.domain.engagement import EngagementWeights
from floorview.domain.alerts import DEFAULT_RULES as DEFAULT_ALERT_RULES
from floorview.domain.alerts import KINDS as ALERT_KINDS
from floorview.domain.alerts import SEVERITIES as ALERT_SEVERITIES
from floorview.domain.alerts import Budget as AlertBudget
from floorview.domain.alerts import Rule as AlertRule
from floorview.domain.alerts import Scope as AlertScope


class ConfigError(Exception):
    """A config that cannot be used; the message is meant for the user."""


def _number(lo: float | None = None, hi: float | None = None, above: float | None = None):
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        if lo is not None and number < lo or hi is not None and number > hi:
            raise ValueError(f"must be between {lo:g} and {hi:g}, got {number:g}")
        if above is not None and number <= above:
            raise ValueError(f"must be above {above:g}, got {number:g}")
        return number

    return check


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _path(value: Any) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, (str, Path)):
        raise ValueError(f"expected a path, got {value!r}")
    return Path(value).expanduser()


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a time zone name, got {value!r}")
    if value:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _keys(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError('expected a table of binding id = "key"')
    from floorview.intents import INTENTS

    for name in value:
        if name not in INTENTS:
            raise ValueError(f"{name}: unknown binding id (`?` in the app lists them)")
    return dict(value)


def _thresholds(value: Any) -> dict[str, list[float]]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a table of state = [three numbers]")
    out = dict(AgentsConfig().time_in_state)
    for state, levels in value.items():
        if state not in STATES:
            raise ValueError(f"unknown agent state {state!r}; states are {', '.join(STATES)}")
        if not isinstance(levels, list) or len(levels) != 3:
            raise ValueError(f"{state}: expected three numbers, got {levels!r}")
        levels = [_number(above=0)(v) for v in levels]
        if levels != sorted(levels):
            raise ValueError(f"{state}: thresholds must rise, got {levels}")
        out[state] = levels
    return out


@dataclass(frozen=True)
class QueuesConfig:
    # How far below target a figure may be before it shows as a breach, not a warning.
    sl_warn_margin: float = field(default=0.05, metadata={"check": _number(0, 1)})
    abandon_warn_margin: float = field(default=0.02, metadata={"check": _number(0, 1)})
    aht_warn_margin_s: float = field(default=30.0, metadata={"check": _number(0, 86400)})


def _default_thresholds() -> dict[str, list[float]]:
    return {
        "available": [10.0, 60.0, 300.0],
        "on_contact": [300.0, 600.0, 1200.0],
        "after_contact_work": [30.0, 60.0, 300.0],
        "not_ready": [60.0, 300.0, 900.0],
        "offline": [86400.0, 172800.0, 259200.0],
    }


@dataclass(frozen=True)
class AgentsConfig:
    # Seconds in a state after which the time is shown as notable, warning, alert.
    time_in_state: dict[str, list[float]] = field(
        default_factory=_default_thresholds, metadata={"check": lambda v: _thresholds(v)}
    )


def _priorities(value: Any) -> Priorities:
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ValueError("expected a table of constraint = { rank = N, weight = W }")
    try:
        return check_priorities(
            {c: v.get("rank") for c, v in value.items()}, {c: v.get("weight") for c, v in value.items()}
        )
    except PriorityError as exc:
        raise ValueError(str(exc)) from None


_PERCENTAGE_POINTS = ("qa_score", "compliance_score")


def _targets(value: Any) -> Targets:
    if not isinstance(value, Mapping):
        raise ValueError("expected a table of metric = target")
    known = Targets.__dataclass_fields__
    out = {}
    for name, raw in value.items():
        if name not in known:
            raise ValueError(f"unknown target {name!r}; targets are {', '.join(known)}")
        if name == "repeat_window_h":
            check = _number(1, 24 * 90)
        elif name in _PERCENTAGE_POINTS:
            check = _number(0, 100)
        else:  # a fraction
            check = _number(0, 1)
        try:
            out[name] = check(raw)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return Targets(**out)


@dataclass(frozen=True)
class BalanceConfig:
    # The site's stated priorities: each constraint's rank (1 to 4) and weight (1 to 5).
    priorities: Priorities = field(
        default_factory=lambda: check_priorities(
            {"quality": 1, "time": 2, "cost": 3, "risk": 4}, {"quality": 5, "time": 4, "cost": 2, "risk": 1}
        ),
        metadata={"check": _priorities},
    )
    targets: Targets = field(default_factory=Targets, metadata={"check": _targets})
    window_days: int = field(default=7, metadata={"check": lambda v: _choice(_integer(v), (7, 30))})
    cost_per_agent_hour: float = field(default=30.0, metadata={"check": _number(0, 100000)})


def _choice(value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise ValueError(f"expected one of {', '.join(map(str, allowed))}, got {value!r}")
    return value


@dataclass(frozen=True)
class CoachingConfig:
    # The Coaching screen lists agents without a coaching note in this many days.
    not_coached_days: int = field(default=14, metadata={"check": lambda v: _in_range(_integer(v), 1, 365)})


def _in_range(value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise ValueError(f"must be between {lo} and {hi}, got {value}")
    return value


def _weights(value: Any) -> EngagementWeights:
    default = EngagementWeights()
    if not isinstance(value, Mapping):
        raise ValueError("expected a table of behavior figure = weight")
    weights = dict(default.weights)
    for name, raw in value.items():
        if name not in weights:
            raise ValueError(f"unknown behavior figure {name!r}; figures are {', '.join(weights)}")
        try:
            weights[name] = _number(0, 100)(raw)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    if not any(weights.values()):
        raise ValueError("at least one behavior figure needs a weight above 0")
    return EngagementWeights(weights=weights, caps=default.caps)


def _rules(value: Any) -> RecoveryRules:
    default = RecoveryRules()
    if not isinstance(value, Mapping):
        raise ValueError("expected a table of recovery rules")
    out: dict[str, Any] = {}
    checks = {
        "long_wait_factor": _number(1, 100),
        "abandons": lambda v: _in_range(_integer(v), 2, 100),
        "abandon_days": _number(1, 90),
        "repeat_hours": _number(1, 24 * 30),
        "transfers": lambda v: _in_range(_integer(v), 1, 100),
    }
    for name, raw in value.items():
        if name == "severity":
            if not isinstance(raw, Mapping) or set(raw) - set(default.severity):
                raise ValueError(
                    f"severity: expected a table of rule = weight; rules are {', '.join(default.severity)}"
                )
            out["severity"] = {**default.severity, **{k: _in_range(_integer(v), 0, 100) for k, v in raw.items()}}
        elif name in checks:
            try:
                out[name] = checks[name](raw)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        else:
            raise ValueError(f"unknown recovery rule {name!r}")
    return RecoveryRules(**out)


@dataclass(frozen=True)
class CustomersConfig:
    # Engagement (behavior) and emotion scores at or above these, 0 to 100, count as high.
    behavior_high: float = field(default=50.0, metadata={"check": _number(0, 100)})
    emotion_high: float = field(default=60.0, metadata={"check": _number(0, 100)})
    engagement: EngagementWeights = field(default_factory=EngagementWeights, metadata={"check": _weights})
    recovery: RecoveryRules = field(default_factory=RecoveryRules, metadata={"check": _rules})


@dataclass(frozen=True)
class DemoConfig:
    seed: int = field(default=7, metadata={"check": _integer})


def _url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a URL, got {value!r}")
    return value


_RULE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Keys a rule of each kind may have beyond the common ones (id, kind, severity,
# for_s, clear_s, queues, channels, teams).
_RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "service_level": ("margin", "min_contacts"),
    "abandon_rate": ("margin", "min_contacts"),
    "oldest_wait": ("factor",),
    "agents_short": ("short_by",),
    "not_ready": ("limits",),
    "after_contact_work": ("limit_s",),
}
_RULE_COMMON = ("id", "kind", "severity", "for_s", "clear_s", "queues", "channels", "teams")


def _names(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{what}: expected a list of names, got {value!r}")
    return frozenset(value)


def _reason_limits(value: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("limits: expected a table of not-ready reason = seconds (other = the rest)")
    out = []
    for reason, raw in value.items():
        try:
            out.append((str(reason).strip().lower(), _number(above=0)(raw)))
        except ValueError as exc:
            raise ValueError(f"limits.{reason}: {exc}") from None
    return tuple(out)


def _alert_rule(value: Any, n: int, seen: set[str]) -> AlertRule:
    if not isinstance(value, Mapping):
        raise ValueError(f"rule {n}: expected a table")
    rid = value.get("id")
    if not isinstance(rid, str) or not _RULE_ID.fullmatch(rid):
        raise ValueError(f"rule {n}: id: expected a name of letters, digits, - and _ (up to 64), got {rid!r}")
    where = f"rule {n} ({rid})"
    if rid in seen:
        raise ValueError(f"{where}: another rule has this id")
    seen.add(rid)
    kind = value.get("kind")
    if kind not in ALERT_KINDS:
        raise ValueError(f"{where}: kind: unknown kind {kind!r}; kinds are {', '.join(ALERT_KINDS)}")
    for key in value:
        if key not in _RULE_COMMON and key not in _RULE_PARAMS[kind]:
            allowed = ", ".join(_RULE_COMMON + _RULE_PARAMS[kind])
            raise ValueError(f"{where}: unknown key {key!r} for kind {kind}; keys are {allowed}")
    shipped = next(r for r in DEFAULT_ALERT_RULES if r.kind == kind)  # what an omitted key takes
    checks: dict[str, Any] = {
        "severity": lambda v: _choice(v, ALERT_SEVERITIES),
        "for_s": _number(0, 86400),
        "clear_s": _number(0, 86400),
        "margin": _number(0, 1),
        "min_contacts": lambda v: _in_range(_integer(v), 0, 100000),
        "factor": _number(above=0),
        "short_by": lambda v: _in_range(_integer(v), 1, 10000),
        "limit_s": _number(above=0),
        "limits": _reason_limits,
    }
    changes: dict[str, Any] = {"id": rid}
    scope: dict[str, frozenset[str]] = {}
    for key, raw in value.items():
        try:
            if key in ("queues", "channels", "teams"):
                scope[key] = _names(raw, key)
            elif key == "limits":
                changes["reason_limits_s"] = _reason_limits(raw)
            elif key in checks:
                changes[key] = checks[key](raw)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}" if str(exc).startswith("limits") else f"{where}: {key}: {exc}") from None
    if scope:
        changes["scope"] = AlertScope(**scope)
    return replace(shipped, **changes)


def _alert_rules(value: Any) -> tuple[AlertRule, ...]:
    if not isinstance(value, list):
        raise ValueError("expected a list of rules ([[alerts.rules]] tables)")
    seen: set[str] = set()
    return tuple(_alert_rule(v, n, seen) for n, v in enumerate(value, 1))


@dataclass(frozen=True)
class AlertBudgetConfig:
    # Alerts at most per agent and per queue in a site day, and on the whole floor in any hour.
    per_agent_day: int = field(default=2, metadata={"check": lambda v: _in_range(_integer(v), 0, 1000)})
    per_queue_day: int = field(default=6, metadata={"check": lambda v: _in_range(_integer(v), 0, 1000)})
    per_hour: int = field(default=12, metadata={"check": lambda v: _in_range(_integer(v), 0, 10000)})

    def budget(self) -> AlertBudget:
        return AlertBudget(self.per_agent_day, self.per_queue_day, self.per_hour)


WEBHOOK_FORMATS = ("json", "slack", "teams")


def _secret_url(value: Any) -> str | None:
    """A URL that may hold a secret: checked for its type only here, and never repeated."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("expected a URL in quotes")
    return value


@dataclass(frozen=True)
class AlertsConfig:
    enabled: bool = field(default=True, metadata={"check": _boolean})
    bell: bool = field(default=False, metadata={"check": _boolean})  # a terminal bell on a new alert
    budget: AlertBudgetConfig = field(default_factory=AlertBudgetConfig)
    rules: tuple[AlertRule, ...] = field(default=DEFAULT_ALERT_RULES, metadata={"check": _alert_rules})
    # Where a headless `floorview sync` posts new and resolved alerts. The URL may hold a
    # secret: never in a repr, a log or an error (only its scheme and host are shown).
    webhook_url: str | None = field(default=None, repr=False, metadata={"check": _secret_url})
    webhook_file: Path | None = field(default=None, metadata={"check": _path})  # a 0600 file holding the URL
    webhook_format: str = field(default="json", metadata={"check": lambda v: _choice(v, WEBHOOK_FORMATS)})
    webhook_timeout_s: float = field(default=10.0, metadata={"check": _number(1, 120)})


def _alerts_follow_queues(settings: Settings, values: Mapping[str, Any]) -> Settings:
    """A service-level rule without its own margin takes the Queues screen's
    (queues.sl_warn_margin): it fires where the screen shows a breach."""
    alerts = values.get("alerts")
    raw = alerts.get("rules") if isinstance(alerts, Mapping) else None
    given = [isinstance(r, Mapping) and "margin" in r for r in raw] if isinstance(raw, list) else []
    margin = settings.queues.sl_warn_margin
    rules = tuple(
        replace(r, margin=margin) if r.kind == "service_level" and not (i < len(given) and given[i]) else r
        for i, r in enumerate(settings.alerts.rules)
    )
    if rules == settings.alerts.rules:
        return settings
    return replace(settings, alerts=replace(settings.alerts, rules=rules))


@dataclass(frozen=True)
class Settings:
    db: Path | None = field(default=None, metadata={"check": _path})
    hub: str | None = field(default=None, metadata={"check": _url})
    token_file: Path | None = field(default=None, metadata={"check": _path})
    insecure_http: bool = field(default=False, metadata={"check": _boolean})
    proxy: str | None = field(default=None, metadata={"check": _url})
    long_poll: bool = field(default=True, metadata={"check": _boolean})
    offline: bool = field(default=False, metadata={"check": _boolean})
    refresh_s: float = field(default=1.0, metadata={"check": _number(0.2, 60)})
    site_timezone: str = field(default="", metadata={"check": _zone})
    show_clock: bool = field(default=False, metadata={"check": _boolean})
    low_bandwidth: bool = field(default=False, metadata={"check": _boolean})
    keys: dict[str, str] = field(default_factory=dict, metadata={"check": _keys})
    queues: QueuesConfig = field(default_factory=QueuesConfig)
    agents: AgentsConfig = field(default_factory=AgentsConfig)
    balance: BalanceConfig = field(default_factory=BalanceConfig)
    coaching: CoachingConfig = field(default_factory=CoachingConfig)
    customers: CustomersConfig = field(default_factory=CustomersConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)


def _build(cls: type, values: Any, where: str, problems: list[str]):
    """An instance of the dataclass `cls` from a mapping, collecting every problem."""
    if not isinstance(values, Mapping):
        problems.append(f"{where or 'settings'}: expected a table")
        return cls()
    known = {f.name: f for f in fields(cls)}
    for name in values:
        if name not in known:
            problems.append(f"{where}{name}: unknown setting")
    kwargs = {}
    for name, f in known.items():
        if name not in values:
            continue
        default = f.default_factory() if callable(f.default_factory) else f.default
        if is_dataclass(default) and "check" not in f.metadata:  # a section of settings
            kwargs[name] = _build(type(default), values[name], f"{where}{name}.", problems)
            continue
        try:
            kwargs[name] = f.metadata["check"](values[name])
        except ValueError as exc:
            problems.append(f"{where}{name}: {exc}")
    return cls(**kwargs)


def settings_from(values: Mapping[str, Any]) -> Settings:
    problems: list[str] = []
    settings = _build(Settings, values, "", problems)
    if problems:
        raise ConfigError("\n".join(problems))
    return _alerts_follow_queues(settings, values)


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("floorview", appauthor=False) / "config.toml"


ENV_PREFIX = "FLOORVIEW_"
# FLOORVIEW_* variables that are not the client's settings: its own secrets and
# config file, and the hub's (a jump host may run both with one environment).
NOT_SETTINGS = {
    "FLOORVIEW_CONFIG",
    "FLOORVIEW_TOKEN",
    "FLOORVIEW_HUB_BOOTSTRAP_TOKEN",
    "FLOORVIEW_ALERTS_WEBHOOK",
    "FLOORVIEW_HUB_CONFIG",
    "FLOORVIEW_HUB_DB",
    "FLOORVIEW_QUEUE_LOG_URL",
    "FLOORVIEW_CUSTOMER_KEY",
    "FLOORVIEW_CUSTOMER_KEY_FILE",
    "FLOORVIEW_AMI_USER",
    "FLOORVIEW_AMI_SECRET",
    "FLOORVIEW_AMI_SECRET_FILE",
}


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """FLOORVIEW_REFRESH_S=2, FLOORVIEW_QUEUES__SL_WARN_MARGIN=0.03; lists and
    tables as JSON (FLOORVIEW_KEYS='{"app.pause": "space"}')."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        value: Any = raw
        if raw[:1] in "[{":
            try:
                value = json.loads(raw)
            except ValueError:
                raise ConfigError(f"{name}: not valid JSON") from None
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_private(path: Path) -> None:
    """A config file holding a secret (alerts.webhook_url) is refused, as a token file is
    (sync/token.py), unless it is private (store/location.py, one rule with the hub's)."""
    from floorview.store.location import private_file_problem

    try:
        found = private_file_problem(path)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    if found is not None:
        problem, fix = found
        raise ConfigError(
            f"refusing config {path}: it holds alerts.webhook_url, a secret, and {problem}; {fix},"
            " or give the URL in FLOORVIEW_ALERTS_WEBHOOK or --alerts-webhook-file"
        )


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Defaults < config file < FLOORVIEW_* environment < flags (None flags are unset)."""
    env_config = os.environ.get("FLOORVIEW_CONFIG")
    explicit = config or (Path(env_config) if env_config else None)
    path = explicit or default_config_path()
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"config file {explicit} does not exist")
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from None
        alerts = values.get("alerts")
        if isinstance(alerts, Mapping) and alerts.get("webhook_url"):
            _check_private(path)
    values = _merge(values, _from_environment(os.environ))
    values = _merge(values, {k: v for k, v in flags.items() if v is not None})
    try:
        return settings_from(values)
    except ConfigError as exc:
        raise ConfigError(f"invalid settings (from {path}, FLOORVIEW_* or flags):\n{exc}") from None
