"""The hub's sources from its config file and `--source` (hub/source_config.py): config/hub.toml
documents exactly what the loader takes, defaults included; unknown keys, bad values and
exposed secrets are refused, naming the key and never showing a secret."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

from floorview.cli import main
from floorview.hub.source_config import (
    KIND_KEYS,
    QUEUE_KEYS,
    SITE_KEYS,
    SITE_TABLES,
    SourceConfigError,
    load_sources,
)
from floorview.sources.asterisk.queue_log.source import QueueLogSource, QueueLogTableSource
from floorview.sources.asterisk.settings import QueueSettings

HUB_TOML = Path(__file__).parent.parent / "config" / "hub.toml"
SECRET = "s3cr3t-Do-Not-Show"


def _documented(alternatives: bool) -> str:
    """config/hub.toml's settings: the "#: " lines, and with `alternatives` the "# key = " ones too."""
    out = []
    for line in HUB_TOML.read_text().splitlines():
        if line.startswith("#: "):
            out.append(line[3:])
        elif alternatives and re.match(r"# [a-z_]+ = ", line):
            out.append(line[2:])
    return "\n".join(out)


def test_hub_toml_documents_every_key_the_loader_takes_with_its_default():
    doc = tomllib.loads(_documented(alternatives=True))
    assert set(doc) == {"asterisk", "sources"}
    site = set(SITE_KEYS) | set(SITE_TABLES)
    assert set(doc["asterisk"]) == site
    assert set(doc["asterisk"]["default_queue"]) == set(QUEUE_KEYS) - {"name"}
    assert set(next(iter(doc["asterisk"]["queues"].values()))) <= set(QUEUE_KEYS)
    assert "name" in next(iter(doc["asterisk"]["queues"].values()))
    kinds = {t["kind"]: t for t in doc["sources"].values()}
    assert set(kinds) == set(KIND_KEYS)
    for kind, table in kinds.items():
        own = set(table) - {"kind"} - site
        assert own == set(KIND_KEYS[kind]), kind
        for key, (_, default) in KIND_KEYS[kind].items():
            if isinstance(default, (bool, int, float, str)):  # a default, not "required" or "unset"
                assert table[key] == default, f"{kind}.{key}"
    for key, (_, default) in SITE_KEYS.items():
        if default is not None:
            assert doc["asterisk"][key] == default, key
    for key, value in doc["asterisk"]["default_queue"].items():
        assert value == getattr(QueueSettings, key), key


def test_hub_toml_as_written_is_taken(tmp_path, monkeypatch):
    """Its settings, uncommented, with its secret files made (0600) where it names them."""
    folder = tmp_path / "etc"
    folder.mkdir(mode=0o700)
    for name, value in (("queue-log-db.url", f"sqlite:///{tmp_path}/asterisk.db"), ("ami.secret", SECRET)):
        (folder / name).write_text(value + "\n")
        (folder / name).chmod(0o600)
    (folder / "customer.key").write_text("k" * 32)
    (folder / "customer.key").chmod(0o600)
    config = folder / "hub.toml"
    config.write_text(_documented(alternatives=False).replace("/etc/floorview/", f"{folder}/"))
    config.chmod(0o600)
    for var in ("FLOORVIEW_AMI_USER", "FLOORVIEW_AMI_SECRET", "FLOORVIEW_AMI_SECRET_FILE", "FLOORVIEW_QUEUE_LOG_URL"):
        monkeypatch.delenv(var, raising=False)
    specs = load_sources(config, environ={})
    assert [(s.name, s.kind) for s in specs] == [
        ("queue-log", "asterisk-queue-log"),
        ("queue-log-db", "asterisk-queue-log-table"),
        ("ami", "asterisk-ami"),
    ]
    assert SECRET not in repr(specs) and "asterisk.db" not in repr(specs)
    file_source, table_source, ami = (s.build() for s in specs)
    assert isinstance(file_source, QueueLogSource) and file_source.path == Path("/var/log/asterisk/queue_log")
    assert isinstance(table_source, QueueLogTableSource) and table_source.table == "queue_log"
    settings = file_source.settings
    assert settings.customer_key == "k" * 32 and settings.teams == {"Paty Marin": "Canyon"}
    support = settings.queue("support")
    assert (support.name, support.sl_threshold_s, support.timezone) == ("Customer Support", 30, "America/Chicago")
    assert support.sl_target == 0.8  # the default queue's, under the queue's own
    assert ami.name == "ami" and ami.user == "floorview"


