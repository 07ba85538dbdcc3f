"""Each source runs in exactly one hub process at a time: a lease in the hub's
database (`hub_lease`), per source name.

A process takes a source's lease when no one holds it or its holder let it
lapse (`LEASE_S` without renewing: the process died, or hangs), renews it
every third of that, and gives it up when it stops. The others stand by,
looking every third of `LEASE_S`, so a dead owner's source is taken over
within `LEASE_S` plus a look (at once by a process on the dead one's host,
which can see that it is gone: a hub restarted after a crash).

Taking, renewing and giving up a lease are write transactions that take the
log's lock (`hub_meta`, like every write: docs/hub.md), and each batch a
source writes checks, inside its own write transaction, that its process
still holds the lease (`HubStore.write`'s `resume`, the `owner` counter). So
a process that lost its lease while it hung cannot commit one more batch
after the new owner has read the resume point: the fence is the database's,
not a clock's. Expiry is judged by the database's clock on PostgreSQL (hub
processes on several hosts need not agree on the time), by this host's on
SQLite (one file, one host).
"""

from __future__ import annotations

import os
import secrets
import socket
import time

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from floorview.hub.hubstore import HubStore
from floorview.hub.tables import hub_lease, hub_meta

LEASE_S = 10.0


def process_tag() -> str:
    """Names this process as a lease holder: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


def _dead_here(owner: str) -> bool:
    """Whether `owner` was a process on this host that is gone: a hub restarted after
    a crash takes its sources at once, not after the lease (a reused pid only waits)."""
    host, pid, _tag = (owner.rsplit(":", 2) + ["", ""])[:3]
    if host != socket.gethostname()[:120] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class Lease:
    """One source's lease, as this process sees it."""

    def __init__(self, store: HubStore, name: str, owner: str, lease_s: float = LEASE_S) -> None:
        self.store, self.name, self.owner, self.lease_s = store, name, owner, lease_s
        self.holder: str | None = None  # who held it at the last look (when not us)

    def _now(self, conn) -> float:
        if self.store.postgres:
            return float(conn.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())
        return time.time()

    def take(self) -> bool:
        """Take or renew the lease; False when another process holds it (`holder` says who)."""
        try:
            with self.store.writer.begin() as conn:
                conn.execute(select(hub_meta.c.seq).with_for_update())  # serialised with every write
                now = self._now(conn)
                row = conn.execute(select(hub_lease).where(hub_lease.c.name == self.name)).first()
                if row is None:
                    conn.execute(
                        insert(hub_lease).values(
                            name=self.name, owner=self.owner, expires_at=now + self.lease_s, taken_at=now
                        )
                    )
                elif row.owner == self.owner or row.expires_at < now or _dead_here(row.owner):
                    values = {"owner": self.owner, "expires_at": now + self.lease_s}
                    if row.owner != self.owner:
                        values["taken_at"] = now
                    conn.execute(update(hub_lease).where(hub_lease.c.name == self.name).values(**values))
                else:
                    self.holder = row.owner
                    return False
        except IntegrityError:  # another process made the row first
            return False
        self.holder = None
        return True

    def release(self) -> None:
        """Give the lease up (stopping): another process may take it at its next look."""
        with self.store.writer.begin() as conn:
            conn.execute(select(hub_meta.c.seq).with_for_update())
            conn.execute(delete(hub_lease).where(hub_lease.c.name == self.name, hub_lease.c.owner == self.owner))
