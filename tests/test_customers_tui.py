"""Pilot tests: finding a customer (5), the trust and behavior card, reaching it
in one key from a waiting contact, and the service recovery list (6)."""

from __future__ import annotations

import json
import sqlite3

from floorview.domain.trust import net_trust
from floorview.store.customers import customer_card, search_customers
from floorview.tui.customers.card import CustomerCardScreen
from floorview.tui.customers.recovery import RecoveredForm, RecoveryScreen
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.widgets.live_table import LiveTable

from .conftest import make_app, settle, wait_for

SIZE = (100, 30)


def keys(table: LiveTable) -> list[str]:
    return [k.value for k in table.rows]


async def test_search_then_open_the_card(sample_store):
    con = sqlite3.connect(sample_store)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        table = await settle(pilot, "#customers")
        await pilot.press("slash", *"nguyen")
        expected = [h.id for h in search_customers(con, "nguyen")]
        await wait_for(pilot, lambda: keys(table) == expected)
        assert expected and all("nguyen" in table.get_cell(k, "name").plain.lower() for k in expected)
        await pilot.press("enter")  # closes the search bar, keeps the results
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerCardScreen) and app.screen.view is not None)
        card = customer_card(con, expected[0])
        trust, n = net_trust(card.answers)
        shown = app.screen.query_one("#card").render().plain
        assert card.name in shown and f"of {n} answers" in shown
        if trust is not None:
            assert f"net {trust:+.0f}" in shown
        view = app.screen.view
        if view.quadrant is not None:
            assert view.quadrant.upper() in shown and view.actions and view.actions[0] in shown
        else:  # no answers or no behavior yet: no quadrant is claimed
            assert not any(q in shown for q in ("ADVOCATE", "CAPTIVE", "DORMANT FAN", "AT RISK"))
        timeline = app.screen.query_one("#timeline", LiveTable)
        await wait_for(pilot, lambda: timeline.row_count == min(30, len(card.visits)))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert "weakest leg" in str(app.screen.query_one("#body").render())


async def test_a_waiting_contact_reaches_its_customer_in_one_key(sample_store):
    con = sqlite3.connect(sample_store)
    queue, customer = con.execute(
        "SELECT i.queue_id, i.customer_id FROM interaction i JOIN queue q ON q.id = i.queue_id"
        " WHERE i.answered_at IS NULL AND i.abandoned_at IS NULL AND i.ended_at IS NULL"
        " AND i.customer_id IS NOT NULL ORDER BY q.name, i.enqueued_at LIMIT 1"
    ).fetchone()
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        queues = await settle(pilot)
        queues.move_cursor(row=keys(queues).index(queue))
        await pilot.press("enter")
        waiting = await settle(pilot, "#waiting")
        waiting.focus()
        waiting.move_cursor(row=0)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerCardScreen))
        assert app.screen.customer_id == customer


async def test_recovery_lists_the_hurt_and_a_recorded_recovery_takes_them_off(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        table = await settle(pilot, "#recovery")
        assert isinstance(app.screen, RecoveryScreen)
        severities = [int(table.get_row_at(i)[0].plain) for i in range(table.row_count)]
        assert severities == sorted(severities, reverse=True) and severities[0] > 0
        first = keys(table)[0]
        assert table.get_cell(first, "why").plain  # every row says why
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RecoveredForm))
        await pilot.press("enter")  # nothing said: refused
        assert isinstance(app.screen, RecoveredForm)
        await pilot.press(*"Called back, refunded the fee.", "enter")
        await wait_for(pilot, lambda: first not in keys(app.screen.query_one("#recovery", LiveTable)))
    con = sqlite3.connect(sample_store)
    body = con.execute("SELECT body FROM outbox WHERE op = 'put'").fetchone()[0]
    note = json.loads(body)
    assert (
        note["customer_id"] == first and note["type"] == "recovery" and note["body"] == "Called back, refunded the fee."
    )


async def test_recovery_opens_the_card_and_the_card_records_a_recovery(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        table = await settle(pilot, "#recovery")
        first = keys(table)[0]
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("c")  # nav.customer: the card, opened by the app
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerCardScreen) and app.screen.view is not None)
        assert app.screen.customer_id == first
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RecoveredForm))
        await pilot.press(*"Refunded the fee.", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerCardScreen))
        card = app.screen
        await wait_for(pilot, lambda: "Recovered" in card.query_one("#card").render().plain)
        shown = " ".join(card.query_one("#card").render().plain.split())
        assert f"by {app.author()}: Refunded the fee." in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RecoveryScreen))
        await wait_for(pilot, lambda: first not in keys(app.screen.query_one("#recovery", LiveTable)))
    con = sqlite3.connect(sample_store)
    note = json.loads(con.execute("SELECT body FROM outbox WHERE op = 'put'").fetchone()[0])
    assert (note["customer_id"], note["type"], note["author"]) == (first, "recovery", app.author())
