"""The sync loop: pull pages into the store, push the outbox, and say how it goes.

Each page is applied and its cursor stored in one transaction (rule 1); the
apply is version-guarded and idempotent (rule 2), so a crash at any point
resumes from the last stored cursor without loss or double application.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import ValidationError

from floorview.domain import feed
from floorview.sync.backoff import RESET_AFTER_S, Backoff
from floorview.sync.transport import (
    BadAnswer,
    Busy,
    CursorGone,
    HubClient,
    HubError,
    NoScope,
    Refused,
    TokenRejected,
    TooLarge,
)


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from floorview.store.syncstate import TokenScope

log = logging.getLogger(__name__)
PAGE_LIMIT = 1000
LONG_POLL_S = 20
GROW_AFTER_S = 300.0  # a page limit lowered after a too-large answer is kept this long


class Restarting(HubError):
    """A 410 again before a fresh start has succeeded: the sync starts over
    (without dropping the store again) after `retry_after` seconds; the
    message says so in words, for the status line."""

    def __init__(self, message: str, delay: float, reason: str) -> None:
        super().__init__(message, retry_after=delay)
        self.reason = reason  # the message without its "next try in" (for `sync --once`'s last line)


class GaveUp(HubError):
    """`sync --once`: the hub was still busy, or still refusing our position, at the deadline."""

    retry = False


def epoch_of(cursor: str | None) -> str | None:
    """The hub database a cursor comes from, when it has the reference hub's
    shape (`<epoch>.<gen>.<seq>`, docs/feed-protocol.md); None otherwise. A
    cursor is opaque to the protocol: this is only used to say what happened
    and to tell two databases answering at one address apart."""
    if cursor is None:
        return None
    parts = cursor.split(".")
    if len(parts) != 3 or not parts[0] or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0]


def _short(epoch: str) -> str:
    from floorview.domain.text import clean

    return clean(epoch)[:8]


def _in(seconds: float) -> str:
    import math

    return f"{max(1, math.ceil(seconds))} s"


ALTERNATING = "two hub databases answer at this address in turn"


class Restarts:
    """Starting over after a 410, once (L2, issue 14).

    The first 410 drops what was synced and starts over from nothing at
    once. A 410 met again before the fresh start has *succeeded* (the hub has
    accepted a cursor it gave since) drops nothing: the cursor is forgotten,
    the sync waits as for any other failure (`Backoff`: from 0.8 s, doubling,
    capped at 30 s, full jitter) and starts over again. The wait is reset
    after two minutes without a 410.

    The cursor's epoch (`epoch_of`) tells a failover to another hub database
    (started over once, said once) from two databases answering at one
    address in turn (said, and never a drop again until two minutes pass
    without a 410).
    """

    def __init__(self, clock: Callable[[], float], rng: random.Random | None = None) -> None:
        self.clock = clock
        self.backoff = Backoff(rng)
        self.streak = 0  # 410s since the last two quiet minutes
        self.fresh = False  # the store was dropped and no cursor the hub gave since has been accepted yet
        self.alternating = False  # two hub databases have answered in turn in this streak
        self.epoch: str | None = None  # the hub database the store's cursor comes from (when it says)
        self.epochs: list[str] = []  # the databases met in this streak, in the order met
        self.quiet_since: float | None = None
        self.drops = 0  # times the synced store was dropped (this process)
        self.why: str | None = None  # the catch-up's status detail while starting over

    def gone(self, at: str | None) -> tuple[bool, float]:
        """A 410 for the cursor `at`: (drop the store?, seconds to wait before starting over)."""
        self.quiet_since = None
        self._met(epoch_of(at))
        if self.streak and len(self.epochs) > 1:  # refused again after a switch of database: they take turns
            self._alternate()
        delay = 0.0 if self.streak == 0 else self.backoff.failed()
        self.streak += 1
        drop = not self.fresh and not self.alternating
        if drop:
            self.fresh = True
            self.drops += 1
        return drop, delay

    def applied(self, at: str | None, cursor: str) -> str | None:
        """A page for `at` was applied, its cursor `cursor`; a sentence to say
        when it shows the hub is another database than the store's."""
        said = None
        epoch = epoch_of(cursor)
        if epoch is not None and self.epoch is not None and epoch != self.epoch:
            if epoch in self.epochs:
                said = ALTERNATING
                self._alternate()
            else:
                said = "the hub at this address is another database now"
                log.warning("%s (epoch %s, was %s): started over from nothing", said, _short(epoch), _short(self.epoch))
        self._met(epoch)
        if at is not None and self.fresh:  # the hub took a cursor it gave since the restart
            self.fresh = False
            self.why = None
        if self.streak:
            now = self.clock()
            if self.quiet_since is None:
                self.quiet_since = now
            elif now - self.quiet_since >= RESET_AFTER_S:
                self.streak, self.alternating, self.epochs, self.quiet_since = 0, False, [], None
                self.backoff.failures = 0
                self.why = None
        return said

    def _alternate(self) -> None:
        if not self.alternating:
            log.warning(
                "%s (epochs %s): the store is not dropped again until they stop; their records may mix meanwhile",
                ALTERNATING,
                " and ".join(_short(e) for e in self.epochs),
            )
        self.alternating = True

    def _met(self, epoch: str | None) -> None:
        if epoch is None:
            return
        if self.epoch is not None and self.epoch not in self.epochs:
            self.epochs.append(self.epoch)
        self.epoch = epoch
        if epoch not in self.epochs:
            self.epochs.append(epoch)