def _config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    folder = tmp_path / "conf"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "hub.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[sources.a]\nkind = "asterisk-queue-log"\npath = "/x"\npoll = 1\n', "sources.a.poll: no such setting"),
        ('[sources.a]\nkind = "asterisk-queue-log"\n', "sources.a.path: required"),
        ('[sources.a]\nkind = "asterisk-nope"\n', "sources.a.kind: one of"),
        ('[sources.a]\nkind = "asterisk-queue-log"\npath = "/x"\npoll_s = 0\n', "sources.a.poll_s: a number"),
        ("[asterisk.default_queue]\nsl_target = 1.5\n", "asterisk.default_queue.sl_target: a number from 0.0"),
        ('[asterisk.default_queue]\nname = "x"\n', "asterisk.default_queue.name: no such setting"),
        ('[asterisk.queues.q]\ntimezone = "Mars/Olympus"\n', "asterisk.queues.\"q\".timezone: 'Mars/Olympus'"),
        ('[asterisk.queues.q]\nchannel = "fax"\n', 'asterisk.queues."q".channel: one of voice'),
        ('[asterisk]\ncaller_ids = "all"\n', "asterisk.caller_ids:"),
        ("[asterisk]\nteams = 3\n", "asterisk.teams: a table"),
        ("hub_port = 1\n", "(top level).hub_port: no such setting"),
        (
            '[sources.t]\nkind = "asterisk-queue-log-table"\ntable = "queue_log; drop"\n',
            "sources.t.table: a table name",
        ),
        ('[sources.t]\nkind = "asterisk-queue-log-table"\n', "sources.t: no database URL: set FLOORVIEW_QUEUE_LOG_URL"),
        (
            '[sources.a]\nkind = "asterisk-queue-log"\npath = "/x"\n[sources.b]\nkind = "asterisk-queue-log"\npath = "/y"'
            "\n[sources.b.queues.q]\nsl_threshold_s = -1\n",
            'sources.b.queues."q".sl_threshold_s: a whole number',
        ),
    ],
)
def test_unknown_keys_and_bad_values_are_refused_naming_the_key(tmp_path, text, names):
    with pytest.raises(SourceConfigError) as caught:
        load_sources(_config(tmp_path, text), environ={})
    assert names in str(caught.value)


def test_a_config_holding_a_secret_must_be_private_and_secrets_are_never_shown(tmp_path):
    text = f'[sources.t]\nkind = "asterisk-queue-log-table"\nurl = "postgresql+psycopg://u:{SECRET}@db/asterisk"\n'
    path = _config(tmp_path, text, 0o644)
    with pytest.raises(SourceConfigError) as caught:
        load_sources(path, environ={})
    assert "others can read it" in str(caught.value) and "sources.t.url" in str(caught.value)
    assert SECRET not in str(caught.value)
    path.chmod(0o600)
    path.parent.chmod(0o755)
    with pytest.raises(SourceConfigError, match="directory"):
        load_sources(path, environ={})
    path.parent.chmod(0o700)
    (spec,) = load_sources(path, environ={})
    assert SECRET not in repr(spec) and SECRET not in repr(spec.build())

    # A URL with no password is no secret: a readable config naming an SQLite file is fine.
    plain = _config(tmp_path, '[sources.t]\nkind = "asterisk-queue-log-table"\nurl = "sqlite:///x.db"\n', 0o644)
    assert load_sources(plain, environ={})[0].kind == "asterisk-queue-log-table"

    # A customer key inline is a secret too; a key file must be 0600, and its content never shown.
    keyed = _config(tmp_path, f'[asterisk]\ncustomer_key = "{SECRET}"\n', 0o640)
    with pytest.raises(SourceConfigError, match="asterisk.customer_key"):
        load_sources(keyed, environ={})
    key = tmp_path / "key"
    key.write_text(SECRET)
    key.chmod(0o644)
    with pytest.raises(SourceConfigError) as caught:
        load_sources(None, ["asterisk-queue-log:/x"], environ={"FLOORVIEW_CUSTOMER_KEY_FILE": str(key)})
    assert "chmod 600" in str(caught.value) and SECRET not in str(caught.value)
    key.chmod(0o600)
    (spec,) = load_sources(None, ["asterisk-queue-log:/x"], environ={"FLOORVIEW_CUSTOMER_KEY_FILE": str(key)})
    assert spec.settings.customer_key == SECRET and SECRET not in repr(spec)


