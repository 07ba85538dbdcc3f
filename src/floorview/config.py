"""Settings: defaults < config file < FLOORVIEW_* environment < command-line flags.

Every key is documented, with its default, in config/floorview.toml.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

STATES = ("available", "on_contact", "after_contact_work", "not_ready", "offline")


class ConfigError(Exception):
    """A config that cannot be used; the message is meant for the user."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


Thresholds = Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=3, max_length=3)]


class AgentsConfig(_Section):
    # Seconds in a state after which the time is shown as notable, warning, alert.
    time_in_state: dict[str, Thresholds] = Field(
        default_factory=lambda: {
            "available": [10, 60, 300],
            "on_contact": [300, 600, 1200],
            "after_contact_work": [30, 60, 300],
            "not_ready": [60, 300, 900],
            "offline": [86400, 86400 * 2, 86400 * 3],
        }
    )

    @field_validator("time_in_state")
    @classmethod
    def _ascending(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        for state, levels in value.items():
            if state not in STATES:
                raise ValueError(f"unknown agent state {state!r}; states are {', '.join(STATES)}")
            if levels != sorted(levels):
                raise ValueError(f"{state}: thresholds must rise, got {levels}")
        return value


class QueuesConfig(_Section):
    # How far below target a figure may be before it shows as a breach, not a warning.
    sl_warn_margin: float = Field(0.05, ge=0, le=1)
    abandon_warn_margin: float = Field(0.02, ge=0, le=1)
    aht_warn_margin_s: float = Field(30, ge=0)


class DemoConfig(_Section):
    seed: int = 7


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLOORVIEW_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    db: Path | None = None
    offline: bool = False
    refresh_s: float = Field(1.0, ge=0.2, le=60)
    site_timezone: str = ""
    show_clock: bool = False
    keys: dict[str, str] = Field(default_factory=dict)
    queues: QueuesConfig = Field(default_factory=QueuesConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    demo: DemoConfig = Field(default_factory=DemoConfig)

    @field_validator("site_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            from zoneinfo import ZoneInfo

            try:
                ZoneInfo(value)
            except (ValueError, KeyError, OSError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _CONFIG_PATH.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


_CONFIG_PATH: dict[str, Path | None] = {}


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("floorview", appauthor=False) / "config.toml"


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Read the settings; flags that are None are left to the other sources."""
    explicit = config or (Path(os.environ["FLOORVIEW_CONFIG"]) if os.environ.get("FLOORVIEW_CONFIG") else None)
    path = explicit or default_config_path()
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"config file {explicit} does not exist")
    _CONFIG_PATH["path"] = path if path.is_file() else None
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        lines = [f"invalid settings (from {path}, FLOORVIEW_* or flags):"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    except (OSError, ValueError) as exc:  # unreadable file, TOML syntax
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    finally:
        _CONFIG_PATH.clear()
