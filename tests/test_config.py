"""Settings: the documented file, precedence, and clear errors."""

from __future__ import annotations

import pytest

from floorview.config import ConfigError, Settings, load_settings

from .conftest import ROOT

DOCUMENTED = ROOT / "config" / "floorview.toml"


def test_documented_config_is_exactly_the_defaults():
    assert load_settings(DOCUMENTED) == Settings()


def test_documented_config_names_every_setting():
    from dataclasses import fields, is_dataclass

    text = DOCUMENTED.read_text()
    defaults = Settings()
    for f in fields(Settings):
        assert f.name in text, f.name
        value = getattr(defaults, f.name)
        if is_dataclass(value):
            for inner in fields(value):
                assert inner.name in text, f"{f.name}.{inner.name}"


def test_precedence_file_then_environment_then_flags(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text("refresh_s = 2.0\n[queues]\nsl_warn_margin = 0.1\n")
    assert load_settings(cfg).refresh_s == 2.0
    monkeypatch.setenv("FLOORVIEW_REFRESH_S", "3")
    monkeypatch.setenv("FLOORVIEW_QUEUES__SL_WARN_MARGIN", "0.2")
    s = load_settings(cfg)
    assert s.refresh_s == 3.0 and s.queues.sl_warn_margin == 0.2
    assert load_settings(cfg, db=tmp_path / "x.db").db == tmp_path / "x.db"
    monkeypatch.setenv("FLOORVIEW_CONFIG", str(cfg))
    monkeypatch.delenv("FLOORVIEW_REFRESH_S")
    assert load_settings().refresh_s == 2.0


@pytest.mark.parametrize(
    "body, words",
    [
        ("refresh_s = 0\n", "refresh_s"),
        ("refresh_s = nan\n", "finite"),
        ("[queues]\nsl_warn_margin = 'lots'\n", "queues.sl_warn_margin"),
        ("[agents.time_in_state]\nlunch = [1, 2, 3]\n", "unknown agent state"),
        ("[keys]\n'app.pause' = 3\n", "binding id"),
        ("site_timezone = 'Mars/Olympus'\n", "unknown time zone"),
        ("[agents.time_in_state]\navailable = [60, 10, 300]\n", "must rise"),
        ("colour = 'pink'\n", "colour"),
        ("refresh_s = [\n", "cannot read config"),
    ],
)
def test_bad_settings_are_named(tmp_path, body, words):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError):
        try:
            load_settings(cfg)
        except ConfigError as exc:
            assert words in str(exc)
            raise


def test_every_problem_is_reported_at_once(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("refresh_s = 0\nshow_clock = 'maybe'\n[demo]\nseed = 'x'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    message = str(caught.value)
    assert "refresh_s" in message and "show_clock" in message and "demo.seed" in message


def test_missing_named_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_every_floorview_variable_the_code_reads_is_a_setting_or_known_not_to_be_one(monkeypatch):
    """The client refuses an unknown FLOORVIEW_* variable (a typo is not silently ignored), so
    every one the code reads elsewhere (its own secrets, the hub's and its sources') is
    listed as not a setting: a jump host running both keeps one environment."""
    import re

    from floorview.config import NOT_SETTINGS

    read = set()
    for path in (ROOT / "src" / "floorview").rglob("*.py"):
        read |= set(re.findall(r'"(FLOORVIEW_[A-Z_]+)"', path.read_text()))
    for name in read - NOT_SETTINGS:  # the rest are settings, which the client takes
        monkeypatch.delenv(name, raising=False)
    for name in NOT_SETTINGS - {"FLOORVIEW_CONFIG"}:  # that one names the client's own file
        monkeypatch.setenv(name, "x")
    load_settings()  # none refused
    assert {"FLOORVIEW_HUB_DB", "FLOORVIEW_AMI_SECRET", "FLOORVIEW_HUB_CONFIG"} <= NOT_SETTINGS
    assert read - NOT_SETTINGS <= {"FLOORVIEW_DB", "FLOORVIEW_HUB", "FLOORVIEW_REFRESH_S", "FLOORVIEW_KEYS"}
