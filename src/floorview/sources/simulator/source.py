"""The simulated floor as a source (sources/base.py).

The floor (hub/simulator.py's `Floor`, handed in as `make_floor`) is run in
steps on a fixed schedule: from its first moment to the moment the source
first started (`caught_up_to`) in 15-minute steps, then every customer not
met yet, then live in one-second steps of the floor's clock, which runs
`speed` times as fast as the wall clock from that first start (`origin`).

A floor is deterministic: the same seed and the same steps give the same
changes, versions included. So the resume point is the floor's position on
that schedule (`step`, and its `clock`), with what names the schedule (seed,
scale, zone, start, origin, caught_up_to). A restarted hub builds the floor
again, replays it to the step its records were committed with, writing
nothing, and carries on from there: nothing lost, nothing written twice.
While the hub was down the floor's clock went on (a real platform's does):
it catches up in steps, a batch at a time.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from floorview.sources.base import Sink

log = logging.getLogger(__name__)

STEP_S = 900.0  # catching up: 15-minute steps, as `floorview seed` runs a floor
GRAIN_S = 1.0  # live: one-second steps of the floor's clock
BATCH_STEPS = 900  # live steps written in one batch at most (catching up after a stop)
HEARTBEAT_S = 10.0  # with nothing new, the resume point is still written this often


class FloorModel(Protocol):
    """What the source needs of a simulated floor (hub/simulator.py's `Floor`)."""

    versions: dict[tuple[str, str], int]

    def advance(self, to: float) -> list[dict[str, Any]]: ...

    def remaining_customers(self) -> Iterator[dict[str, Any]]: ...


# seed, first moment, scale, site time zone -> a floor at its first moment
FloorFactory = Callable[[int, float, str, str], FloorModel]


@dataclass(frozen=True)
class Schedule:
    """What names a floor's steps; kept in the resume point."""

    seed: int
    scale: str
    zone: str
    start: float  # the floor's first moment
    origin: float  # the wall-clock time the floor's live clock runs from
    caught_up_to: float  # the end of the catch-up steps

    def catch_up(self) -> list[float]:
        """The catch-up steps' targets."""
        targets, t = [], self.start
        while t < self.caught_up_to:
            t = min(self.caught_up_to, t + STEP_S)
            targets.append(t)
        return targets

    @staticmethod
    def parse(value: object) -> tuple[Schedule, int] | None:
        """A resume point read back (None: not one of ours)."""
        if not isinstance(value, dict):
            return None
        try:
            schedule = Schedule(
                int(value["seed"]),
                str(value["scale"]),
                str(value["zone"]),
                float(value["start"]),
                float(value["origin"]),
                float(value["caught_up_to"]),
            )
            step = int(value["step"])
        except (KeyError, TypeError, ValueError):
            return None
        if step < 0 or not all(math.isfinite(x) for x in (schedule.start, schedule.origin, schedule.caught_up_to)):
            return None
        return schedule, step


class SimulatorSource:
    """A seeded simulated floor, written into the hub: today so far at once, then live."""

    def __init__(
        self,
        make_floor: FloorFactory,
        seed: int,
        zone: str,
        day_start: float,
        speed: float = 1.0,
        tick_s: float = 1.0,
        scale: str = "small",
        clock: Callable[[], float] = time.time,
        name: str = "simulator",
    ) -> None:
        """`zone`, `day_start`: the site's time zone and the floor's first moment,
        used when there is no resume point to carry on from."""
        self._name = name
        self.make_floor, self.seed, self.zone, self.day_start = make_floor, seed, zone, day_start
        self.speed, self.tick_s, self.scale, self.clock = speed, tick_s, scale, clock
        self.floor: FloorModel | None = None  # once started
        self.schedule: Schedule | None = None
        self.done = 0  # steps the floor has run
        self.written = 0  # steps whose changes are committed with their resume point
        self._targets: list[float] = []  # the catch-up steps' targets
        self._pending: list[dict[str, Any]] = []  # changes of the steps after `written`
        self._last_write = -math.inf

    @property
    def name(self) -> str:
        return self._name

    # -- the schedule ------------------------------------------------------------
    def clock_at(self, step: int) -> float:
        """The floor's clock once `step` steps have run."""
        assert self.schedule is not None
        catch_up = len(self._targets)
        if step == 0:
            return self.schedule.start
        if step <= catch_up:
            return self._targets[step - 1]
        return self.schedule.caught_up_to + max(0, step - catch_up - 1) * GRAIN_S

    def resume_value(self, step: int) -> dict[str, Any]:
        assert self.schedule is not None
        return {**asdict(self.schedule), "step": step, "clock": self.clock_at(step)}

    def _step(self) -> list[dict[str, Any]]:
        """Run the floor's next step; its changes."""
        assert self.floor is not None
        catch_up = len(self._targets)
        self.done += 1
        if self.done <= catch_up:
            return self.floor.advance(self._targets[self.done - 1])
        if self.done == catch_up + 1:
            return list(self.floor.remaining_customers())
        return self.floor.advance(self.clock_at(self.done))

    def _begin(self, point: object) -> None:
        resumed = Schedule.parse(point)
        if resumed is not None and (resumed[0].seed, resumed[0].scale) != (self.seed, self.scale):
            log.warning("the stored simulated floor is another (seed or scale differ): starting a new one")
            resumed = None
        if resumed is None:
            now = self.clock()
            self.schedule = Schedule(self.seed, self.scale, self.zone, self.day_start, now, max(now, self.day_start))
            step = 0
        else:
            self.schedule, step = resumed
        self._targets = self.schedule.catch_up()
        self.floor = self.make_floor(self.seed, self.schedule.start, self.scale, self.schedule.zone)
        self.done = self.written = 0
        while self.done < step:  # replayed, not written: the hub holds it
            self._step()
        self.written = step

    # -- the run ------------------------------------------------------------------
    def run(self, sink: Sink, stop: threading.Event) -> None:
        """The floor's work until `stop`; started again by the hub after an error,
        it carries on from the steps it ran (the batch that failed is written first)."""
        if self.floor is None:
            self._begin(sink.resume_point())
        self._last_write = -math.inf  # a run writes at once: the hub learns it is going again
        catch_up = len(self._targets) + 1  # the catch-up steps, then the customers
        self._flush(sink)
        while self.done < catch_up:
            self._pending.extend(self._step())
            self._flush(sink)
        sink.caught_up()
        assert self.schedule is not None
        origin = self.schedule.origin
        while not stop.wait(self.tick_s):
            floor_now = origin + (self.clock() - origin) * self.speed
            while self.clock_at(self.done + 1) <= floor_now and not stop.is_set():
                self._pending.extend(self._step())
                if self.done - self.written >= BATCH_STEPS:
                    self._flush(sink)
            self._flush(sink)
        self._flush(sink, force=True)  # stopping: what the floor made goes in

    def _flush(self, sink: Sink, force: bool = False) -> None:
        now = time.monotonic()
        if not self._pending and not force and now - self._last_write < HEARTBEAT_S:
            return  # nothing new: the resume point may lag (its steps replay to nothing)
        sink.write(self._pending, resume=self.resume_value(self.done), last_record_at=self.clock_at(self.done))
        self._pending = []
        self.written = self.done
        self._last_write = now
