"""The Queues screen's Agents verdict (issue 12, M6): agents needed against
those who could take the queue's next contact, never ✓ beside a queue whose
staffed agents are all busy on other queues."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from floorview.domain.erlang import erlang_c
from floorview.domain.metrics import Level, Staffing
from floorview.store.apply import Applier
from floorview.store.engine import open_engine, open_reader
from floorview.store.reads import queue_snapshots
from floorview.tui.queues.cells import staff_level
from floorview.tui.queues.screen import QueuesScreen
from floorview.tui.modals.explain import ExplainScreen

from .conftest import make_app, settle

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 20, 10, 30, tzinfo=NY)


def test_who_could_take_the_next_contact():
    s = Staffing(
        {"available": 2, "on_contact": 6, "after_contact_work": 3, "not_ready": 4, "offline": 5},
        elsewhere={"on_contact": 4, "after_contact_work": 1},
    )
    assert s.staffed == 11  # available, on contact, wrap-up: whichever queue's contact
    assert s.can_take == 2 + (6 - 4) + (3 - 1)  # available, and those busy with this queue's contacts
    assert s.busy_here == 4
    assert s.occupancy_here == pytest.approx(4 / 6)
    assert Staffing({"on_contact": 3}, elsewhere={"on_contact": 3}).can_take == 0
    assert Staffing({"available": 3}).can_take == 3
    assert Staffing().can_take == 0 and Staffing().occupancy_here is None


def test_the_verdict_is_have_against_need():
    assert staff_level(12, 15) == Level.OK
    assert staff_level(12, 12) == Level.OK
    assert staff_level(12, 11) == Level.WARN  # one short
    assert staff_level(12, 10) == Level.BREACH
    assert staff_level(1, 0) == Level.BREACH  # nobody at all is never "nearly"
    assert staff_level(None, 4) == Level.NONE  # nothing to base a need on: no sign
    assert staff_level(0, 0) == Level.OK  # no traffic, nobody needed


def _at(minutes: float) -> str:
    return (AT + timedelta(minutes=minutes)).isoformat()


def build_floor(path: Path) -> None:
    """Two queues served by the same four agents, all four on Back office contacts.

    Front desk: 20 contacts in the last 20 minutes, each answered after 10 s
    and handled in 180 s; no abandons today. Also serving it: one agent on a
    contact the store does not hold, and one not ready. Back office: the four
    agents' contacts, and one more agent, available, serving it alone.
    """
    changes: list[dict] = []

    def add(kind: str, id_: str, data: dict) -> None:
        changes.append({"kind": kind, "id": id_, "version": 1, "op": "upsert", "data": data})

    add("queue", "q-front", {"name": "Front desk", "channel": "voice", "timezone": "America/New_York"})
    add("queue", "q-back", {"name": "Back office", "channel": "voice", "timezone": "America/New_York"})
    for k in range(20):
        t = -20 + k
        add(
            "interaction",
            f"i-front-{k}",
            {
                "queue_id": "q-front",
                "channel": "voice",
                "enqueued_at": _at(t),
                "answered_at": _at(t + 10 / 60),
                "ended_at": _at(t + 190 / 60),
                "wrap_s": 0,
            },
        )
    for k in range(1, 5):
        add(
            "interaction",
            f"i-back-{k}",
            {
                "queue_id": "q-back",
                "channel": "voice",
                "agent_id": f"a{k}",
                "enqueued_at": _at(-3),
                "answered_at": _at(-2),
            },
        )
        add(
            "agent",
            f"a{k}",
            {
                "name": f"Agent {k}",
                "team": "Canyon",
                "state": "on_contact",
                "state_since": _at(-2),
                "queues": ["q-front", "q-back"],
                "interaction_id": f"i-back-{k}",
            },
        )
    add(
        "agent",
        "a5",
        {"name": "Agent 5", "team": "Canyon", "state": "available", "state_since": _at(-5), "queues": ["q-back"]},
    )
    add(
        "agent",
        "a6",
        {"name": "Agent 6", "team": "Canyon", "state": "not_ready", "state_since": _at(-5), "queues": ["q-front"]},
    )
    add(
        "agent",
        "a7",
        {
            "name": "Agent 7",
            "team": "Canyon",
            "state": "on_contact",
            "state_since": _at(-1),
            "queues": ["q-front"],
            "interaction_id": "i-not-in-the-store",
        },
    )
    engine = open_engine(path)
    with engine.begin() as conn:
        Applier(conn, AT.timestamp()).apply(changes)
    engine.dispose()


@pytest.fixture
def floor(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "floorview.db"
    build_floor(path)
    return path


def front_desk_need() -> int:
    """By hand: 20 offered in the 29-minute window to the minute, AHT 180 s, no
    abandons (Erlang C), 80% within 20 s: count up from one agent."""
    rate, n = 20 / (29 * 60), 1
    while erlang_c(n, rate, 180, 20).service_level < 0.8:
        n += 1
    return n


def test_the_store_counts_agents_busy_on_other_queues(floor):
    snaps = {s.id: s for s in queue_snapshots(open_reader(floor), AT.timestamp())}
    front, back = snaps["q-front"].staffing, snaps["q-back"].staffing
    assert front.by_state == {"on_contact": 5, "not_ready": 1}
    assert front.staffed == 5 and front.elsewhere == {"on_contact": 5} and front.unknown == 1
    assert front.can_take == 0
    assert back.by_state == {"on_contact": 4, "available": 1}
    assert back.elsewhere == {} and back.can_take == 5


async def test_no_tick_beside_a_queue_whose_agents_are_all_busy_elsewhere(floor):
    need = front_desk_need()
    assert 0 < need <= 5  # the old count, staffed 5, would have shown ✓
    app = make_app(floor, now=AT.timestamp())
    async with app.run_test(size=(80, 24)) as pilot:
        table = await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
        front = table.get_cell("q-front", "agents").plain.strip()
        assert front == f"✗ {need}/0" and "✓" not in front
        assert table.get_cell("q-back", "agents").plain.strip() == "–/5"  # nothing handled: no need, no sign
        header = [c.label for c in table.columns_now]
        assert "Need/have" in header
        table.move_cursor(row=1, column=[c.key for c in table.columns_now].index("agents"))  # Front desk
        assert table.current_key == "q-front"
        await pilot.press("e")
        assert isinstance(app.screen, ExplainScreen)
        body = " ".join(str(app.screen.query_one("#body").render()).split())
        assert f"{need}: the fewest agents for 80% within 20 s, by Erlang C" in body
        assert "0 could take this queue's next contact now" in body
        assert "5 busy with another queue's contact" in body
        assert "1 on a contact the store does not hold" in body
        assert "not ready 1" in body


async def test_words_in_the_cell_on_a_wide_screen(floor):
    need = front_desk_need()
    app = make_app(floor, now=AT.timestamp())
    async with app.run_test(size=(200, 40)) as pilot:
        table = await settle(pilot)
        assert table.get_cell("q-front", "agents").plain.strip() == f"✗ need {need} · have 0"