def test_sources_from_the_command_line_beside_the_config_file(tmp_path):
    config = _config(
        tmp_path,
        '[asterisk]\ndefault_team = "Canyon"\n[asterisk.teams]\n"Ann" = "Mesa"\n'
        '[sources.main]\nkind = "asterisk-queue-log"\npath = "/var/log/asterisk/queue_log"\n'
        '[sources.main.teams]\n"Bob" = "Ridge"\n',
        0o644,
    )
    env = {
        "FLOORVIEW_QUEUE_LOG_URL": f"sqlite:///{tmp_path}/a.db",
        "FLOORVIEW_AMI_USER": "fv",
        "FLOORVIEW_AMI_SECRET": SECRET,
    }
    specs = load_sources(
        config,
        ["asterisk-queue-log:/tmp/other_log", "asterisk-queue-log-table", "asterisk-ami:[::1]:5038"],
        environ=env,
    )
    assert [s.name for s in specs] == [
        "main",
        "asterisk-queue-log:/tmp/other_log",
        "asterisk-queue-log-table",
        "asterisk-ami:::1:5038",
    ]
    main_spec, other, table, ami = specs
    assert main_spec.settings.teams == {"Ann": "Mesa", "Bob": "Ridge"}  # the source's add to the shared ones
    assert other.settings.teams == {"Ann": "Mesa"} and other.settings.default_team == "Canyon"
    assert SECRET not in repr(specs)
    built = ami.build()
    assert (built.host, built.port, built.user) == ("::1", 5038, "fv")

    for url, said in (("not a url", "not an SQLAlchemy URL"), ("nodb+nodriver://x/y", "no database driver")):
        with pytest.raises(SourceConfigError, match=said) as caught:
            load_sources(None, ["asterisk-queue-log-table"], environ={"FLOORVIEW_QUEUE_LOG_URL": url})
        assert url not in str(caught.value)
    with pytest.raises(SourceConfigError, match="two sources named"):
        load_sources(None, ["asterisk-queue-log:/x", "asterisk-queue-log:/x"], environ={})
    with pytest.raises(SourceConfigError, match="no AMI secret"):
        load_sources(None, ["asterisk-ami:127.0.0.1:5038"], environ={"FLOORVIEW_AMI_USER": "fv"})
    with pytest.raises(SourceConfigError, match="asterisk-ami:HOST:PORT"):
        load_sources(None, ["asterisk-ami:localhost"], environ={})
    with pytest.raises(SourceConfigError, match="the kind is one of"):
        load_sources(None, ["queue_log:/x"], environ={})


def test_the_ami_source_missing_is_said_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "floorview.sources.asterisk.ami.source", None)
    env = {"FLOORVIEW_AMI_USER": "fv", "FLOORVIEW_AMI_SECRET": SECRET}
    with pytest.raises(SourceConfigError, match="the asterisk-ami source is not in this floorview"):
        load_sources(None, ["asterisk-ami:127.0.0.1:5038"], environ=env)


