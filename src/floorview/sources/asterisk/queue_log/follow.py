"""Following Asterisk's queue_log file as Asterisk writes it.

The follower hands out complete lines (a line without its newline waits
until it is complete), in batches, each with the position after its last
line, so that a source that commits the position with the batch's records
resumes exactly there.

A position is the file's inode, a byte offset (the end of the last complete
line handed out) and a hash of the file's first bytes (up to `HEAD_BYTES`,
never past the offset). The hash tells a file from another that took its
inode or its place, and a file truncated and written again past the offset.

Rotation, while the follower runs or while the hub was stopped:

- rename and a new file (logrotate's default; Asterisk's `logger rotate`):
  the renamed file, still open, is read to its end before the new one is
  started, and the switch happens only once the new file holds data, so
  lines Asterisk wrote to the old file before reopening are not lost. After
  a stop, the old file is found again by its inode among its siblings in the
  directory (queue_log.1, queue_log-20261201; compressed ones cannot be).
- copy-truncate: the file shrinks below the offset, or its first bytes
  change. The copy (a sibling whose first bytes are the ones we hashed and
  which is at least as long as the offset) is read from the offset to its
  end first, then the truncated file from its start. Lines written between
  logrotate's copy and its truncate are lost by copy-truncate itself.

What the follower cannot read (a file rotated away and compressed before it
was finished, an over-long line, an unfinished last line of a rotated file)
is reported in `Batch.notices`, counted by the source as not mapped, never
silently dropped. Undecodable bytes are decoded with U+FFFD in their place:
the mapper judges the line.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEAD_BYTES = 1024  # how much of a file's start identifies it
BATCH_BYTES = 256 * 1024  # a batch: the complete lines of up to this much (about 3,000 queue_log lines)
MAX_LINE_BYTES = 1024 * 1024  # a longer line is skipped (and reported): no queue_log line is near this
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip")


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading a queue_log file stands: the next byte to read of the file with `inode`."""

    inode: int
    offset: int
    head_len: int  # bytes of the file's start hashed: min(HEAD_BYTES, offset)
    head: str  # their sha256, hex

    def to_json(self) -> dict[str, Any]:
        return {"inode": self.inode, "offset": self.offset, "head_len": self.head_len, "head": self.head}

    @staticmethod
    def from_json(value: object) -> Position | None:
        """A position read back (None: not one)."""
        if not isinstance(value, dict):
            return None
        try:
            inode, offset, head_len, head = value["inode"], value["offset"], value["head_len"], value["head"]
        except KeyError:
            return None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (inode, offset, head_len)):
            return None
        if not isinstance(head, str) or not 0 <= head_len <= min(HEAD_BYTES, offset):
            return None
        return Position(inode, offset, head_len, head)


@dataclass
class Batch:
    """Complete lines read (newlines removed, blank lines left out), and the position after them."""

    lines: list[str]
    position: Position | None  # None: no file yet
    notices: list[tuple[str, str]] = field(default_factory=list)  # (reason, example) for what could not be read
    at_end: bool = False  # the file holds no complete line past `position` now


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Open:
    """One open file: what has been handed out of it, and whether it is a rotated one to finish."""

    def __init__(self, fd: int, inode: int, offset: int, retired: bool) -> None:
        self.fd, self.inode, self.offset, self.retired = fd, inode, offset, retired
        self.head = b""  # its first min(HEAD_BYTES, offset) bytes, once read

    def load_head(self) -> None:
        want = min(HEAD_BYTES, self.offset)
        if len(self.head) < want:
            self.head = os.pread(self.fd, want, 0)[:want]

    def head_matches(self, head_len: int, digest: str) -> bool:
        data = os.pread(self.fd, head_len, 0) if head_len else b""
        return len(data) == head_len and _hash(data) == digest

    def position(self) -> Position:
        self.load_head()
        return Position(self.inode, self.offset, len(self.head), _hash(self.head))


