"""A team's huddle and export: the team's own work, the queues it serves, per channel.

Usability walk M1 and M2: Canyon (11 of 64 agents) was credited with every
answer on every queue it touches, and waits were averaged over voice, chat
and email together. The reference figures here are counted from the
contacts themselves, not from the per-interval sums the huddle reads. The team
here is Harbor (11 of 64 agents, serving 7 of the 8 queues: all but Tech chat);
on the demo floor Canyon now serves all 8, which would not tell its queues apart.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from floorview.cli import main
from floorview.tui.huddle.screen import HuddleScreen

from .conftest import make_app, settle, wait_for

DAY_START = datetime(2026, 11, 20, 5, 0, tzinfo=timezone.utc).timestamp()  # midnight EST, the sample's day
TEAM = "Harbor"


def _reference(store, team: str | None) -> dict[str, dict]:
    """Per channel, counted contact by contact: the team's own answered and
    AHT, and the served queues' offered, service level, wait and abandons."""
    con = sqlite3.connect(store)
    if team:
        queues = {
            q
            for (q,) in con.execute(
                "SELECT DISTINCT aq.queue_id FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id WHERE a.team = ?",
                (team,),
            )
        }
    else:
        queues = {q for (q,) in con.execute("SELECT id FROM queue")}
    settings = {
        q: (thr, short) for q, thr, short in con.execute("SELECT id, sl_threshold_s, short_abandon_s FROM queue")
    }
    out: dict[str, dict] = {}
    for channel, queue, agent_team, enq, ans, aban, end, wrap in con.execute(
        "SELECT i.channel, i.queue_id, a.team, i.enqueued_at, i.answered_at, i.abandoned_at, i.ended_at, i.wrap_s"
        " FROM interaction i LEFT JOIN agent a ON a.id = i.agent_id WHERE i.enqueued_at >= ?",
        (DAY_START,),
    ):
        r = out.setdefault(
            channel,
            dict(
                answered=0, handled=0, handle=0.0, offered=0, in_sl=0, den=0, waited=0.0, served_answered=0, abandoned=0
            ),
        )
        if ans is not None and (team is None or agent_team == team):
            r["answered"] += 1
            if end is not None:
                r["handled"] += 1
                r["handle"] += end - ans + (wrap or 0)
        if queue not in queues:
            continue
        thr, short = settings[queue]
        r["offered"] += 1
        if ans is not None:
            r["served_answered"] += 1
            r["den"] += 1
            r["waited"] += ans - enq
            r["in_sl"] += ans - enq <= thr
        elif aban is not None and aban - enq >= short:
            r["abandoned"] += 1
            r["den"] += 1
    return out


def _pct(num, den) -> str:
    return f"{num / den * 100:.0f}%" if den else "–"


def _table(markdown: str) -> dict[str, list[str]]:
    lines = markdown.splitlines()
    head = lines.index("| Channel | Answered | AHT | Offered | Service level | Average wait | Abandoned |")
    rows = {}
    for line in lines[head + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0]] = cells[1:]
    return rows