class PageTooLarge(BadAnswer):
    """One change alone is over the client's size limit: the sync cannot read
    past it, and cannot skip what it cannot read. Retried with backoff (the hub
    may shrink or drop it)."""


class PageSize:
    """The `limit` a page is asked for with (H2: a page over 20 MiB).

    An answer over the size limit halves it, down to 1; the size that worked
    is kept, and once GROW_AFTER_S have passed since the last halving it
    doubles again page by page, back to the ceiling (a size that is again too
    large halves again, and is kept another while).
    """

    def __init__(self, ceiling: int, clock: Callable[[], float]) -> None:
        self.ceiling, self.clock = ceiling, clock
        self.now = ceiling
        self._lowered_at: float | None = None

    def too_large(self, asked: int) -> bool:
        """An answer to `asked` was too large; False when it cannot be smaller."""
        self._lowered_at = self.clock()
        self.now = max(1, min(self.now, asked // 2))
        return asked > 1

    def worked(self) -> None:
        if self.now < self.ceiling and self.clock() - (self._lowered_at or 0.0) >= GROW_AFTER_S:
            self.now = min(self.ceiling, self.now * 2)


class Page(TypedDict):
    """One page of `GET /v1/changes`, its envelope checked (`_page`)."""

    cursor: str
    more: bool
    changes: list[feed.Change]
    bad: list[tuple[Any, Exception]]  # (the raw change, why its envelope is unusable)


@dataclass
class PullResult:
    pages: int = 0
    changes: int = 0
    caught_up: bool = False


Report = Callable[[str, "str | None"], None]


class Syncer:
    def __init__(
        self,
        engine: Engine,
        client: HubClient,
        *,
        clock: Callable[[], float] = time.time,
        long_poll: bool = True,
        poll_s: float = 1.0,
        source: str = "hub",
        page_limit: int = PAGE_LIMIT,
    ) -> None:
        self.engine, self.client, self.clock = engine, client, clock
        self.page_limit = page_limit
        self.page_size = PageSize(page_limit, clock)
        self.long_poll, self.poll_s, self.source = long_poll, poll_s, source
        self.backoff = Backoff()
        self.restarts = Restarts(clock)
        self.identity_due = True  # ask the hub who we are at the next catch-up
        # Called after each page is applied and committed (the alerts' watch: tick soon). Must not block.
        self.on_applied: Callable[[], None] | None = None

    # -- who we are --------------------------------------------------------------
    def refresh_identity(self) -> None:
        """`GET /v1/me`: the token's name, teams and queues, kept in the store
        for the screens. A hub that refuses the question (404 from an adapter
        that does not implement it) or answers nonsense leaves it unknown; a
        fault keeps what was known and asks again at the next catch-up. Only a
        rejected token (401, 403) stops the sync, as it would on a page."""
        from floorview.store.syncstate import save_token_scope

        try:
            scope = _token_scope(self.client.request("GET", "/v1/me").body)
        except (TokenRejected, NoScope):
            raise
        except (Refused, BadAnswer) as exc:
            log.info("hub does not say who the token is (%s): scope unknown", exc.message)
            scope = None
        except HubError as exc:
            log.warning("asking the hub who the token is failed (%s): will ask again", exc.message)
            return
        with self.engine.begin() as conn:
            save_token_scope(conn, scope, self.clock())
        self.identity_due = False

    # -- pull ------------------------------------------------------------------
    def _cursor(self) -> str | None:
        from floorview.store.syncstate import cursor

        with self.engine.connect() as conn:
            at = cursor(conn)
            conn.rollback()
        return at

    def _fetch(self, at: str | None, wait_s: float = 0) -> Page:
        """One page from `at`; an answer over the size limit is asked for again
        with a smaller `limit`, down to a single change (PageSize)."""
        while True:
            limit = self.page_size.now
            params: dict[str, Any] = {"limit": limit}
            if at is not None:
                params["cursor"] = at
            if wait_s:
                params["wait"] = wait_s
            try:
                answer = self.client.request("GET", "/v1/changes", params=params, wait_s=wait_s)
            except TooLarge:
                if not self.page_size.too_large(limit):
                    raise PageTooLarge(
                        "hub sent a single change over 20 MiB: the sync cannot read past it "
                        "(nor skip it unread) until the hub shrinks or removes it"
                    ) from None
                log.warning("hub answer over 20 MiB for %d changes: asking for %d", limit, self.page_size.now)
                continue
            self.page_size.worked()
            page = _page(answer.body)
            was, now = epoch_of(at), epoch_of(page["cursor"])
            if was is not None and now is not None and was != now:  # another database answered, without a 410
                raise CursorGone("hub answered from another database (its cursor's epoch changed): starting again")
            return page

    def _apply(self, page: Page, at: str | None = None, report: Report | None = None) -> int:
        """One page and its cursor, in one transaction (rule 1). Should the store
        refuse a record the feed's models passed, that transaction is rolled
        back and the page applied again record by record, so the record is
        quarantined and the rest applied (H1; store/apply.py)."""
        from floorview.store.apply import StoreRefused

        try:
            done = self._apply_page(page, careful=False)
        except StoreRefused as exc:
            log.warning("%s: applying the page again record by record", exc)
            done = self._apply_page(page, careful=True)
        said = self.restarts.applied(at, page["cursor"])
        if said is not None:
            self.restarts.why = f"starting over: {said}"
            if report is not None:
                report("catching up", self.restarts.why)
        if self.on_applied is not None:
            self.on_applied()
        return done

    def _apply_page(self, page: Page, careful: bool) -> int:
        from floorview.store.apply import Applier
        from floorview.store.syncstate import save_page_position

        now = self.clock()
        with self.engine.begin() as conn:
            applier = Applier(conn, now, careful=careful)
            applier.apply(page["changes"])
            for bad in page["bad"]:
                applier.quarantine_raw(bad)
            save_page_position(conn, page["cursor"], now, self.source)
        return len(page["changes"]) + len(page["bad"])

    def pull_page(self, wait_s: float = 0, report: Report | None = None) -> tuple[int, bool]:
        """Fetch and apply one page; (changes applied or seen, more).

        A page that says `more` but leaves the cursor where it was is taken as
        caught up (L3), after a pause of `poll_s`, so a hub that says it
        forever cannot keep the client asking at full speed. A 410 starts over
        (`_restart`): (0, True), so that the caller catches up."""
        at = self._cursor()
        try:
            page = self._fetch(at, wait_s)
        except CursorGone:
            self._restart(at, report)
            return 0, True
        stalled = _stalled(page, {at})
        done = self._apply(page, at, report)
        if stalled:
            time.sleep(self.poll_s)
        return done, page["more"]

    def _restart(self, at: str | None, report: Report | None) -> None:
        """A 410 for `at`: the first drops what was synced and starts over at
        once; one before that fresh start has succeeded forgets the cursor,
        drops nothing, and raises `Restarting` with the wait (`Restarts`)."""
        from sqlalchemy import update

        from floorview.store import schema
        from floorview.store.syncstate import forget_synced

        drop, delay = self.restarts.gone(at)
        with self.engine.begin() as conn:
            if drop:
                log.warning("cursor gone (410): dropping synced data and starting again")
                forget_synced(conn)
            else:
                conn.execute(update(schema.SyncState).where(schema.SyncState.id == 1).values(cursor=None))
        if drop:
            self.identity_due = True  # perhaps another hub now: ask again
        if delay == 0:
            self.restarts.why = "starting over: the hub no longer knows our position (410)"
            if report is not None:
                report("catching up", self.restarts.why)
            return
        if self.restarts.alternating:
            reason = f"{ALTERNATING} (410 from one for the other's position)"
        else:
            reason = "the hub keeps refusing our position (410)"
        log.warning("%s: starting over in %.1f s (try %d)", reason, delay, self.restarts.streak)
        raise Restarting(f"{reason}: starting over, next try in {_in(delay)}", delay, reason)

    def pull_until_caught_up(self, report: Report | None = None) -> PullResult:
        """Pull page after page until the hub has no more.

        The next page is fetched while this one is applied (the wait for the
        hub overlaps the writing); pages are still applied in order, each with
        its own cursor, so a crash anywhere resumes cleanly. A page that says
        `more` with a cursor this catch-up has already been at ends it (L3);
        a page too large to read is asked for again smaller (`_fetch`). A 410
        starts over from nothing once, in this call; a 410 again before that
        fresh start has succeeded raises `Restarting` (L2: no tight loop).
        """
        result = PullResult()
        while not self._catch_up(result, report):
            pass
        return result

    def _catch_up(self, result: PullResult, report: Report | None) -> bool:
        """One run of pages from the stored cursor; False when a 410 started it over."""
        if self.identity_due:
            self.refresh_identity()
        pages: queue.Queue[tuple[str | None, Page] | BaseException] = queue.Queue(maxsize=2)
        stop = threading.Event()
        gone: list[str | None] = []  # the cursor a 410 answered

        def fetch_all(at: str | None) -> None:
            seen = {at}  # the cursors of this catch-up: a page back at one of them moved nothing
            try:
                while not stop.is_set():
                    try:
                        page = self._fetch(at)
                    except CursorGone:
                        gone.append(at)
                        raise
                    _stalled(page, seen)
                    pages.put((at, page))
                    if not page["more"]:
                        return
                    at = page["cursor"]
                    seen.add(at)
            except BaseException as exc:  # handed to the applying thread
                pages.put(exc)

        fetcher = threading.Thread(target=fetch_all, args=(self._cursor(),), name="fetch", daemon=True)
        fetcher.start()
        try:
            while True:
                item = pages.get()
                if isinstance(item, CursorGone):
                    fetcher.join()
                    self._restart(gone[0] if gone else None, report)
                    return False
                if isinstance(item, BaseException):
                    raise item
                at, page = item
                result.changes += self._apply(page, at, report)
                result.pages += 1
                if not page["more"]:
                    result.caught_up = True
                    return True
                if report is not None:
                    pages_said = f"{result.pages} page{'' if result.pages == 1 else 's'}"
                    why = self.restarts.why
                    report("catching up", f"{why}: {pages_said}" if why else pages_said)
        finally:
            stop.set()
            while fetcher.is_alive():  # unblock a fetcher waiting to hand over a page
                try:
                    pages.get(timeout=0.05)
                except queue.Empty:
                    pass

    def sync_once(
        self,
        deadline_s: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> tuple[PullResult, int]:
        """`sync --once`: catch up and push the outbox; a busy hub (429, 503:
        its Retry-After, or the backoff) and a hub refusing our position again
        (`Restarting`) are waited for and tried again while the wait ends
        within `deadline_s` of the start; then `GaveUp`, saying what the hub
        last answered. Other faults raise at once (cron runs us again)."""
        end = monotonic() + deadline_s
        total = PullResult()
        while True:
            try:
                pulled = self.pull_until_caught_up()
                total.pages += pulled.pages
                total.changes += pulled.changes
                total.caught_up = pulled.caught_up
                return total, self.push_outbox()
            except (Busy, Restarting) as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.backoff.failed()
                last = exc.reason if isinstance(exc, Restarting) else exc.message
                left = end - monotonic()
                if left <= 0:
                    raise GaveUp(f"gave up after {deadline_s:g} s of retrying: {last}") from None
                if wait > left:
                    raise GaveUp(
                        f"gave up: {last}, and the next try ({_in(wait)} away) is past the {deadline_s:g} s deadline"
                    ) from None
                log.info("%s: trying again in %.1f s", last, wait)
                sleep(wait)

    # -- push ------------------------------------------------------------------
    def push_outbox(self) -> int:
        """Push local writes in order; stops at the first fault that wants a retry.

        Each entry is read from the store just before it is sent, so its base
        version is the one the store holds then (an earlier entry's push
        rebases the later ones: `syncstate.pushed`, `syncstate.next_pending`).
        The note's id is percent-encoded into the path; an id that cannot be
        (domain/ids.py: written by an older floorview) is parked, never sent.
        """
        from urllib.parse import quote

        from floorview.domain.ids import note_id_problem
        from floorview.store.syncstate import next_pending, park, pushed

        done, after = 0, 0
        while True:
            with self.engine.connect() as conn:
                entry = next_pending(conn, after)
                conn.rollback()
            if entry is None:
                return done
            after = entry.seq
            problem = note_id_problem(entry.note_id)
            if problem is not None:
                with self.engine.begin() as conn:
                    park(conn, entry, "rejected", f"not sent: {problem}")
                continue
            path = f"/v1/notes/{quote(entry.note_id, safe='')}"
            try:
                if entry.op == "put":
                    answer = self.client.request(
                        "PUT", path, json_body={**(entry.body or {}), "base_version": entry.base_version}
                    )
                else:
                    answer = self.client.request("DELETE", path, params={"base_version": entry.base_version})
            except Refused as refused:
                state = "conflict" if refused.status == 409 else "rejected"
                detail = _conflict_detail(refused, entry.note_id) if state == "conflict" else refused.message
                with self.engine.begin() as conn:
                    park(conn, entry, state, detail)
                continue
            except NoScope as refused:  # this note is outside the token's scope: park it, go on
                with self.engine.begin() as conn:
                    park(conn, entry, "rejected", refused.message)
                continue
            version = answer.body.get("version") if isinstance(answer.body, dict) else None
            if type(version) is not int or not 1 <= version <= feed.MAX_INT:
                raise HubError("hub accepted a note without saying its version")
            stored = answer.body.get("data") if entry.op == "put" else None  # the note as the hub keeps it
            with self.engine.begin() as conn:
                pushed(conn, entry, version, stored)
            done += 1

    # -- the loop ----------------------------------------------------------------
    def run(self, report: Report, stop: threading.Event) -> None:
        """Pull and push until `stop`; transient faults back off, fatal ones stop."""
        from floorview.store.syncstate import record_error

        while not stop.is_set():
            try:
                self.pull_until_caught_up(report)
                self.push_outbox()
                self.backoff.succeeded(self.clock())
                report("live", None)
                if self.long_poll:
                    while not stop.is_set():
                        asked = time.monotonic()
                        done, more = self.pull_page(wait_s=LONG_POLL_S, report=report)
                        if more:
                            break
                        self.push_outbox()
                        report("live", None)
                        if done == 0:  # an empty long poll: a hub that ignores `wait` is asked every poll_s at most
                            rest = self.poll_s - (time.monotonic() - asked)
                            if rest > 0:
                                stop.wait(rest)
                else:
                    stop.wait(self.poll_s)
            except HubError as exc:
                now = self.clock()
                with self.engine.begin() as conn:
                    record_error(conn, exc.message, now)
                if not exc.retry:
                    report("error", exc.message)
                    return
                # The reason only: the screen says how old the data is in
                # site time, `floorview sync` when the outage began.
                report("stale", exc.message)
                delay = exc.retry_after if exc.retry_after is not None else self.backoff.failed()
                stop.wait(delay)


_MAX_CONFLICT = 65536


def _conflict_detail(refused: Refused, note_id: str) -> str:
    """What a 409 says the hub holds, as JSON for the store: the note change
    with every string cleaned like feed text (rule 6: it is shown, and "take
    theirs" applies it); `null` when the hub holds no such note. An answer
    that is not a change of this note is kept as a sentence, so the person
    can only keep theirs by discarding (see store/notes.py)."""
    import json

    body = refused.body if isinstance(refused.body, dict) else {}
    current = body.get("current")
    if current is None:
        return "null"
    try:
        change = feed.parse_change(current)
    except ValidationError:
        change = None
    if change is None or change.kind != "note" or change.id != note_id:
        return json.dumps("the hub's answer did not say what it holds")
    kept = {"kind": "note", "id": note_id, "version": change.version, "op": change.op}
    if change.op == "upsert":
        kept["data"] = _inert(change.data or {})
    text = json.dumps(kept, ensure_ascii=False)
    if len(text) > _MAX_CONFLICT:
        return json.dumps("the hub's answer was too long to keep")
    return text


def _inert(value: Any) -> Any:
    """Every string (keys too) of a parsed JSON value cleaned of control characters."""
    from floorview.domain.text import clean

    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _inert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inert(v) for v in value]
    return value


_MAX_LISTED = 1000


def _token_scope(body: Any) -> TokenScope | None:
    """`/v1/me` read defensively: strings cleaned (protocol rule 6), lengths as
    the feed's (names and teams up to 200, ids up to 128); None if unusable."""
    from floorview.domain.text import clean
    from floorview.store.syncstate import TokenScope

    if not isinstance(body, dict):
        return None
    name, teams, queues = body.get("name"), body.get("teams", []), body.get("queues", [])
    if not isinstance(name, str) or not isinstance(teams, list) or not isinstance(queues, list):
        return None
    if len(teams) > _MAX_LISTED or len(queues) > _MAX_LISTED or not all(isinstance(v, str) for v in teams + queues):
        return None
    name = clean(name).strip()
    teams = sorted({clean(t) for t in teams} - {""})
    queues = sorted({clean(q) for q in queues} - {""})
    if not 0 < len(name) <= 200 or any(len(t) > 200 for t in teams) or any(len(q) > 128 for q in queues):
        return None
    return TokenScope(name, tuple(teams), tuple(queues))


def _stalled(page: Page, seen: set[str | None]) -> bool:
    """A page that says `more` with a cursor already seen in this catch-up has
    moved nothing (L3: a hub saying `more: true` forever with empty pages):
    take it as caught up. Returns whether it was."""
    if page["more"] and page["cursor"] in seen:
        log.warning("hub says there is more but its page did not move the cursor: taken as caught up")
        page["more"] = False
        return True
    return False


def _page(body: Any) -> Page:
    """The page's envelope, checked; changes whose envelope is unusable are set aside."""
    if not isinstance(body, dict):
        raise HubError("hub sent a page that is not an object")
    cursor = body.get("cursor")
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 256:
        raise HubError("hub sent a page without a usable cursor")
    raw_changes = body.get("changes")
    if not isinstance(raw_changes, list):
        raise HubError("hub sent a page without a list of changes")
    good: list[feed.Change] = []
    bad: list[tuple[Any, Exception]] = []
    for raw in raw_changes:
        try:
            good.append(feed.parse_change(raw))
        except ValidationError as exc:
            bad.append((raw, exc))
    return {"cursor": cursor, "more": body.get("more") is True, "changes": good, "bad": bad}