class QueueLogFollower:
    """Reads `path` from `position` (None: from its start) and follows it; `read` never blocks."""

    def __init__(self, path: Path | str, position: Position | None = None, batch_bytes: int = BATCH_BYTES) -> None:
        self.path = Path(path)
        self.batch_bytes = batch_bytes
        self._resume = position  # applied when the file is first opened
        self._cur: _Open | None = None
        self._then: list[_Open] = []  # files to read after the current one, in order (open already)
        # Files read to their end (inode -> size then): a rotation's file found again is not
        # read twice (file times are coarse: a file finished a moment ago may look as new).
        self._done: dict[int, int] = {}
        self._notices: list[tuple[str, str]] = []

    @property
    def position(self) -> Position | None:
        if self._cur is None:
            return self._resume
        return self._cur.position()

    def close(self) -> None:
        for f in [self._cur, *self._then]:
            if f is not None:
                os.close(f.fd)
        self._cur, self._then = None, []

    # -- opening ---------------------------------------------------------------------
    def _open_path(self) -> _Open | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError:
            return None
        st = os.fstat(fd)
        return _Open(fd, st.st_ino, 0, retired=False)

    def _siblings(self) -> list[Path]:
        """Files beside ours that a rotation may have made of it, most recently written first."""
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return []
        found = []
        base = self.path.name
        for name in names:
            rest = name[len(base) :]
            # queue_log.1, queue_log-20261201: a rotation's names, not queue_log.bak
            if (
                name.startswith(base)
                and rest[:1] in (".", "-")
                and rest[1:2].isdigit()
                and not name.endswith(COMPRESSED)
            ):
                p = self.path.parent / name
                try:
                    found.append((p.stat().st_mtime, p))
                except OSError:
                    continue
        return [p for _, p in sorted(found, reverse=True)]

    def _sibling(self, inode: int | None, offset: int, head_len: int, digest: str) -> _Open | None:
        """A rotated copy of our file to finish: by inode (renamed) or, with `inode` None, by its
        first bytes and a length reaching `offset` (copy-truncate)."""
        for p in self._siblings():
            try:
                fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
            except OSError:
                continue
            st = os.fstat(fd)
            opened = _Open(fd, st.st_ino, offset, retired=True)
            if (
                (inode is None or st.st_ino == inode)
                and st.st_size >= offset
                and opened.head_matches(head_len, digest)
                and os.path.isfile(p)
            ):
                return opened
            os.close(fd)
        return None

    def _successors(self, old: _Open, new: _Open | None) -> list[_Open]:
        """Files rotated after `old` was last written, before `new` (the file now at `path`), oldest
        first: the files between, when the file was rotated more than once since we last looked."""
        since = os.fstat(old.fd).st_mtime_ns
        found = []
        for p in self._siblings():
            try:
                fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
            except OSError:
                continue
            st = os.fstat(fd)
            seen = self._done.get(st.st_ino) == st.st_size
            if (
                st.st_mtime_ns >= since
                and not seen
                and st.st_ino not in (old.inode, None if new is None else new.inode)
            ):
                found.append((st.st_mtime_ns, _Open(fd, st.st_ino, 0, retired=True)))
            else:
                os.close(fd)
        return [f for _, f in sorted(found, key=lambda pair: pair[0])]

    def _start(self) -> bool:
        """Open the file (and from the resume point); False: there is no file yet."""
        cur = self._open_path()
        pos, self._resume = self._resume, None
        if pos is None or pos.offset == 0:
            self._cur = cur
            return cur is not None
        if (
            cur is not None
            and cur.inode == pos.inode
            and os.fstat(cur.fd).st_size >= pos.offset
            and cur.head_matches(pos.head_len, pos.head)
        ):
            cur.offset = pos.offset  # as we left it
            self._cur = cur
            return True
        # Not the file we left, or not as we left it: rotated while we were stopped. Find the
        # rotated file by its inode (renamed), or by its start and length (copy-truncate).
        renamed = cur is None or cur.inode != pos.inode
        old = self._sibling(pos.inode if renamed else None, pos.offset, pos.head_len, pos.head)
        if old is not None:
            # Finished first; then any file rotated after it (rotated more than once while we
            # were stopped), by age; then the file at `path` from its start.
            self._then.extend(self._successors(old, cur))
            if cur is not None:
                self._then.append(cur)  # kept open: renamed meanwhile, it is still the one to read next
            self._cur = old
            return True
        self._notices.append(
            (
                "queue_log rotated while stopped, and the rotated file was not found beside it"
                " (uncompressed) to finish: its lines after the resume point are lost",
                f"{self.path}: inode {pos.inode}, from byte {pos.offset}",
            )
        )
        self._cur = cur
        return cur is not None

    # -- reading ---------------------------------------------------------------------
    def read(self) -> Batch:
        """The next complete lines (up to about `batch_bytes` of them), or none."""
        if self._cur is None and not self._start():
            return self._batch([], at_end=True)
        self._check_truncated()
        lines = self._read_lines()
        if lines is None:
            if not self._ready_to_move_on():
                return self._batch([], at_end=True)
            # Once more: Asterisk wrote to the old file until it reopened, and it has reopened.
            lines = self._read_lines()
            if lines is None:
                self._move_on()
                return self.read()
        return self._batch(lines, at_end=False)

    def _batch(self, lines: list[str], at_end: bool) -> Batch:
        notices, self._notices = self._notices, []
        return Batch(lines, self.position, notices, at_end)

    def _check_truncated(self) -> None:
        """Copy-truncate: the file shorter than what we read of it, or its start rewritten."""
        cur = self._cur
        if cur is None or cur.retired or cur.offset == 0:
            return
        cur.load_head()
        if os.fstat(cur.fd).st_size >= cur.offset and os.pread(cur.fd, len(cur.head), 0) == cur.head:
            return
        copy = self._sibling(None, cur.offset, len(cur.head), _hash(cur.head))
        if copy is None:
            self._notices.append(
                (
                    "queue_log truncated before it was read to its end (no uncompressed copy beside it)",
                    f"{self.path}: from byte {cur.offset}",
                )
            )
            cur.offset, cur.head = 0, b""
            return
        # The copy is finished first; then the truncated file from its start, by the descriptor
        # we hold (if it is renamed meanwhile, it is still the one that follows the copy).
        # Copies made since (copy-truncated more than once since we last looked) come between.
        cur.offset, cur.head = 0, b""
        self._then[:0] = [*self._successors(copy, cur), cur]
        self._cur = copy

    def _ready_to_move_on(self) -> bool:
        """Our file is read to its end: is there another to move on to?"""
        cur = self._cur
        assert cur is not None
        if cur.retired:
            return True  # a rotated file, finished
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False  # renamed, no new file yet: keep the old one (Asterisk may still write to it)
        if st.st_ino == cur.inode:
            return False
        # Until the new file holds data, Asterisk has not reopened: it still writes to the old one.
        return st.st_size > 0

    def _move_on(self) -> None:
        cur = self._cur
        assert cur is not None
        tail = os.fstat(cur.fd).st_size - cur.offset
        if tail > 0:
            example = os.pread(cur.fd, min(tail, 200), cur.offset).decode("utf-8", "replace")
            self._notices.append(("an unfinished last line in a rotated queue_log", example))
        self._done[cur.inode] = cur.offset + max(0, tail)
        while len(self._done) > 32:
            del self._done[next(iter(self._done))]
        if not self._then:
            nxt = self._open_path()
            if not cur.retired:  # rotated more than once since we last looked: the files between first
                self._then.extend(self._successors(cur, nxt))
            if nxt is not None:
                self._then.append(nxt)
        os.close(cur.fd)
        self._cur = self._then.pop(0) if self._then else None

    def _read_lines(self) -> list[str] | None:
        """The complete lines after the offset (moving it past them), or None if there is none."""
        cur = self._cur
        assert cur is not None
        while True:
            data = os.pread(cur.fd, self.batch_bytes, cur.offset)
            end = data.rfind(b"\n")
            if end >= 0:
                chunk = data[: end + 1]
                cur.offset += len(chunk)
                # A newline byte is never inside a UTF-8 sequence: the chunk decodes on its own.
                text = chunk.decode("utf-8", "replace")
                lines = [line.rstrip("\r") for line in text.split("\n")[:-1]]
                lines = [line for line in lines if line.strip()]
                if lines:
                    return lines
                continue  # only blank lines: read on
            if len(data) < self.batch_bytes:
                return None  # a partial line at most: it waits for its newline
            complete, line = self._long_line(cur)
            if not complete:
                return None
            if line is not None:
                return [line]

    def _long_line(self, cur: _Open) -> tuple[bool, str | None]:
        """A line longer than a batch, once its newline is written: (True, the line), or
        (True, None) if it is over-long (skipped, reported). (False, None): not complete yet."""
        at = cur.offset + self.batch_bytes
        while True:
            data = os.pread(cur.fd, 64 * 1024, at)
            if not data:
                return False, None
            nl = data.find(b"\n")
            if nl >= 0:
                end = at + nl + 1
                break
            at += len(data)
        start, cur.offset = cur.offset, end
        if end - start > MAX_LINE_BYTES:
            example = os.pread(cur.fd, 200, start).decode("utf-8", "replace")
            self._notices.append((f"a queue_log line longer than {MAX_LINE_BYTES // 1024} KiB", example))
            return True, None
        line = os.pread(cur.fd, end - start, start).decode("utf-8", "replace").rstrip("\n").rstrip("\r")
        return True, (line if line.strip() else None)