def test_a_teams_export_counts_its_own_work_and_its_queues_per_channel(sample_store, capsys):
    assert main(["export", "huddle", "--db", str(sample_store), "--team", "harbor", "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Huddle: Team Harbor, ")  # the team named as the feed spells it
    rows = _table(text)
    ref = _reference(sample_store, TEAM)
    floor_answered = sum(r["answered"] for r in _reference(sample_store, None).values())
    team_answered = 0
    for channel, r in ref.items():
        if not r["offered"] and not r["answered"]:
            continue
        answered, _aht, offered, sl, _wait, abandoned = rows[channel]
        assert int(answered) == r["answered"]
        assert int(offered) == r["offered"]
        assert sl == _pct(r["in_sl"], r["den"])
        assert abandoned == _pct(r["abandoned"], r["den"])
        team_answered += r["answered"]
    assert int(rows["all channels"][0]) == team_answered < floor_answered / 3  # 11 of 64 agents
    # Counts add up across channels; waits and handle times never do.
    assert rows["all channels"][1] == rows["all channels"][4] == "–"
    assert rows["all channels"][3] == _pct(sum(r["in_sl"] for r in ref.values()), sum(r["den"] for r in ref.values()))
    # Harbor's agents serve 7 queues, every one but Tech chat (SQL on sample.db's agent_queue)
    assert "the 7 queues Harbor serves, all teams' work included" in text


def test_the_floor_export_shows_every_channels_wait_apart(sample_store, capsys):
    assert main(["export", "huddle", "--db", str(sample_store), "--format", "md"]) == 0
    rows = _table(capsys.readouterr().out)
    ref = _reference(sample_store, None)
    for channel in ("voice", "chat", "email"):
        r = ref[channel]
        wait = r["waited"] / r["served_answered"]
        shown = rows[channel][4]
        # m:ss under an hour, h:mm past it (email waits hours; voice seconds).
        expected = (
            f"{int(wait)}s"
            if wait < 60
            else (
                f"{int(wait) // 60}:{int(wait) % 60:02d}"
                if wait < 3600
                else f"{int(wait) // 3600}h{int(wait) % 3600 // 60:02d}"
            )
        )
        assert shown == expected, channel
    assert rows["voice"][4] != rows["email"][4]


async def test_the_huddle_screen_shows_the_teams_own_answers_for_the_busiest_channel(sample_store):
    ref = _reference(sample_store, TEAM)
    app = make_app(sample_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        for _ in range(7):
            await pilot.press("t")
            await wait_for(pilot, lambda: app.screen._huddle is not None and app.screen._huddle.team == app.screen.team)
            if app.screen.team == TEAM:
                break
        assert isinstance(app.screen, HuddleScreen) and app.screen.team == TEAM
        busiest = max(ref, key=lambda c: ref[c]["offered"])
        assert busiest == "voice"
        await pilot.pause(0.05)
        answered = app.screen.query_one("#answered").value
        assert int(answered) == ref["voice"]["answered"]
        assert "Harbor answered · voice" in str(app.screen.query_one("#answered-label").render())  # 80 columns
        assert "Team Harbor" in str(app.screen.query_one("#marker").render())
        await pilot.press("c")  # the next channel in large type
        await wait_for(pilot, lambda: "chat" in str(app.screen.query_one("#answered-label").render()))
        assert int(app.screen.query_one("#answered").value) == ref["chat"]["answered"]
        assert "chat" in str(app.screen.query_one("#asa-label").render())


async def test_e_explains_the_huddle_figures_and_how_channels_add_up(sample_store):
    from floorview.tui.modals.explain import ExplainScreen

    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HuddleScreen) and app.screen._huddle is not None)
        await pilot.press("e")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ExplainScreen)
        text = " ".join(" ".join(w.render().plain for w in app.screen.query("Static")).split())
        ref = _reference(sample_store, None)["voice"]
        assert f"voice: {ref['in_sl']} / {ref['den']} = " in text
        assert "per channel only" in text and "counts add up across queues" in text
        assert "Today since 00:00 America/New_York" in text


def test_the_talk_and_walk_sentence_counts_the_teams_visible_coaching(sample_store, capsys):
    # Usability walk m11: every team's huddle said the floor's sentence. It is
    # now the team's, of the team-visible notes the huddle counts (no private one).
    now = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc).timestamp()
    topics = [
        t
        for (t,) in sqlite3.connect(sample_store).execute(
            "SELECT n.topic FROM note n JOIN agent a ON a.id = n.agent_id WHERE n.type = 'coaching'"
            " AND n.visibility = 'team' AND a.team = ? AND n.topic IS NOT NULL AND n.created_at >= ? AND n.created_at < ?",
            (TEAM, now - 7 * 86400, now),
        )
    ]
    top = max(set(topics), key=lambda t: (topics.count(t), -["quality", "cost", "time", "risk"].index(t)))
    share = round(topics.count(top) / len(topics) * 100)
    assert main(["export", "huddle", "--db", str(sample_store), "--team", TEAM, "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert "## Talk and walk: Harbor's coaching" in text
    assert f"{share}% of" in text and top.title() in text.split("## Talk and walk")[1]
    assert "in team notes this week" in text


def test_the_export_counts_one_note_in_the_singular(sample_store, capsys) -> None:
    """m23 in the minutes too: Meadow left one team note this week reads "(1 note, no names)", never "1 notes"."""
    from tests.test_huddle_tui import keep_team_notes

    keep_team_notes(sample_store, "Meadow", 1)
    for fmt in ("md", "html"):
        assert main(["export", "huddle", "--db", str(sample_store), "--team", "Meadow", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "(1 note, no names)" in out and "1 notes" not in out
