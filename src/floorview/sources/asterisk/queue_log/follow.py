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
  lines Asterisk wrote to the old file before reopening are not lost.
- copy-truncate: the file shrinks below the offset, or its first bytes
  change. The copy (a rotation whose first bytes are the ones we hashed and
  which is at least as long as the offset) is read from the offset to its
  end first, then the truncated file from its start. Lines written between
  logrotate's copy and its truncate are lost by copy-truncate itself. The
  file's first bytes are looked at again after each read (a truncate while
  we read: what was read is not handed out), and a file queued to be read
  from its start keeps the first bytes it had when we looked (`snap`), so
  a copy-truncate before we read it shows too. A copy whose start is the
  live file's (copied, not truncated yet) is not read: the file holds it.
- a rotated file is left for the live one only once the live one holds
  data: until Asterisk reopens, it writes on to the rotated file.

The rotations are the files named as logrotate names them (queue_log.1,
queue_log.2.gz, queue_log-20261201, queue_log-20261201.xz) in the queue_log's
directory, or in `rotated_dir` (logrotate's `olddir`), or Asterisk's own
`logger rotate` (queue_log.0 up, or a timestamp). Their order, oldest first,
is the time of their first line (every queue_log line begins with its epoch
time), whatever their names say (logrotate's queue_log.1 is the newest,
Asterisk's `sequential` strategy makes queue_log.0 the oldest) and never
their file times (compressing gives a file a new one). A rotation with no
time at its start (empty) goes by its name: queue_log.N the larger N the
older, a date the earlier the older.

Compressed rotations (.gz, .bz2, .xz: what Python's standard library reads;
.zst, logrotate's `compresscmd zstd`, with the `zstandard` library of the
`zstd` extra, imported when a .zst rotation is first met) are read by
decompressing them into an unnamed temporary file (mode 0600, gone when
closed), read as any other: a position in one is a byte offset in its
decompressed content. A .zst file cut short (logrotate or zstd killed
mid-write) is reported as a cut .gz is: `zstandard`'s stream reader would
end it quietly, so its frames are followed here (`_ZstdContent`).

A file's identity, to find where a stopped follower was: its inode where it
can be (the live file, a renamed one), and always its start: the sha256 of
its first min(HEAD_BYTES, offset) bytes (decompressed), and a length
reaching the offset. Compressing gives a rotation a new inode, so a resume
point in a file since rotated and compressed is found by its start alone
among the rotations; queue_log lines begin with their time and call id, so
two rotations do not begin alike. After a stop, the file the position names
is finished first, then every rotation newer than it (rotated several times
while stopped), oldest first, then the live file.

A position also keeps the times of its file's first line and of the last
line read. If the file is gone when reading resumes (stopped while logrotate
rotated past its `rotate` count), the rotations that come after it are read,
oldest first, then the live file: those whose first line is later than the
last line read, or in its second when an earlier line of the file was in an
earlier second (else an older rotation could begin in that second too: it is
left, never read twice). What the file held past the position, and any
rotation removed after it, is lost: said, with the times between which lines
are missing. A position saved without the times (by an older floorview)
cannot tell which rotations follow: only the live file is read, and that is
said.

First start (no position) with `backfill_rotated`: the rotations present are
read first, oldest to newest, then the live file. A position in one of them
resumes as above, so a restart in the middle of a backfill doubles nothing.
A rotation being compressed while listed (its plain and compressed copies
side by side for a moment) is read once: rotations with equal starts are one.
Rotations listed while logrotate renames them (a name gone, or naming
another file, by the time it is opened) are listed again (`TRIES` times).
Each rotation to read is held open until read (a descriptor each; at most
`MAX_ROTATIONS`, the newest, on a first start).

What the follower cannot read (a file rotated away and removed before it
was finished, or compressed as it cannot read: .lz4, .Z, .zip, and .zst
without `zstandard`; a compressed file cut short; an over-long line; an
unfinished last line of a rotated file) is reported in `Batch.notices`,
counted by the source as not mapped, never silently dropped. Undecodable
bytes are decoded with U+FFFD in their place: the mapper judges the line.

Not inotify: a poll every 0.1 s (the source's poll_s) costs a stat and a
read of nothing, and inotify would need its own watches on the directory
and olddir, and a poll beside it all the same for files on NFS.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import re
import stat
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

HEAD_BYTES = 1024  # how much of a file's start identifies it
BATCH_BYTES = 256 * 1024  # a batch: the complete lines of up to this much (about 3,000 queue_log lines)
MAX_LINE_BYTES = 1024 * 1024  # a longer line is skipped (and reported): no queue_log line is near this
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip")
STDLIB = (".gz", ".bz2", ".xz")  # what the standard library decompresses; .zst with `zstandard` (`_readable`)
ZSTD_EXTRA = "floorview[zstd]"  # what to install to read .zst rotations
# A backfill reads at most this many rotations (the newest), each held open until it is read.
MAX_ROTATIONS = 400
_LINE_TIME = re.compile(rb"(?:^|\n)[ \t]*([0-9]{9,11})(?:\.[0-9]+)?\|")  # a line's epoch time
_ROTATED = re.compile(r"[.-][0-9]+(?:[._-][0-9]+)*")  # after the name: .3, -20261201, -20261201-1764547200
TRIES = 20  # listings of the rotations while logrotate renames them, before taking what is there
_T = TypeVar("_T")
_BROKEN = (EOFError, OSError, ValueError, lzma.LZMAError, zlib.error)  # a compressed file cut short or corrupt


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading a queue_log file stands: the next byte to read of the file with `inode`."""

    inode: int
    offset: int
    head_len: int  # bytes of the file's start hashed: min(HEAD_BYTES, offset)
    head: str  # their sha256, hex
    # The epoch times of the file's first line (in those bytes) and of the last line read (the
    # last of the 4 KiB before `offset` that has one); None: none there, or a position saved by
    # an older floorview. Used only if the file is gone when reading resumes: they tell
    # which rotations come after it (`_follows`).
    first_time: int | None = None
    last_time: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "inode": self.inode,
            "offset": self.offset,
            "head_len": self.head_len,
            "head": self.head,
            "first_time": self.first_time,
            "last_time": self.last_time,
        }

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
        first_time, last_time = value.get("first_time"), value.get("last_time")
        if not all(t is None or (isinstance(t, int) and not isinstance(t, bool)) for t in (first_time, last_time)):
            return None
        return Position(inode, offset, head_len, head, first_time, last_time)


@dataclass
class Batch:
    """Complete lines read (newlines removed, blank lines left out), and the position after them."""

    lines: list[str]
    position: Position | None  # None: no file yet
    notices: list[tuple[str, str]] = field(default_factory=list)  # (reason, example) for what could not be read
    at_end: bool = False  # the file holds no complete line past `position` now


class _Shifted(Exception):
    """A rotation listed is no longer the file of its name: logrotate is renaming them."""


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _time_of_first(data: bytes) -> int | None:
    """The epoch time of the first line of `data` (a file's start) that begins with one."""
    found = _LINE_TIME.search(data)
    return None if found is None else int(found.group(1))


def _follows(first_time: int, pos: Position) -> bool:
    """Whether a rotation whose first line has `first_time` (-1: none) comes after the file of
    `pos`, which is gone: it begins at or after the last line read (queue_log lines are written
    in time order). One beginning in that very second comes after it unless the lines read all
    have that time: an older rotation could then begin in it too, and reading it could double
    lines; it is left (and the loss said with the file's)."""
    last = pos.last_time
    assert last is not None
    if first_time > last:
        return True
    return first_time == last and pos.first_time is not None and pos.first_time < last


def _utc(t: int | None) -> str:
    return "?" if t is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def _codec(name: str) -> str | None:
    """The compression a rotation's name says (".gz"), or None."""
    return next((suffix for suffix in COMPRESSED if name.endswith(suffix)), None)


def _zstandard() -> ModuleType | None:
    """The `zstandard` library (the `zstd` extra), imported on first use (never on the console's
    start-up path); None if it is not installed."""
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


def _readable(codec: str) -> bool:
    """Whether a rotation compressed as `codec` says (".gz") can be read here."""
    return codec in STDLIB or (codec == ".zst" and _zstandard() is not None)


def _broken() -> tuple[type[Exception], ...]:
    """What decompressing raises for a file cut short or corrupt: `_BROKEN`, and zstandard's
    error once it is imported (it is only when a .zst file is read)."""
    zstd = sys.modules.get("zstandard")
    error = getattr(zstd, "ZstdError", None)
    return (*_BROKEN, error) if isinstance(error, type) and issubclass(error, Exception) else _BROKEN


class _ZstdContent(io.RawIOBase):
    """A .zst file's content, every frame of it (zstd writes one; concatenated .zst files are
    several), decompressed as it is read. Ending inside a frame raises EOFError once what was
    decompressed before is handed out (as gzip's reader does; zstandard's stream reader ends
    quietly there, which would hide a rotation cut short); corrupt data raises ZstdError."""

    def __init__(self, zstandard: ModuleType, raw: io.BufferedReader) -> None:
        super().__init__()
        self._raw = raw
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame = self._decompressor.decompressobj()
        self._inside = False  # data of a frame fed, its end not yet
        self._out, self._at = b"", 0  # decompressed, and how much of it was handed out
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._at == len(self._out):
            if self._ended:
                return 0
            data = self._raw.read(64 * 1024)
            if not data:
                self._ended = True
                if self._inside:
                    raise EOFError("zstd data ends inside a frame")
                return 0
            self._out, self._at = self._feed(data), 0
        n = min(len(view), len(self._out) - self._at)
        view[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _feed(self, data: bytes) -> bytes:
        out = []
        while data:
            out.append(self._frame.decompress(data))
            if not self._frame.eof:
                self._inside = True
                break
            data = self._frame.unused_data  # the next frame's start, if any
            self._frame = self._decompressor.decompressobj()
            self._inside = False
        return b"".join(out)


def _decompressing(codec: str, raw: io.BufferedReader) -> io.BufferedIOBase:
    if codec == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if codec == ".bz2":
        return bz2.BZ2File(raw)
    if codec == ".zst":
        zstandard = _zstandard()
        if zstandard is None:  # listed as readable a moment ago: uninstalled since
            raise OSError(f"the zstandard library is gone (install {ZSTD_EXTRA})")
        return io.BufferedReader(_ZstdContent(zstandard, raw), 256 * 1024)
    return lzma.LZMAFile(raw)


def _start_of(fd: int, codec: str, n: int) -> bytes | None:
    """The first `n` bytes of a compressed file's content (fewer if shorter), None if unreadable."""
    try:
        with os.fdopen(os.dup(fd), "rb") as raw:
            raw.seek(0)
            with _decompressing(codec, raw) as content:
                return content.read(n)
    except _broken():
        return None


@dataclass(frozen=True, slots=True)
class _Rotation:
    """A rotated file of ours, as listed."""

    path: Path
    codec: str | None  # a readable compression's suffix (`_readable`), or None: plain
    inode: int
    size: int  # of the file as it is (compressed: the compressed size)
    mtime_ns: int
    dated: bool  # named by a date (dateext), else numbered
    age: tuple[int, ...]  # sorts a kind's rotations oldest first


class _Open:
    """One open file: what has been handed out of it, and whether it is a rotated one to finish.
    A compressed one (`codec`) holds the compressed file until `inflate` puts its content in an
    unnamed temporary file (0600, gone when closed), read from then on as any file."""

    def __init__(self, fd: int, inode: int, offset: int, retired: bool, codec: str | None = None) -> None:
        self.fd, self.inode, self.offset, self.retired, self.codec = fd, inode, offset, retired, codec
        self.head = b""  # its first min(HEAD_BYTES, offset) bytes, once read
        # The live file's first bytes when opened: not read yet, a copy-truncate shows against them.
        self.snap = b""
        self.name = ""  # its path, for notices
        self._timed: tuple[int, bytes, int | None] = (-1, b"", None)  # (offset, head): the last line's time

    def inflate(self) -> str | None:
        """Decompress (once); the error's name if the compressed file is cut short or corrupt
        (its content up to there is kept)."""
        codec, self.codec = self.codec, None
        if codec is None:
            return None
        problem = None
        with tempfile.TemporaryFile() as out:
            try:
                with os.fdopen(os.dup(self.fd), "rb") as raw:
                    raw.seek(0)
                    with _decompressing(codec, raw) as content:
                        # read1: what was decompressed before a break is kept (read(n) drops it)
                        while chunk := content.read1(256 * 1024):
                            out.write(chunk)
            except _broken() as exc:
                problem = type(exc).__name__
            out.flush()
            os.close(self.fd)
            self.fd = os.dup(out.fileno())
        return problem

    def load_head(self) -> None:
        want = min(HEAD_BYTES, self.offset)
        if len(self.head) < want:
            self.head = os.pread(self.fd, want, 0)[:want]

    def head_matches(self, head_len: int, digest: str) -> bool:
        data = os.pread(self.fd, head_len, 0) if head_len else b""
        return len(data) == head_len and _hash(data) == digest

    def position(self) -> Position:
        self.load_head()
        return Position(
            self.inode, self.offset, len(self.head), _hash(self.head), _time_of_first(self.head), self.last_time()
        )

    def last_time(self) -> int | None:
        """The time of the last line before the offset that has one (in the 4 KiB before it)."""
        if self._timed[:2] != (self.offset, self.head):
            n = min(self.offset, 4096)
            data = os.pread(self.fd, n, self.offset - n) if n else b""
            if n < self.offset:  # from the first line that begins inside those bytes (its newline kept)
                newline = data.find(b"\n")
                data = data[newline:] if newline >= 0 else b""
            times = _LINE_TIME.findall(data)
            self._timed = (self.offset, self.head, int(times[-1]) if times else None)
        return self._timed[2]


class QueueLogFollower:
    """Reads `path` from `position` (None: from its start, after the rotations beside it with
    `backfill_rotated`) and follows it; `read` never blocks. `rotated_dir`: where rotations go
    (logrotate's olddir; relative: to the file's directory), else beside the file."""

    def __init__(
        self,
        path: Path | str,
        position: Position | None = None,
        batch_bytes: int = BATCH_BYTES,
        *,
        backfill_rotated: bool = False,
        rotated_dir: Path | str | None = None,
    ) -> None:
        self.path = Path(path)
        self.batch_bytes = batch_bytes
        self.backfill_rotated = backfill_rotated
        self.rotated_dir = self.path.parent / rotated_dir if rotated_dir else self.path.parent
        self._resume = position  # applied when the file is first opened
        self._started = False  # the resume point (or the backfill) has been acted on
        self._last: Position | None = None  # with no file open: where reading stands
        self._cur: _Open | None = None
        self._then: list[_Open] = []  # files to read after the current one, in order (open already)
        # Files read to their end (inode -> size then): a rotation's file found again is not
        # read twice (file times are coarse: a file finished a moment ago may look as new).
        self._done: dict[int, int] = {}
        self._notices: list[tuple[str, str]] = []
        self._times: dict[tuple[Path, int, int, int], int] = {}  # rotations' first line times

    @property
    def position(self) -> Position | None:
        if self._cur is None:
            return self._last if self._started else self._resume
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
        opened = _Open(fd, os.fstat(fd).st_ino, 0, retired=False)
        opened.snap = os.pread(fd, HEAD_BYTES, 0)
        return opened

    def _rotations(self, unreadable: list[str] | None = None, strict: bool = False) -> list[_Rotation]:
        """The rotations of our file present now, oldest first (see the module). Those compressed
        as we cannot read are left out (named in `unreadable`). `strict`: `_Shifted` if one
        listed is gone before it is looked at (logrotate renaming or compressing them)."""
        try:
            names = os.listdir(self.rotated_dir)
        except OSError:
            return []
        base = self.path.name
        found = []
        for name in names:
            codec = _codec(name)
            rest = name[len(base) : len(name) - len(codec or "")]
            if not name.startswith(base) or not _ROTATED.fullmatch(rest):
                continue  # not a rotation's name: queue_log.bak, queue_log_old
            if codec is not None and not _readable(codec):
                if unreadable is not None:
                    unreadable.append(name)
                continue
            p = self.rotated_dir / name
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                if strict:
                    raise _Shifted from None
                continue
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            digits = re.findall(r"[0-9]+", rest)
            dated = len(digits) > 1 or len(digits[0]) > 6  # queue_log.3, queue_log-20261201
            age = tuple(int(d) for d in digits) if dated else (-int(digits[0]),)
            found.append(_Rotation(p, codec, st.st_ino, st.st_size, st.st_mtime_ns, dated, age))
        if strict and len({r.inode for r in found}) < len(found):
            raise _Shifted  # one file under two names: listed while being renamed
        try:
            if strict and sorted(os.listdir(self.rotated_dir)) != sorted(names):
                raise _Shifted  # renamed while listed (a listing may then miss one)
        except OSError:
            pass
        kinds = [[r for r in found if r.dated == dated] for dated in (False, True)]
        kinds.sort(key=lambda rs: max((r.mtime_ns for r in rs), default=0))  # both kinds: the older kind first
        by_name = [r for rs in kinds for r in sorted(rs, key=lambda r: r.age)]
        # By their first lines' times; one with none (empty, or being written) stays after the
        # one before it by name; equal times by name (a stable sort).
        times, last = [], -1
        for r in by_name:
            t = self._first_time(r)
            last = t if t >= 0 else last
            times.append(last)
        order = sorted(range(len(by_name)), key=lambda k: times[k])
        return [by_name[k] for k in order]

    def _first_time(self, r: _Rotation) -> int:
        """The epoch time of a rotation's first line (of the first 4 KiB), -1 if none there."""
        key = (r.path, r.inode, r.size, r.mtime_ns)
        if key in self._times:
            return self._times[key]
        start: bytes | None = None
        try:
            fd = os.open(r.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            return -1
        try:
            start = os.pread(fd, 4096, 0) if r.codec is None else _start_of(fd, r.codec, 4096)
        finally:
            os.close(fd)
        found = _LINE_TIME.search(start or b"")
        if found is None:
            return -1  # not kept: a file being written may have one soon
        if len(self._times) > 1000:
            self._times.clear()
        self._times[key] = int(found.group(1))
        return self._times[key]

    def _siblings(self) -> list[Path]:
        """Uncompressed rotations, most recently written first."""
        plain = [r for r in self._rotations() if r.codec is None]
        return [r.path for r in sorted(plain, key=lambda r: r.mtime_ns, reverse=True)]

    def _open_rotation(self, r: _Rotation, offset: int = 0) -> _Open | None:
        try:
            fd = os.open(r.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            return None
        opened = _Open(fd, os.fstat(fd).st_ino, offset, retired=True, codec=r.codec)
        opened.name = str(r.path)
        return opened

    def _say_unreadable(self, names: list[str]) -> None:
        """Notices for the rotations `_rotations` left out: compressed as we cannot read."""
        for name in sorted(names):
            if name.endswith(".zst"):
                reason = (
                    "a queue_log rotation compressed with zstd, not read: the zstandard library is not installed"
                    f" (install {ZSTD_EXTRA})"
                )
            else:
                reason = "a queue_log rotation compressed as floorview cannot read (.gz, .bz2, .xz and .zst it can): not read"
            self._notices.append((reason, name))

    def _inflate(self, f: _Open) -> None:
        problem = f.inflate()
        if problem is not None:
            self._notices.append(
                (
                    "a compressed queue_log rotation cut short or corrupt: read up to where it breaks",
                    f"{f.name}: {problem}",
                )
            )

    def _find(
        self, inode: int | None, offset: int, head_len: int, digest: str, strict: bool
    ) -> tuple[_Open, list[_Rotation], int] | None:
        """A rotated copy of our file holding `offset` bytes or more, with the rotations and its
        place among them: by inode (renamed: tried first) or by its first bytes (copy-truncate;
        renamed, then compressed). `strict`: `_Shifted` if the rotations move while we look."""
        rotations = self._rotations(strict=strict)
        newest_first = list(range(len(rotations)))[::-1]
        # By inode first; then plain files before compressed ones (a file being compressed is
        # there twice for a moment, the compressed one still being written).
        newest_first.sort(
            key=lambda i: (
                rotations[i].inode != inode or rotations[i].codec is not None,
                rotations[i].codec is not None,
            )
        )
        for i in newest_first:
            r = rotations[i]
            if r.codec is None and r.size < offset:
                continue
            opened = self._open_rotation(r, offset)
            if opened is not None and opened.inode != r.inode:
                os.close(opened.fd)
                opened = None
            if opened is None:
                if strict:
                    raise _Shifted
                continue
            if opened.codec is not None:
                start = _start_of(opened.fd, opened.codec, head_len)
                if start is not None and len(start) == head_len and _hash(start) == digest:
                    self._inflate(opened)
            if opened.codec is None and os.fstat(opened.fd).st_size >= offset and opened.head_matches(head_len, digest):
                return opened, rotations, i
            os.close(opened.fd)
        if strict:
            raise _Shifted  # not there, or missed by a listing taken while logrotate renamed: again
        return None

    def _newer(
        self, rotations: list[_Rotation], i: int, live: _Open | None, strict: bool, now: bytes = b""
    ) -> list[_Open]:
        """The rotations after the `i`th (newer), opened (compressed ones inflated when their turn
        comes), and `live` (the file at `path` when we looked, held open) in its place: last,
        or where it is among them if it was rotated since (by its inode, or compressed: as
        it begins). `strict`: raise `_Shifted` if one is no longer the file listed (logrotate
        renaming them meanwhile); else leave it out. `now`: the live file's first bytes, read
        before the rotations were listed. A rotation beginning as they do is the live file
        itself, renamed and compressed since; or copy-truncate's copy of it, not truncated
        yet, whose lines it still holds (and once it is truncated, its `snap`, `now`, shows
        it and the copy is read then): in both, the live file is read in its place."""
        out: list[_Open] = []
        placed = False

        def place() -> None:
            nonlocal placed
            if live is not None and not placed:
                try:
                    live.retired = os.stat(self.path).st_ino != live.inode  # rotated since we looked
                except FileNotFoundError:
                    live.retired = True
                out.append(live)
                placed = True

        this = rotations[i] if i >= 0 else None
        plain = {(r.dated, r.age) for r in rotations if r.codec is None}
        for r in rotations[i + 1 :]:
            if this is not None and (r.dated, r.age) == (this.dated, this.age):
                continue  # the same rotation, plain and compressed (being compressed now)
            if r.codec is not None and (r.dated, r.age) in plain:
                continue  # the same: its plain copy is read
            if live is not None and r.codec is None and r.inode == live.inode:
                place()  # the live file, renamed since we looked
                continue
            opened = self._open_rotation(r)
            if opened is not None and opened.inode == r.inode:
                if live is not None and now and self._begins(opened, now):
                    os.close(opened.fd)
                    place()
                else:
                    out.append(opened)
                continue
            if opened is not None:
                os.close(opened.fd)
            if strict:
                for f in out:
                    if f is not live:
                        os.close(f.fd)
                raise _Shifted
        if live is not None and not placed:
            out.append(live)
        return out

    @staticmethod
    def _begins(f: _Open, now: bytes) -> bool:
        """`f`'s content is a start of `now`'s file's (or begins with `now`)."""
        start = os.pread(f.fd, len(now), 0) if f.codec is None else _start_of(f.fd, f.codec, len(now))
        return bool(start) and start == now[: len(start or b"")]

    def _settled(self, attempt: Callable[[bool], _T]) -> _T:
        """`attempt(strict)` again while the rotations move under it (logrotate renaming them
        while we list them); the last time not strict."""
        for n in range(TRIES):
            try:
                return attempt(n < TRIES - 1)
            except _Shifted:
                time.sleep(min(0.05, 0.005 * (n + 1)))
        raise AssertionError("not strict the last time: never raises _Shifted")

    def _backfill(self, live: _Open | None) -> list[_Open]:
        """A first start's rotations, oldest first (one of each content: a rotation being
        compressed is there twice for a moment; none empty), and the live file (`_newer`)."""
        return self._settled(lambda strict: self._backfill_once(live, strict))

    def _backfill_once(self, live: _Open | None, strict: bool) -> list[_Open]:
        unreadable: list[str] = []
        now = b"" if live is None else os.pread(live.fd, HEAD_BYTES, 0)
        rotations = self._rotations(unreadable, strict)
        if len(rotations) > MAX_ROTATIONS:
            skipped, rotations = rotations[:-MAX_ROTATIONS], rotations[-MAX_ROTATIONS:]
        else:
            skipped = []
        opened = self._newer(rotations, -1, live, strict, now)
        if live is not None:
            live.snap = now
        self._say_unreadable(unreadable)
        if skipped:
            self._notices.append(
                (f"more than {MAX_ROTATIONS} queue_log rotations: the oldest are not read", str(skipped[-1].path))
            )
        return self._one_each(opened, live)

    @staticmethod
    def _one_each(opened: list[_Open], live: _Open | None) -> list[_Open]:
        """`opened` less the empty rotations and all but one of those that begin alike (the plain
        one kept): a rotation being compressed is there twice for a moment."""
        starts: dict[str, _Open] = {}  # a content's start -> the file kept for it (plain preferred)
        for f in opened:
            if f is live:
                starts[f"live {f.inode}"] = f
                continue
            start = os.pread(f.fd, HEAD_BYTES, 0) if f.codec is None else _start_of(f.fd, f.codec, HEAD_BYTES)
            if not start:  # empty, or unreadable: nothing to read (said when it is read, if unreadable)
                if start is None:
                    starts[f"unreadable {f.inode}"] = f
                continue
            kept = starts.get(_hash(start))
            if kept is None or (kept.codec is not None and f.codec is None):
                starts[_hash(start)] = f
        keep = {id(f) for f in starts.values()}
        for f in opened:
            if id(f) not in keep:
                os.close(f.fd)
        return [f for f in opened if id(f) in keep]

    def _place(self, rotations: list[_Rotation], f: _Open) -> int | None:
        """Where `f` (a file we hold) is among the rotations: by inode, or (compressed since) by its start."""
        f.load_head()
        for i in range(len(rotations) - 1, -1, -1):
            r = rotations[i]
            if r.codec is None and r.inode == f.inode:
                return i
        for i in range(len(rotations) - 1, -1, -1):
            r = rotations[i]
            if r.codec is None or not f.head:
                continue
            try:
                fd = os.open(r.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
            except OSError:
                continue
            try:
                if _start_of(fd, r.codec, len(f.head)) == f.head:
                    return i
            finally:
                os.close(fd)
        return None

    def _rotated_since(self, old: _Open, new: _Open | None) -> list[_Open]:
        """The rotations newer than `old` (our file, renamed) and not `new` (the file now at
        `path`), oldest first: the file was rotated more than once since we last looked. Found
        in the rotations' order; if `old` is not among them (removed), by file times."""
        return self._settled(lambda strict: self._rotated_since_once(old, new, strict))

    def _rotated_since_once(self, old: _Open, new: _Open | None, strict: bool) -> list[_Open]:
        now = b"" if new is None else os.pread(new.fd, HEAD_BYTES, 0)
        rotations = self._rotations(strict=strict)
        i = self._place(rotations, old)
        if i is None and strict:
            raise _Shifted  # as `_find`
        if i is None:
            return [*self._successors(old, new), *([new] if new is not None else [])]
        newer = self._newer(rotations, i, new, strict, now)
        if new is not None:
            new.snap = now
        return newer

    def _found_and_newer(
        self, inode: int | None, offset: int, head_len: int, digest: str, live: _Open | None
    ) -> tuple[_Open, list[_Open]] | None:
        """`_find`'s file, and the rotations newer than it (`_newer`)."""

        def attempt(strict: bool) -> tuple[_Open, list[_Open]] | None:
            now = b"" if live is None else os.pread(live.fd, HEAD_BYTES, 0)
            found = self._find(inode, offset, head_len, digest, strict)
            if found is None:
                return None
            old, rotations, i = found
            try:
                newer = self._newer(rotations, i, live, strict, now)
            except _Shifted:
                os.close(old.fd)
                raise
            if live is not None:
                live.snap = now
            return old, newer

        return self._settled(attempt)

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

    def _become(self, f: _Open | None) -> None:
        """`f` is the file read now."""
        if f is not None and f.codec is not None:
            self._inflate(f)
        self._cur = f

    def _start(self) -> bool:
        """Open the file (and from the resume point, or after the rotations); False: no file yet."""
        cur = self._open_path()
        if self._started:
            self._cur = cur
            return cur is not None
        pos = self._resume
        if pos is None:
            # The rotations, oldest first, and the file (among them if rotated meanwhile).
            files = self._backfill(cur) if self.backfill_rotated else [] if cur is None else [cur]
            if not files:
                return False  # nothing read yet: a backfill still to do once there are files
            self._started, self._resume = True, None
            self._then = files[1:]
            self._become(files[0])
            return True
        self._started, self._resume, self._last = True, None, pos
        if pos.offset == 0:
            self._cur = cur
            return cur is not None
        if cur is not None and cur.inode == pos.inode and os.fstat(cur.fd).st_size >= pos.offset:
            cur.offset = pos.offset
            cur.load_head()  # the start it has now, held: a copy-truncate from now on shows against it
            if len(cur.head) == pos.head_len and _hash(cur.head) == pos.head:
                self._cur = cur  # as we left it
                return True
            cur.offset, cur.head = 0, b""
        # Not the file we left, or not as we left it: rotated while we were stopped. Find the
        # rotated file by its inode (renamed), or by its start and length (copy-truncate, or
        # renamed and compressed).
        renamed = cur is None or cur.inode != pos.inode
        found = self._found_and_newer(pos.inode if renamed else None, pos.offset, pos.head_len, pos.head, cur)
        if found is not None:
            # Finished first; then every rotation newer than it (rotated more than once while we
            # were stopped), oldest first, and the file at `path` from its start (held open:
            # renamed meanwhile, it is still read in its place).
            old, newer = found
            self._then.extend(newer)
            self._cur = old
            return True
        # Gone: removed (logrotate's `rotate` count, while we were stopped for as many rotations),
        # or compressed as we cannot read. The rotations that come after it, then the file.
        where = f"the file was inode {pos.inode} of {self.path}, read to byte {pos.offset}"  # last: a path may be long
        if pos.last_time is None:  # saved by an older floorview: which rotations come after it is not known
            self._notices.append(
                (
                    "queue_log rotated while stopped, and the file being read is gone (its resume point, saved"
                    " by an older floorview, cannot tell which rotations came after it): the rest of it and"
                    " any rotation after it are not read; the live file is read from its start",
                    where,
                )
            )
            self._cur = cur
            return cur is not None
        files, read, next_time = self._after(pos, cur)
        self._notices.append(
            (
                "queue_log rotated while stopped, and the file being read is gone (removed, as logrotate's"
                " `rotate` count does, or compressed as floorview cannot read): any lines it held past the"
                " resume point are lost; the rotations after it and the live file are read",
                f"any lines after {_utc(pos.last_time)}"
                + ("" if next_time is None else f" and before {_utc(next_time)}")
                + f" are missing; {read} rotation{'' if read == 1 else 's'} after it read; {where}",
            )
        )
        if not files:
            return False
        self._then = files[1:]
        self._become(files[0])
        return True

    def _after(self, pos: Position, live: _Open | None) -> tuple[list[_Open], int, int | None]:
        """When the file of `pos` is gone: the rotations that come after it (`_follows`), oldest
        first (open, as `_newer`'s, one of each as `_one_each`'s), then `live` (the file at
        `path`, held open); how many rotations; the time the first of them (or `live`) begins."""

        def attempt(strict: bool) -> tuple[list[_Open], list[str], list[_Rotation], bytes]:
            unreadable: list[str] = []
            now = b"" if live is None else os.pread(live.fd, HEAD_BYTES, 0)
            rotations = self._rotations(unreadable, strict)
            k = next((i for i, r in enumerate(rotations) if _follows(self._first_time(r), pos)), len(rotations))
            opened = self._newer(rotations, k - 1, live, strict, now)
            if live is not None:
                live.snap = now
            return self._one_each(opened, live), unreadable, rotations[k:], now

        files, unreadable, after, now = self._settled(attempt)
        self._say_unreadable(unreadable)
        times = [t for t in (self._first_time(r) for r in after) if t >= 0]
        return files, sum(f is not live for f in files), times[0] if times else _time_of_first(now)

    # -- reading ---------------------------------------------------------------------
    def read(self) -> Batch:
        """The next complete lines (up to about `batch_bytes` of them), or none."""
        if self._cur is None and not self._start():
            return self._batch([], at_end=True)
        self._check_truncated()
        lines = self._read_checked()
        if lines is None:
            if not self._ready_to_move_on():
                return self._batch([], at_end=True)
            # Once more: Asterisk wrote to the old file until it reopened, and it has reopened.
            lines = self._read_checked()
            if lines is None:
                self._move_on()
                return self.read()
        return self._batch(lines, at_end=False)

    def _batch(self, lines: list[str], at_end: bool) -> Batch:
        notices, self._notices = self._notices, []
        return Batch(lines, self.position, notices, at_end)

    def _check_truncated(self) -> None:
        """Copy-truncate: the file shorter than what we read of it, or its start rewritten; or,
        not read yet, its start no longer what it was when we opened it (`snap`)."""
        cur = self._cur
        if cur is None or cur.retired:
            return
        if cur.offset == 0:
            if not cur.snap or os.pread(cur.fd, len(cur.snap), 0) == cur.snap:
                return
            head, held = cur.snap, len(cur.snap)
        else:
            cur.load_head()
            if os.fstat(cur.fd).st_size >= cur.offset and os.pread(cur.fd, len(cur.head), 0) == cur.head:
                return
            head, held = cur.head, cur.offset
        found = self._found_and_newer(None, held, len(head), _hash(head), cur)
        if found is None:
            self._notices.append(
                (
                    "queue_log truncated before it was read to its end (no copy of it among the rotations)",
                    f"{self.path}: from byte {cur.offset}",
                )
            )
            cur.offset, cur.head, cur.snap = 0, b"", os.pread(cur.fd, HEAD_BYTES, 0)
            return
        # The copy is finished first (from where we were in the file); then the truncated file
        # from its start, by the descriptor we hold (if it is renamed meanwhile, it is still the
        # one that follows the copy). Copies made since (copy-truncated more than once since we
        # last looked) come between.
        copy, newer = found
        copy.offset = cur.offset
        cur.offset, cur.head = 0, b""  # and its snap: `_found_and_newer`'s
        self._then[:0] = newer  # `cur` among them
        self._cur = copy

    def _ready_to_move_on(self) -> bool:
        """Our file is read to its end: is there another to move on to?"""
        cur = self._cur
        assert cur is not None
        if self._then:
            nxt = self._then[0]
            if nxt.retired:
                return True  # a rotated file, finished, and the next rotated one known
            # Next, the live file (as it was when we found where we were): Asterisk may write on
            # to the rotated one until it reopens, so not before the live one holds data (or
            # was rotated itself).
            if os.fstat(nxt.fd).st_size > 0:
                return True
            try:
                return os.stat(self.path).st_ino != nxt.inode
            except FileNotFoundError:
                return False
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
            # Rotated more than once since we last looked (or since the rotation we finished was
            # found): the files between first, then `nxt`.
            self._then.extend(self._rotated_since(cur, nxt))
        self._last = cur.position()  # where reading stands while no file is open
        os.close(cur.fd)
        self._become(self._then.pop(0) if self._then else None)

    def _read_checked(self) -> list[str] | None:
        """`_read_lines`, and for the live file a look at its start afterwards: copy-truncated
        (and written again) while we read, what we read may be the new content's; then it is
        not handed out, and the next read finds the copy."""
        cur = self._cur
        assert cur is not None
        if cur.retired:
            return self._read_lines()
        cur.load_head()
        before, head = cur.offset, cur.head
        lines = self._read_lines()
        if lines is None:
            return None
        if os.pread(cur.fd, len(cur.head), 0) != cur.head or (
            before == 0 and cur.head[: len(cur.snap)] != cur.snap[: len(cur.head)]
        ):
            cur.offset, cur.head = before, head
            return None
        return lines

    def _read_lines(self) -> list[str] | None:
        """The complete lines after the offset (moving it past them), or None if there is none."""
        cur = self._cur
        assert cur is not None
        while True:
            data = os.pread(cur.fd, self.batch_bytes, cur.offset)
            end = data.rfind(b"\n")
            if end >= 0:
                chunk = data[: end + 1]
                if cur.offset < HEAD_BYTES:  # the file's start as we read it, not as it is later
                    cur.load_head()
                    cur.head = (cur.head + chunk)[:HEAD_BYTES]
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
        if start < HEAD_BYTES:
            cur.load_head()
        if end - start > MAX_LINE_BYTES:
            example = os.pread(cur.fd, 200, start).decode("utf-8", "replace")
            self._notices.append((f"a queue_log line longer than {MAX_LINE_BYTES // 1024} KiB", example))
            return True, None
        line = os.pread(cur.fd, end - start, start).decode("utf-8", "replace").rstrip("\n").rstrip("\r")
        return True, (line if line.strip() else None)
