"""Hostile text from the feed reaches the screens as plain characters, never as
markup, links, actions or terminal control."""

from __future__ import annotations

from datetime import timedelta

from rich.segment import Segment
from sqlalchemy import select

from floorview.domain.text import clean
from floorview.store import schema
from floorview.store.apply import Applier
from floorview.store.engine import open_engine

from .conftest import SAMPLE_AT, make_app, settle

CORPUS = [
    "[/b]",
    "[link=https://x]y[/link]",
    "[@click=app.quit]boom[/]",
    "\x1b]52;c;aGVsbG8=\x07",
    "\x1b[2J",
    "\u202eevil",
    "[bold red]loud[/]",
    ":smile: \x9b31m",
]
HUGE = "A" * (1 << 20)


def test_clean_removes_every_control_character():
    assert clean("a\x00b\x1bc\x7fd\x85e\u202af\u2066g\u2069\tkeep\nkeep") == "abcdefg\tkeep\nkeep"
    for text in CORPUS:
        assert not any(ch in clean(text) for ch in "\x1b\x07\x9b\u202e")


def _hostile_changes(at: str) -> list[dict]:
    changes = []
    for k, text in enumerate(CORPUS):
        qid = f"q-hostile-{k}"
        changes.append(
            {
                "kind": "queue",
                "id": qid,
                "version": 1,
                "op": "upsert",
                "data": {"name": f"Q{k} {text}", "channel": "voice", "timezone": "UTC"},
            }
        )
        changes.append(
            {
                "kind": "agent",
                "id": f"a-hostile-{k}",
                "version": 1,
                "op": "upsert",
                "data": {
                    "name": f"A{k} {text}",
                    "team": f"T {text}",
                    "state": "not_ready",
                    "state_since": at,
                    "reason": text,
                    "queues": [qid],
                },
            }
        )
        changes.append(
            {"kind": "customer", "id": f"c-hostile-{k}", "version": 1, "op": "upsert", "data": {"name": f"C{k} {text}"}}
        )
        changes.append(
            {
                "kind": "interaction",
                "id": f"i-hostile-{k}",
                "version": 1,
                "op": "upsert",
                "data": {"queue_id": qid, "channel": "voice", "enqueued_at": at, "customer_id": f"c-hostile-{k}"},
            }
        )
    changes.append(
        {
            "kind": "agent",
            "id": "a-huge",
            "version": 1,
            "op": "upsert",
            "data": {"name": HUGE, "team": "T", "state": "available", "state_since": at},
        }
    )
    return changes


def _seed_hostile(store) -> None:
    engine = open_engine(store)
    at = (SAMPLE_AT - timedelta(minutes=2)).isoformat()
    with engine.begin() as conn:
        result = Applier(conn, SAMPLE_AT.timestamp()).apply(_hostile_changes(at))
        stored = conn.execute(select(schema.Agent.name).where(schema.Agent.id.like("a-hostile-%"))).scalars().all()
    engine.dispose()
    assert result.quarantined == 1  # the 1 MB name is refused with a reason, not stored
    assert all("\x1b" not in name and "\u202e" not in name for name in stored)


def _rendered(app) -> list[Segment]:
    """Every segment the screen would send to the terminal."""
    segments = []
    for widget in app.screen.query("*"):
        if not widget.display or widget.region.area == 0:
            continue
        for strip in widget.render_lines(widget.region.reset_offset):
            segments.extend(strip)
    return segments


def _assert_inert(segments: list[Segment]) -> str:
    text = "".join(s.text for s in segments)
    for ch in "\x1b\x07\x9b\u202e":
        assert ch not in text
    for s in segments:
        if s.style is not None:
            assert not s.style.link, s
            assert not any(str(k).startswith("@") for k in (s.style.meta or {})), s
    return text


async def _until(pilot, condition) -> None:
    for _ in range(500):  # a busy machine may take a while; the condition says when
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never met")


async def test_hostile_text_is_inert_on_every_screen(sample_store):
    _seed_hostile(sample_store)
    app = make_app(sample_store)
    async with app.run_test(size=(200, 50)) as pilot:
        table = await settle(pilot)
        await pilot.press("slash", *"Q1 ")
        await _until(pilot, lambda: table.row_count == 1)
        await pilot.pause()
        text = _assert_inert(_rendered(app))
        assert "[link=https://x]y[/link]"[:14] in text  # shown as the characters it is
        await pilot.press("escape", "slash", *"hostile")
        await _until(pilot, lambda: table.row_count == len(CORPUS))
        await pilot.pause()
        _assert_inert(_rendered(app))
        await pilot.press("enter", "up", "enter")  # keep the filter; the cursor stayed on Q1: up to Q0, drill in
        await settle(pilot, "#agents")
        text = _assert_inert(_rendered(app))
        assert "C0 [/b]" in text  # a waiting customer's name, literally
        await pilot.press("escape", "2")
        agents = await settle(pilot, "#agents")
        everyone = agents.row_count
        await pilot.press("slash", *"team:T ")
        await _until(pilot, lambda: 0 < agents.row_count < everyone)
        await pilot.pause()
        text = _assert_inert(_rendered(app))
        assert "A2 [@click=app.quit]" in text  # the name column shows 20 characters
        assert "A6 [bold red]loud[/]" in text
        assert app.is_running  # the [@click=app.quit] did nothing
        await pilot.press("escape")
        await _until(pilot, lambda: "⚠ 1 quarantined" in "".join(s.text for s in _rendered(app)))
