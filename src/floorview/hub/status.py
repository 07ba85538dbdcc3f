"""`floorview hub status`: how each source feeding the hub stands, from its row in `hub_source`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from floorview.domain.text import clean
from floorview.hub.hubstore import SourceState

RUNNING_WITHIN_S = 60.0  # a running source writes at least every 10 s (its heartbeat)


def _age(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def status_text(states: Iterable[SourceState], now: float) -> str:
    """One block per source, plain text."""
    blocks = []
    for s in states:
        since = now - s.updated_at
        never = s.records_written == 0 and s.resume is None  # its row was made by its first problem
        if s.failing and never:
            head = f"FAILING, nothing written yet (first failed {_age(since)} ago, {_utc(s.updated_at)})"
        else:
            running = "FAILING" if s.failing else "running" if since <= RUNNING_WITHIN_S else "NOT RUNNING"
            head = f"{running} (last update {_age(since)} ago, {_utc(s.updated_at)})"
        lines = [f"source {clean(s.name)}: {head}"]
        if s.problem is not None and s.problem_at is not None:
            when = "now" if s.failing else "since recovered"
            lines.append(
                f"  problem ({when}): {clean(s.problem)} ({_age(now - s.problem_at)} ago, {_utc(s.problem_at)})"
            )
        if s.last_record_at is None:
            lines.append("  lag: no record from the platform yet")
        else:
            lag = now - s.last_record_at
            where = "behind the platform" if lag >= 0 else "ahead of the wall clock (a floor simulated faster)"
            lines.append(f"  lag: {_age(lag)} {where} (last record {_utc(s.last_record_at)})")
        read = getattr(s, "records_read", getattr(s, "read", None))  # counted once the hub stores it
        if read is not None:
            lines.append(f"  lines or events read: {read}")
        lines.append(f"  records written: {s.records_written}")
        version = s.resume.get("asterisk") if isinstance(s.resume, dict) else None
        if isinstance(version, str):
            lines.append(f"  platform: Asterisk {clean(version)} (as its data reads)")
        total = sum(int(entry.get("count", 0)) for entry in s.unmapped.values())
        if not total:
            lines.append("  not mapped: none")
        else:
            lines.append(f"  not mapped: {total}")
            for reason, entry in sorted(s.unmapped.items(), key=lambda kv: -int(kv[1].get("count", 0))):
                lines.append(f"    {clean(reason)}: {entry.get('count', 0)}")
                for example in entry.get("examples", []):
                    lines.append(f"      e.g. {clean(str(example))[:200]}")
        blocks.append("\n".join(lines))
    if not blocks:
        return "no source has written to this hub database yet"
    return "\n\n".join(blocks)