def test_floorview_hub_refuses_a_url_on_its_command_line_and_a_bad_config(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FLOORVIEW_HUB_CONFIG", raising=False)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    url = f"mysql://u:{SECRET}@db/asterisk"
    assert main(["hub", "--db", db, "--source", f"asterisk-queue-log-table:{url}"]) == 2
    err = capsys.readouterr().err
    assert "takes no URL on the command line" in err and SECRET not in err
    bad = _config(tmp_path, '[sources.a]\nkind = "asterisk-queue-log"\npath = "/x"\nspeed = 2\n')
    assert main(["hub", "--db", db, "--config", str(bad)]) == 2
    assert "sources.a.speed: no such setting" in capsys.readouterr().err
    monkeypatch.setenv("FLOORVIEW_HUB_CONFIG", str(tmp_path / "missing.toml"))
    assert main(["hub", "--db", db]) == 2
    assert "missing.toml does not exist" in capsys.readouterr().err
    assert not (tmp_path / "hub.db").exists()  # refused before anything was made
    assert os.environ.get("FLOORVIEW_HUB_CONFIG")


def test_hub_status_shows_a_queue_log_sources_reads_version_and_what_it_could_not_map(tmp_path, capsys):
    import threading
    import time

    from floorview.hub.hubstore import HubStore, open_hub_engine
    from floorview.hub.sources import SourceRunner
    from floorview.sources.asterisk.settings import AsteriskSettings

    log = tmp_path / "queue_log"
    log.write_text(
        "1764600000|1764600000.1|support|NONE|ENTERQUEUE||5551234|1\n"
        "1764600009|1764600000.1|support|PJSIP/1001|CONNECT|9|1764600000.2|3\n"
        "not a line\n\x1b[2J|x\n"
    )
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore(open_hub_engine(url))
    runner = SourceRunner(store, QueueLogSource(log, AsteriskSettings(), name="ql", poll_s=0.02))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    assert runner.ready.wait(30)
    time.sleep(0.1)
    runner.stop.set()
    thread.join(10)
    store.engine.dispose()
    assert main(["hub", "status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("source ql: running")
    assert "behind the platform (last record 2025-12-01 14:40:09 UTC)" in out
    assert "platform: Asterisk " in out  # the versions the data fits, in words
    assert "not mapped: 2" in out and "fewer than 5 fields: 2" in out and "e.g. not a line" in out
    assert "\x1b" not in out
    state = HubStore(open_hub_engine(url)).source_state("ql")
    if hasattr(state, "records_read"):  # once the hub counts them
        assert "lines or events read: 4" in out


def test_queue_log_agents_auto_is_no_beside_an_ami_source_and_yes_alone(tmp_path):
    base = '[sources.ql]\nkind = "asterisk-queue-log"\npath = "/x"\n'
    ami = '[sources.ami]\nkind = "asterisk-ami"\nhost = "127.0.0.1"\nuser = "fv"\n'
    table = '[sources.db]\nkind = "asterisk-queue-log-table"\nurl = "sqlite:///x.db"\n'
    env = {"FLOORVIEW_AMI_SECRET": SECRET, "FLOORVIEW_AMI_USER": "fv"}

    def writes(text: str, flags: list[str] | None = None) -> dict[str, bool]:
        specs = load_sources(_config(tmp_path, text, 0o644), flags, environ=env)
        return {s.name: s.build().agents for s in specs if s.kind != "asterisk-ami"}  # type: ignore[attr-defined]

    assert writes(base + table) == {"ql": True, "db": True}
    assert writes(base + table + ami) == {"ql": False, "db": False}
    assert writes(base, ["asterisk-ami:127.0.0.1:5038"]) == {"ql": False}  # an AMI from the command line too
    assert writes(base + 'agents = "yes"\n' + ami) == {"ql": True}
    assert writes(base + 'agents = "no"\n') == {"ql": False}
    with pytest.raises(SourceConfigError, match='sources.ql.agents: "auto", "yes" or "no"'):
        writes(base + "agents = true\n")


@pytest.mark.parametrize("agents", ["auto", "yes"])
def test_beside_an_ami_source_the_hub_keeps_amis_agent_state_and_queue_logs_calls(tmp_path, agents):
    """Both sources from one config file, run by the hub's SourceRunner into one HubStore. AMI
    says Bob is on a call (device in use, a call outside the queues, which queue_log never logs);
    queue_log, later, logs his PAUSE. With agents = "auto" the queue_log writes no agent: the
    hub keeps AMI's on_contact, and queue_log's call. With "yes" its newer line would win
    (not_ready): the conflict the rule avoids."""
    import threading
    import time

    from floorview.hub.hubstore import HubStore, open_hub_engine
    from floorview.hub.sources import SourceRunner
    from tests.fake_ami import FakeAmi, Script

    now = int(time.time())
    log = tmp_path / "queue_log"
    log.write_text(
        f"{now + 4}|NONE|sales|Bob Stone|ADDMEMBER|\n"
        f"{now + 5}|NONE|sales|Bob Stone|PAUSE|Lunch\n"
        f"{now + 6}|{now}.7|sales|NONE|ENTERQUEUE||5551234|1\n"
    )
    member = {"Event": "QueueMember", "Queue": "sales", "Name": "Bob Stone", "Location": "PJSIP/1002"}
    snapshot = [
        {"Event": "QueueParams", "Queue": "sales"},
        {**member, "StateInterface": "PJSIP/1002", "Status": "2", "Paused": "0", "InCall": "0"},
    ]
    secret = tmp_path / "ami.secret"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    with FakeAmi([Script(snapshot=snapshot)], user="fv", secret=SECRET) as fake:
        config = _config(
            tmp_path,
            f'[sources.ql]\nkind = "asterisk-queue-log"\npath = "{log}"\npoll_s = 0.02\nagents = "{agents}"\n'
            f'[sources.ami]\nkind = "asterisk-ami"\nhost = "127.0.0.1"\nport = {fake.port}\nuser = "fv"\n'
            f'secret_file = "{secret}"\n',
            0o644,
        )
        runners = [SourceRunner(store, spec.build()) for spec in load_sources(config, environ={})]
        threads = [threading.Thread(target=r.run, daemon=True) for r in runners]
        for thread in threads:
            thread.start()
        try:
            assert all(r.ready.wait(20) for r in runners)
            end = time.monotonic() + 10
            while (
                store.current("agent", "Bob%20Stone") is None or store.current("interaction", f"{now}.7@sales") is None
            ):
                assert time.monotonic() < end, "timed out"
                time.sleep(0.02)
            time.sleep(0.3)  # anything else either source would write
        finally:
            for r in runners:
                r.stop.set()
            for thread in threads:
                thread.join(10)
    bob = store.current("agent", "Bob%20Stone")
    assert bob is not None
    assert bob["data"]["state"] == ("on_contact" if agents == "auto" else "not_ready")
    call = store.current("interaction", f"{now}.7@sales")
    assert call is not None and call["data"]["customer_id"] is not None  # queue_log's calls are written either way
    store.engine.dispose()
