"""The queue_log follower (sources/asterisk/queue_log/follow.py) on real files in tmp_path:
partial lines, blank lines, bad bytes, exact resume, rotation (rename and a new file;
copy-truncate) while it runs and while it was stopped, and a writer thread that appends
and rotates while a follower thread reads."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zstandard

from floorview.sources.asterisk.queue_log.follow import Batch, Position, QueueLogFollower


GONE = (
    "queue_log rotated while stopped, and the file being read is gone (removed, as logrotate's `rotate` count"
    " does, or compressed as floorview cannot read): any lines it held past the resume point are lost; the"
    " rotations after it and the live file are read"
)


def _line(i: int) -> str:
    return f"{1764600000 + i}|call-{i}|support|Agent {i % 7}|ENTERQUEUE||555{i:04d}|1"


def _write(out, line: str, rng: random.Random) -> None:
    """A line as Asterisk appends it; one in twenty in two parts, a moment apart."""
    data = (line + "\n").encode()
    if rng.random() < 0.05:
        cut = rng.randint(1, len(data) - 1)
        out.write(data[:cut])
        time.sleep(0.001)
        out.write(data[cut:])
    else:
        out.write(data)


def _append(path: Path, *lines: str, raw: bytes = b"") -> None:
    with open(path, "ab") as f:
        f.write("".join(line + "\n" for line in lines).encode() + raw)


def _drain(f: QueueLogFollower) -> tuple[list[str], list[Batch]]:
    """Every line the follower has now, and its batches (the last one at the end)."""
    lines, batches = [], []
    while True:
        batch = f.read()
        batches.append(batch)
        lines.extend(batch.lines)
        if batch.at_end:
            return lines, batches


def test_complete_lines_only_blank_lines_skipped_bad_bytes_replaced(tmp_path):
    path = tmp_path / "queue_log"
    f = QueueLogFollower(path)
    assert f.read().at_end and f.position is None  # no file yet: nothing, and no error
    _append(path, _line(1), "", "   ", _line(2) + "\r", raw=b"1764600003|call-3|supp")
    lines, batches = _drain(f)
    assert lines == [_line(1), _line(2)]  # blank lines left out, a CR before the newline removed
    assert batches[-1].position is not None
    assert batches[-1].position.offset == path.stat().st_size - len(b"1764600003|call-3|supp")
    assert _drain(f)[0] == []  # the partial line waits...
    _append(path, raw=b"ort|NONE|ENTERQUEUE|\xff\xfe|1\n")
    assert _drain(f)[0] == ["1764600003|call-3|support|NONE|ENTERQUEUE|\ufffd\ufffd|1"]  # ...until complete
    assert f.position is not None and f.position.offset == path.stat().st_size


def test_batches_are_bounded_and_every_position_resumes_exactly(tmp_path):
    path = tmp_path / "queue_log"
    every = [_line(i) for i in range(2000)]
    _append(path, *every)
    f = QueueLogFollower(path, batch_bytes=4096)
    lines, batches = _drain(f)
    assert lines == every and len(batches) > 20 and all(len(b.lines) < 100 for b in batches)
    # From each batch's position, a new follower reads exactly what came after it.
    seen = 0
    for batch in batches[:-1:5]:
        seen = sum(len(b.lines) for b in batches[: batches.index(batch) + 1])
        point = Position.from_json(batch.position.to_json())
        assert point == batch.position
        assert _drain(QueueLogFollower(path, point))[0] == every[seen:]
    assert Position.from_json({"inode": 1, "offset": 5, "head_len": 9, "head": "x"}) is None  # head past offset
    assert Position.from_json({"inode": True, "offset": 5, "head_len": 5, "head": "x"}) is None
    assert Position.from_json("nope") is None


def test_a_line_longer_than_a_batch_is_handed_out_whole_and_an_over_long_one_skipped(tmp_path, monkeypatch):
    import floorview.sources.asterisk.queue_log.follow as follow

    monkeypatch.setattr(follow, "MAX_LINE_BYTES", 3000)
    path = tmp_path / "queue_log"
    long_line = _line(1) + "x" * 500
    _append(path, long_line, _line(2), "y" * 5000, _line(3))
    f = QueueLogFollower(path, batch_bytes=256)
    lines, batches = _drain(f)
    assert lines == [long_line, _line(2), _line(3)]
    assert [n for b in batches for n in b.notices] == [("a queue_log line longer than 2 KiB", "y" * 200)]
    _append(path, raw=b"z" * 1000)  # a long line still being written: nothing handed out yet
    assert _drain(f)[0] == []
    _append(path, raw=b"\n" + _line(4).encode() + b"\n")
    assert _drain(f)[0] == ["z" * 1000, _line(4)]


def test_rename_rotation_finishes_the_old_file_before_the_new_one(tmp_path):
    path = tmp_path / "queue_log"
    _append(path, _line(1))
    f = QueueLogFollower(path)
    assert _drain(f)[0] == [_line(1)]
    old = open(path, "ab")  # Asterisk's open file
    os.rename(path, tmp_path / "queue_log.1")
    assert _drain(f)[0] == []  # renamed, no new file yet
    old.write((_line(2) + "\n").encode())
    old.flush()
    path.touch()  # logrotate's `create`: empty until Asterisk reopens
    old.write((_line(3) + "\n").encode())  # Asterisk still writes to the old file
    old.flush()
    assert _drain(f)[0] == [_line(2), _line(3)]
    old.write(b"1764600004|call-4|sup")  # an unfinished line Asterisk never completes
    old.close()
    _append(path, _line(5))  # Asterisk reopened
    lines, batches = _drain(f)
    assert lines == [_line(5)]
    assert [n for b in batches for n in b.notices] == [
        ("an unfinished last line in a rotated queue_log", "1764600004|call-4|sup")
    ]
    assert f.position is not None and f.position.inode == path.stat().st_ino


def test_copy_truncate_reads_the_rest_from_the_copy(tmp_path):
    path = tmp_path / "queue_log"
    _append(path, _line(1), _line(2))
    f = QueueLogFollower(path)
    assert _drain(f)[0] == [_line(1), _line(2)]
    _append(path, _line(3), _line(4))  # not read yet when logrotate copies
    shutil.copyfile(path, tmp_path / "queue_log.1")
    os.truncate(path, 0)
    _append(path, _line(5))
    assert _drain(f)[0] == [_line(3), _line(4), _line(5)]
    # Truncated and written again past the offset (the size alone would not tell): the start does.
    _append(path, *[_line(i) for i in range(6, 40)])
    assert len(_drain(f)[0]) == 34
    long_again = [_line(i) for i in range(100, 200)]
    os.truncate(path, 0)
    _append(path, *long_again)  # no copy this time: said, and the new content read from its start
    lines, batches = _drain(f)
    assert lines == long_again
    assert [n[0] for b in batches for n in b.notices] == [
        "queue_log truncated before it was read to its end (no copy of it among the rotations)"
    ]


def test_resume_after_rotation_while_stopped(tmp_path):
    path = tmp_path / "queue_log"
    _append(path, _line(1), _line(2))
    f = QueueLogFollower(path)
    _drain(f)
    point = f.position
    f.close()

    # Renamed (twice, as logrotate shifts .1 to .2) with lines after the point, and a new file.
    _append(path, _line(3))
    os.rename(path, tmp_path / "queue_log.1")
    _append(path, _line(4))
    os.rename(tmp_path / "queue_log.1", tmp_path / "queue_log.2")
    os.rename(path, tmp_path / "queue_log.1")
    _append(path, _line(5))
    f = QueueLogFollower(path, point)
    lines, batches = _drain(f)
    assert lines == [_line(3), _line(4), _line(5)] and not any(b.notices for b in batches)
    point = f.position
    f.close()

    # Copy-truncate while stopped: the copy is finished from the point.
    _append(path, _line(6))
    shutil.copyfile(path, tmp_path / "queue_log.0")
    os.truncate(path, 0)
    _append(path, _line(7))
    f = QueueLogFollower(path, point)
    assert _drain(f)[0] == [_line(6), _line(7)]
    point = f.position
    f.close()

    # Rotated and compressed before the hub came back (logrotate's `compress`: a new inode): found
    # by its start among the rotations, finished, then the new file.
    _append(path, _line(8))
    for n in (2, 1, 0):  # logrotate shifts the older ones first
        os.rename(tmp_path / f"queue_log.{n}", tmp_path / f"queue_log.{n + 2}")
    with open(path, "rb") as src, gzip.open(tmp_path / "queue_log.1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.unlink(path)
    _append(path, _line(9))
    f = QueueLogFollower(path, point)
    lines, batches = _drain(f)
    assert lines == [_line(8), _line(9)] and not any(b.notices for b in batches)
    point = f.position
    f.close()

    # Removed before the hub came back, and no rotation after it (those there are older): said,
    # with the times between which lines are missing, and the new file read.
    _append(path, _line(10))
    gone = path.stat().st_ino
    os.unlink(path)
    _append(path, _line(11))
    f = QueueLogFollower(path, point)
    lines, batches = _drain(f)
    assert lines == [_line(11)]
    assert [n for b in batches for n in b.notices] == [
        (
            GONE,
            "any lines after 2025-12-01 14:40:09 UTC and before 2025-12-01 14:40:11 UTC are missing;"
            f" 0 rotations after it read; the file was inode {gone} of {path}, read to byte {point.offset}",
        )
    ]

    # Renamed and no new file yet: the old one is finished, then the new one read once it is
    # there. Meanwhile the position is the old one's end (a restart then reads nothing twice).
    point = f.position
    f.close()
    _append(path, _line(12))
    os.rename(path, tmp_path / "queue_log.1")  # beside queue_log.1.gz: the same rotation, named twice
    f = QueueLogFollower(path, point)
    assert _drain(f)[0] == [_line(12)]
    assert f.position is not None and f.position.inode == (tmp_path / "queue_log.1").stat().st_ino
    again = QueueLogFollower(path, f.position)
    assert _drain(again)[0] == []
    _append(path, _line(13))
    assert _drain(f)[0] == [_line(13)]
    assert _drain(again)[0] == [_line(13)]


def test_a_writer_appending_and_rotating_while_the_follower_runs_loses_and_doubles_nothing(tmp_path):
    """Asterisk (a thread) writes numbered lines in bursts, sometimes half a line at a time, and
    rotates every so often by rename (writing on to the old file a little before reopening) or by
    copy-truncate; the follower (another thread) polls. Every line arrives once, in order."""
    path = tmp_path / "queue_log"
    rng = random.Random(1201)
    total = 6000
    got: list[str] = []
    done = threading.Event()

    def follow() -> None:
        f = QueueLogFollower(path, batch_bytes=2048)
        while True:
            finished = done.is_set()
            batch = f.read()
            got.extend(batch.lines)
            assert not batch.notices, batch.notices
            if batch.at_end:
                if finished:
                    return
                time.sleep(0.002)

    reader = threading.Thread(target=follow)
    reader.start()
    out = open(path, "ab", buffering=0)
    rotations = 0
    i = 0
    while i < total:
        for _ in range(rng.randint(1, 60)):
            _write(out, _line(i), rng)
            i += 1
        time.sleep(rng.uniform(0, 0.003))
        if rng.random() < 0.08:
            rotations += 1
            for n in range(5, 0, -1):  # logrotate shifts the older ones first
                older = tmp_path / f"queue_log.{n}"
                if older.exists():
                    os.rename(older, tmp_path / f"queue_log.{n + 1}")
            if rng.random() < 0.5:  # rename, a new file, a few more lines to the old one, reopen
                os.rename(path, tmp_path / "queue_log.1")
                path.touch()
                for _ in range(rng.randint(0, 3)):
                    out.write((_line(i) + "\n").encode())
                    i += 1
                out.close()
                out = open(path, "ab", buffering=0)
            else:  # copy-truncate: the writer keeps its file
                shutil.copyfile(path, tmp_path / "queue_log.1")
                os.truncate(path, 0)
    out.close()
    time.sleep(0.05)
    done.set()
    reader.join(30)
    assert not reader.is_alive()
    assert rotations >= 5
    assert got == [_line(n) for n in range(i)]  # i: the lines written (the last burst may pass `total`)


# -- logrotate as configured at real sites: compress, delaycompress, dateext, olddir ---------------

OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zst": zstandard.open}


def _compress(src: Path, codec: str) -> None:
    """As logrotate's compress: the compressed file written beside, then the plain one removed."""
    with open(src, "rb") as plain, OPENERS[codec](src.with_name(src.name + codec), "wb") as packed:
        shutil.copyfileobj(plain, packed)
    os.unlink(src)


class Logrotate:
    """logrotate on one file: rename and `create` (the writer's `reopen` called between them and
    compressing, as postrotate runs before compress) or `copytruncate`; `compress` with a codec,
    now or a rotation later (`delaycompress`); numbered names or `dateext`; `olddir`; `rotate N`."""

    def __init__(
        self,
        path: Path,
        *,
        copytruncate: bool = False,
        codec: str | None = None,
        delaycompress: bool = False,
        dateext: bool = False,
        olddir: str | None = None,
        keep: int = 1000,
    ) -> None:
        self.path, self.copytruncate, self.codec, self.delaycompress = path, copytruncate, codec, delaycompress
        self.dateext, self.keep = dateext, keep
        self.olddir = path.parent / olddir if olddir else path.parent
        self.olddir.mkdir(parents=True, exist_ok=True)
        self.day = 20261101  # dateext's date, a day a rotation (as a number: only its order matters)

    def rotated(self) -> list[Path]:
        """Oldest first."""
        found = []
        for p in self.olddir.iterdir():
            rest = p.name[len(self.path.name) :]
            for codec in OPENERS:
                rest = rest.removesuffix(codec)
            if p.name.startswith(self.path.name) and rest[:1] in ".-" and rest[1:].isdigit():
                found.append((int(rest[1:]) if self.dateext else -int(rest[1:]), p))
        return [p for _, p in sorted(found)]

    def rotate(self, reopen=None) -> None:
        name = self.path.name
        if self.dateext:
            new = self.olddir / f"{name}-{self.day}"
            self.day += 1
        else:
            for p in self.rotated():  # the oldest first: .3 to .4, then .2 to .3 ...
                n = int(p.name[len(name) + 1 :].split(".")[0])
                suffix = p.name[len(name) + 1 + len(str(n)) :]
                if n + 1 > self.keep:
                    os.unlink(p)
                else:
                    os.rename(p, self.olddir / f"{name}.{n + 1}{suffix}")
            new = self.olddir / f"{name}.1"
        if self.copytruncate:
            shutil.copyfile(self.path, new)
            os.truncate(self.path, 0)
        else:
            os.rename(self.path, new)
            self.path.touch()
            if reopen is not None:
                reopen()
        if self.codec is not None:
            plain = [p for p in self.rotated() if not p.name.endswith(tuple(OPENERS))]
            for p in plain if not self.delaycompress else [p for p in plain if p != new]:
                _compress(p, self.codec)
        for p in self.rotated()[: -self.keep]:
            os.unlink(p)


CONFIGS = {
    "rename": {},
    "rename-compress-gz": {"codec": ".gz"},
    "rename-delaycompress-bz2": {"codec": ".bz2", "delaycompress": True},
    "dateext-xz-olddir": {"codec": ".xz", "dateext": True, "olddir": "old"},
    "copytruncate-gz-olddir": {"copytruncate": True, "codec": ".gz", "olddir": "../archive"},
    "copytruncate-dateext": {"copytruncate": True, "dateext": True},
    "rename-compress-zst": {"codec": ".zst"},  # logrotate's `compresscmd zstd`, `compressext .zst`
}


def _history(path: Path, rot: Logrotate, chunks: list[int]) -> list[str]:
    """Lines written in chunks, the file rotated after each chunk but the last."""
    written: list[str] = []
    for k, n in enumerate(chunks):
        _append(path, *[_line(len(written) + i) for i in range(n)])
        written += [_line(len(written) + i) for i in range(n)]
        if k < len(chunks) - 1:
            rot.rotate()
    return written


@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_first_start_reads_the_rotations_oldest_first_then_the_file_and_resumes_anywhere(tmp_path, config):
    path = tmp_path / "log" / "queue_log"
    path.parent.mkdir()
    rot = Logrotate(path, **CONFIGS[config])
    written = _history(path, rot, [40, 25, 60, 1, 30])
    assert len(rot.rotated()) == 4
    if CONFIGS[config].get("codec"):  # compressed ones there to read
        assert any(p.suffix == CONFIGS[config]["codec"] for p in rot.rotated())
    olddir = CONFIGS[config].get("olddir")

    def follower(point: Position | None = None) -> QueueLogFollower:
        return QueueLogFollower(path, point, batch_bytes=700, backfill_rotated=True, rotated_dir=olddir)

    f = follower()
    lines, batches = _drain(f)
    assert lines == written and not any(b.notices for b in batches)
    assert len(batches) > 10  # positions inside every rotation, compressed ones too
    # Without backfill_rotated: the file alone.
    assert _drain(QueueLogFollower(path, rotated_dir=olddir))[0] == written[-30:]

    # Stopped after any batch: a follower from its position reads exactly the rest.
    rng = random.Random(f"{config}-resume")
    for k in sorted(rng.sample(range(len(batches) - 1), 8)):
        seen = sum(len(b.lines) for b in batches[: k + 1])
        point = Position.from_json(batches[k].position.to_json())
        again = follower(point)
        assert _drain(again)[0] == written[seen:], k
        again.close()

    # Stopped mid-backfill, then the file rotated twice (compressing the one we were in, for
    # some configs) and written to before the restart: the rest, then the new lines, once each.
    k = rng.randrange(len(batches) // 3, 2 * len(batches) // 3)
    seen = sum(len(b.lines) for b in batches[: k + 1])
    point = batches[k].position
    more = _history_more(path, rot, len(written), [15, 20])
    f = follower(point)
    lines, batches = _drain(f)
    assert lines == written[seen:] + more and not any(b.notices for b in batches)
    written += more
    # Live now; rotated once more while it runs: read on without a restart.
    rot.rotate()
    _append(path, _line(len(written)))
    assert _drain(f)[0] == [_line(len(written))]


def _history_more(path: Path, rot: Logrotate, start: int, chunks: list[int]) -> list[str]:
    out: list[str] = []
    for n in chunks:
        rot.rotate()
        lines = [_line(start + len(out) + i) for i in range(n)]
        _append(path, *lines)
        out += lines
    return out


def _content(path: Path) -> list[str]:
    """The lines of a queue_log file or rotation, decompressed."""
    codec = next((c for c in OPENERS if path.name.endswith(c)), None)
    with (OPENERS[codec] if codec else open)(path, "rb") as f:
        return f.read().decode().splitlines()


def _utc(line: str) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(line.split("|")[0])))


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("stop_at", [15, 55, 100])  # in the oldest rotation (a backfill), in .1, in the file
def test_a_resume_point_whose_file_logrotate_removed_reads_the_rotations_after_it(tmp_path, config, stop_at):
    """The hub stopped inside a file, then logrotate (`rotate 3`) rotated five times, so the file
    it was reading was removed: on the restart the rotations left (all after it) are read, oldest
    first, then the file; no line read before comes again; the gap (the rest of the removed file
    and the rotations removed after it) is said, by the times of its lines."""
    path = tmp_path / "log" / "queue_log"
    path.parent.mkdir()
    rot = Logrotate(path, **CONFIGS[config], keep=3)
    written = _history(path, rot, [40, 40, 40])
    olddir = CONFIGS[config].get("olddir")

    f = QueueLogFollower(path, batch_bytes=300, backfill_rotated=True, rotated_dir=olddir)
    before: list[str] = []
    while len(before) < stop_at:
        batch = f.read()
        assert batch.lines and not batch.notices
        before += batch.lines
    assert before == written[: len(before)] and len(before) % 40 != 0  # stopped inside a file
    point = Position.from_json(f.position.to_json())
    assert point == f.position and point.last_time == int(before[-1].split("|")[0])
    f.close()

    written += _history_more(path, rot, len(written), [25] * 5)  # while stopped
    present = rot.rotated()  # (one may have the removed file's inode: the file system reuses them)
    assert len(present) == 3
    left = [line for p in present for line in _content(p)] + _content(path)  # oldest first
    first = written.index(left[0])
    assert left == written[first:]  # what logrotate left: the newest lines, whole
    lost = written[len(before) : first]
    assert lost and len(lost) >= 40 - len(before) % 40  # the rest of the removed file at least

    f = QueueLogFollower(path, point, batch_bytes=300, backfill_rotated=True, rotated_dir=olddir)
    after, batches = _drain(f)
    assert before + after == written[: len(before)] + written[first:]  # once each, in order, the gap alone missing
    assert not set(before) & set(after)
    gone = f"the file was inode {point.inode} of {path}, read to byte {point.offset}"
    assert [n for b in batches for n in b.notices] == [
        (
            GONE,
            f"any lines after {_utc(before[-1])} and before {_utc(left[0])} are missing;"
            f" 3 rotations after it read; {gone}",
        )
    ]
    # And on from there: a restart reads nothing again, a new line once.
    again = QueueLogFollower(path, f.position, rotated_dir=olddir)
    assert _drain(again)[0] == []
    _append(path, _line(len(written)))
    assert _drain(again)[0] == [_line(len(written))] and _drain(f)[0] == [_line(len(written))]


@pytest.mark.parametrize("same_second", [False, True])
def test_which_rotations_follow_a_removed_file_is_told_by_the_time_of_their_first_lines(tmp_path, same_second):
    """Lines come in time order, several in a second. A rotation beginning in the second of the
    last line read follows the removed file if an earlier line of that file was in an earlier
    second (no older rotation can begin that late); if every line read is of that one second,
    an older rotation could begin in it too (here one left from when the site used dateext, `dateformat -%Y%m%d-%s`),
    and it is not read: nothing is read twice, and the gap says from when lines are missing."""
    t = 1764700000

    def lines(name: str, *seconds: int) -> list[str]:
        return [f"{t + s}|{name}-{k}|support|NONE|ENTERQUEUE||1" for k, s in enumerate(seconds)]

    path = tmp_path / "queue_log"
    older = lines("older", 0 if same_second else -2, 0 if same_second else -1)
    (tmp_path / "queue_log-20261130-1764633600").write_text("".join(line + "\n" for line in older))
    rot = Logrotate(path, codec=".gz", keep=2)
    removed = lines("removed", 0 if same_second else -1, 0, 0)
    _append(path, *removed)
    f = QueueLogFollower(path, batch_bytes=60)  # a line a batch
    assert f.read().lines == removed[:1] and f.read().lines == removed[1:2]
    point = f.position
    assert (point.first_time, point.last_time) == (t + (0 if same_second else -1), t)
    f.close()
    rot.rotate()
    begins_then = lines("next", 0, 1)  # begins in the second of the last line read
    _append(path, *begins_then)
    rot.rotate()
    _append(path, *lines("then", 2))
    rot.rotate()  # `rotate 2`: the file read is removed
    _append(path, *lines("now", 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "queue_log",
        "queue_log-20261130-1764633600",
        "queue_log.1.gz",
        "queue_log.2.gz",
    ]

    got, batches = _drain(QueueLogFollower(path, point))
    if same_second:  # it may be older: left, and the lines from that second on said missing
        assert got == lines("then", 2) + lines("now", 3)
        where = "2025-12-02 18:26:40 UTC and before 2025-12-02 18:26:42 UTC are missing; 1 rotation after it read"
    else:
        assert got == begins_then + lines("then", 2) + lines("now", 3)
        where = "2025-12-02 18:26:40 UTC and before 2025-12-02 18:26:40 UTC are missing; 2 rotations after it read"
    assert [n for b in batches for n in b.notices] == [
        (GONE, f"any lines after {where}; the file was inode {point.inode} of {path}, read to byte {point.offset}")
    ]


def test_a_resume_point_saved_without_line_times_whose_file_is_gone_reads_the_file_and_says_so(tmp_path):
    """A resume point saved before positions kept their lines' times: which rotations come after
    its removed file cannot be told, so none is read (one read could be doubled), and that is said."""
    path = tmp_path / "queue_log"
    rot = Logrotate(path, keep=1)
    _append(path, _line(1), _line(2))
    f = QueueLogFollower(path, batch_bytes=60)
    assert f.read().lines == [_line(1)]
    saved = {k: v for k, v in f.position.to_json().items() if k not in ("first_time", "last_time")}
    f.close()
    point = Position.from_json(saved)
    assert point is not None and point.last_time is None and point.offset == len(_line(1)) + 1
    rot.rotate()
    _append(path, _line(3))
    rot.rotate()  # the file read is removed; its successor is queue_log.1
    _append(path, _line(4))
    got, batches = _drain(QueueLogFollower(path, point))
    assert got == [_line(4)]
    assert [n for b in batches for n in b.notices] == [
        (
            "queue_log rotated while stopped, and the file being read is gone (its resume point, saved by an older"
            " floorview, cannot tell which rotations came after it): the rest of it and any rotation after it are"
            " not read; the live file is read from its start",
            f"the file was inode {point.inode} of {path}, read to byte {point.offset}",
        )
    ]


def test_rotations_the_follower_cannot_read_or_that_are_there_twice(tmp_path):
    path = tmp_path / "queue_log"
    rot = Logrotate(path)
    written = _history(path, rot, [20, 20, 20, 20, 10])
    # queue_log.4: compressed as the follower cannot read (lz4): said, not read.
    (tmp_path / "queue_log.4").rename(tmp_path / "queue_log.4.lz4")
    # queue_log.3: a .gz cut short (logrotate killed): what it holds is read, and said.
    with open(tmp_path / "queue_log.3", "rb") as plain:
        packed = gzip.compress(plain.read())
    (tmp_path / "queue_log.3").unlink()
    (tmp_path / "queue_log.3.gz").write_bytes(packed[: len(packed) * 2 // 3])
    # queue_log.2 being compressed: plain and .gz side by side, the same lines.
    with open(tmp_path / "queue_log.2", "rb") as plain, gzip.open(tmp_path / "queue_log.2.gz", "wb") as gz:
        shutil.copyfileobj(plain, gz)
    # Not rotations: left alone.
    (tmp_path / "queue_log.bak").write_text(_line(999) + "\n")
    (tmp_path / "queue_log.1.txt").write_text(_line(998) + "\n")
    (tmp_path / "queue_logger.1").write_text(_line(997) + "\n")
    (tmp_path / "queue_log.5").write_bytes(b"")  # empty

    lines, batches = _drain(QueueLogFollower(path, batch_bytes=600, backfill_rotated=True))
    notices = [n for b in batches for n in b.notices]
    cut = next(i for i, line in enumerate(written[20:40]) if line not in lines)
    assert lines == written[20 : 20 + cut] + written[40:]  # .3 up to where it breaks; .2 once
    assert cut >= 5
    reasons = [n[0] for n in notices]
    assert notices[0] == (
        "a queue_log rotation compressed as floorview cannot read (.gz, .bz2, .xz and .zst it can): not read",
        "queue_log.4.lz4",
    )
    assert "a compressed queue_log rotation cut short or corrupt: read up to where it breaks" in reasons
    assert all(str(n) not in "".join(lines) for n in (999, 998, 997))


def _zstd(lines: list[str], flush_every: int = 0) -> bytes:
    """`lines` compressed by the zstandard library as `zstd` in a pipe writes them (logrotate's
    compresscmd: one frame, its size not in its header); `flush_every`: a block ends every so many
    lines (a file cut short then holds some whole blocks)."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as w:
        for k, line in enumerate(lines):
            w.write((line + "\n").encode())
            if flush_every and k % flush_every == flush_every - 1:
                w.flush(zstandard.FLUSH_BLOCK)
    data = out.getvalue()
    assert zstandard.get_frame_parameters(data).content_size == zstandard.CONTENTSIZE_UNKNOWN
    return data


def test_zstd_rotations_are_read_across_frames_and_one_cut_short_is_read_up_to_its_break(tmp_path):
    path = tmp_path / "queue_log"
    written = [_line(i) for i in range(400)]
    (tmp_path / "queue_log.3.zst").write_bytes(_zstd(written[:100]))
    # Two .zst files concatenated (`cat`, or zstd run twice into one file): two frames, one content.
    (tmp_path / "queue_log.2.zst").write_bytes(_zstd(written[100:150]) + _zstd(written[150:200]))
    # zstd killed while writing: a block every 10 lines, the file cut inside the frame.
    cut_short = _zstd(written[200:300], flush_every=10)
    (tmp_path / "queue_log.1.zst").write_bytes(cut_short[: len(cut_short) * 2 // 3])
    _append(path, *written[300:])

    f = QueueLogFollower(path, batch_bytes=900, backfill_rotated=True)
    lines, batches = _drain(f)
    read = next(i for i in range(200, 300) if written[i] not in lines)  # .1 holds its lines up to here
    assert 230 <= read < 300, read
    assert lines == written[:read] + written[300:]
    assert [n for b in batches for n in b.notices] == [
        (
            "a compressed queue_log rotation cut short or corrupt: read up to where it breaks",
            f"{tmp_path / 'queue_log.1.zst'}: EOFError",
        )
    ]
    # A restart inside .2.zst's second frame reads on from there (resuming in a .zst rotation
    # after more rotations: the rename-compress-zst logrotate config of the tests above).
    k = next(k for k, b in enumerate(batches) if b.lines and written.index(b.lines[-1]) in range(160, 195))
    seen = sum(len(b.lines) for b in batches[: k + 1])
    assert _drain(QueueLogFollower(path, batches[k].position))[0] == lines[seen:]
    f.close()


def test_without_zstandard_a_zst_rotation_is_said_with_the_extra_to_install(tmp_path, monkeypatch):
    path = tmp_path / "queue_log"
    rot = Logrotate(path, codec=".zst")
    written = _history(path, rot, [20, 20, 10])
    assert sorted(p.name for p in rot.rotated()) == ["queue_log.1.zst", "queue_log.2.zst"]
    monkeypatch.setitem(sys.modules, "zstandard", None)  # `import zstandard` fails: a host without the extra
    lines, batches = _drain(QueueLogFollower(path, backfill_rotated=True))
    assert lines == written[-10:]
    reason = (
        "a queue_log rotation compressed with zstd, not read: the zstandard library is not installed"
        " (install floorview[zstd])"
    )
    assert [n for b in batches for n in b.notices] == [(reason, "queue_log.1.zst"), (reason, "queue_log.2.zst")]
    monkeypatch.undo()  # installed: read
    lines, batches = _drain(QueueLogFollower(path, backfill_rotated=True))
    assert lines == written and not any(b.notices for b in batches)


def test_a_resume_point_in_a_rotation_since_compressed_with_zstd_needs_zstandard(tmp_path, monkeypatch):
    """Stopped inside the file, which logrotate then rotated and compressed with zstd: without
    zstandard the file cannot be found (said, with the extra to install, and the gap); with it,
    the rest of the file is read, then the new one."""
    path = tmp_path / "queue_log"
    rot = Logrotate(path, codec=".zst")
    written = _history(path, rot, [10, 30])
    f = QueueLogFollower(path, batch_bytes=300)
    before = f.read().lines
    assert before == written[10 : 10 + len(before)] and len(before) < 30
    point = f.position
    f.close()
    more = _history_more(path, rot, len(written), [5])
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "zstandard", None)
        lines, batches = _drain(QueueLogFollower(path, point))
    assert lines == more
    reason = (
        "a queue_log rotation compressed with zstd, not read: the zstandard library is not installed"
        " (install floorview[zstd])"
    )
    assert [n for b in batches for n in b.notices] == [
        (reason, "queue_log.1.zst"),
        (reason, "queue_log.2.zst"),
        (
            GONE,
            f"any lines after {_utc(before[-1])} and before {_utc(more[0])} are missing; 0 rotations after it"
            f" read; the file was inode {point.inode} of {path}, read to byte {point.offset}",
        ),
    ]
    lines, batches = _drain(QueueLogFollower(path, point))
    assert lines == written[10 + len(before) :] + more and not any(b.notices for b in batches)


def test_zstandard_is_imported_only_when_a_zst_rotation_is_met(tmp_path):
    """The `zstd` extra's library stays off every start-up path: the console's, the hub's with a
    queue_log source, a follower reading other rotations."""
    for codec in (".gz", ".zst"):
        d = tmp_path / codec[1:]
        d.mkdir()
        path = d / "queue_log"
        _history(path, Logrotate(path, codec=codec), [5, 5])
        code = (
            "import sys, floorview.cli, floorview.tui.app, floorview.hub.source_config\n"
            "from floorview.sources.asterisk.queue_log.source import QueueLogSource\n"
            "from floorview.sources.asterisk.queue_log.follow import QueueLogFollower\n"
            "before = 'zstandard' in sys.modules\n"
            f"f, n = QueueLogFollower({str(path)!r}, backfill_rotated=True), 0\n"
            "while not (batch := f.read()).at_end:\n"
            "    n += len(batch.lines)\n"
            "print(before, n, 'zstandard' in sys.modules)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.split() == ["False", "10", str(codec == ".zst")], (codec, out.stdout, out.stderr)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_logrotate_while_a_restarting_follower_runs_loses_and_doubles_nothing(tmp_path, config):
    """Asterisk (this thread) writes numbered lines in bursts, sometimes half a line at a time,
    and logrotate rotates as configured; a follower (another thread) reads, and is stopped and
    started again from its last batch's position at random points, sometimes while a rotation
    happens. Every line arrives once, in order, as written; nothing is said lost."""
    path = tmp_path / "log" / "queue_log"
    path.parent.mkdir()
    rot = Logrotate(path, **CONFIGS[config])
    written = _history(path, rot, [30, 30, 10])  # a history to backfill on the first start
    rng = random.Random(f"{config}-writer")
    got: list[str] = []
    notices: list[tuple[str, str]] = []
    restarts = 0
    done = threading.Event()
    failed: list[BaseException] = []

    def follow() -> None:
        nonlocal restarts
        pick = random.Random(f"{config}-reader")
        point: Position | None = None
        try:
            while True:
                f = QueueLogFollower(
                    path,
                    point,
                    batch_bytes=pick.choice([300, 2048]),
                    backfill_rotated=True,
                    rotated_dir=CONFIGS[config].get("olddir"),
                )
                try:
                    for _ in range(pick.randint(1, 8)):
                        finished = done.is_set()
                        batch = f.read()
                        got.extend(batch.lines)
                        notices.extend(batch.notices)
                        point = batch.position
                        if batch.at_end:
                            if finished:
                                return
                            time.sleep(0.002)
                finally:
                    f.close()
                restarts += 1
                time.sleep(pick.uniform(0, 0.01))  # stopped: rotations may happen meanwhile
        except BaseException as exc:
            failed.append(exc)

    reader = threading.Thread(target=follow)
    reader.start()
    out = open(path, "ab", buffering=0)

    def reopen() -> None:
        nonlocal out
        for _ in range(rng.randint(0, 3)):  # Asterisk writes on to the old file until it reopens
            out.write((_line(len(written)) + "\n").encode())
            written.append(_line(len(written)))
        out.close()
        out = open(path, "ab", buffering=0)

    rotations = bursts = 0
    while len(written) < 3000:
        bursts += 1
        for _ in range(rng.randint(1, 40)):
            _write(out, _line(len(written)), rng)
            written.append(_line(len(written)))
        time.sleep(rng.uniform(0, 0.003))
        if bursts % 8 == 0:
            rotations += 1
            rot.rotate(reopen)
    out.close()
    time.sleep(0.05)
    done.set()
    reader.join(60)
    assert not reader.is_alive() and not failed, failed
    assert not notices, notices[:3]
    missing = sorted(set(written) - set(got))
    assert not missing and len(got) == len(written), (missing[:5], len(got), len(written))
    assert got == written
    assert rotations >= 10 and restarts >= 5


def test_rotations_are_ordered_by_their_first_lines_not_their_file_times(tmp_path):
    """Compressing gives a rotation a new file time (the .gz is written now): the order comes
    from the time of each rotation's first line, here as the names say too: numbered (the
    larger the older), dated (dotted, or with a time after the date)."""
    path = tmp_path / "queue_log"
    chunks = [[_line(10 * k + i) for i in range(3)] for k in range(8)]
    names = [
        "queue_log-20261128",  # dateext, before the site switched to numbered names
        "queue_log-20261129-1764403200",
        "queue_log.20261130",
        "queue_log.4.gz",
        "queue_log.3.bz2",
        "queue_log.2",
        "queue_log.1",
    ]
    for k, name in enumerate(names):
        data = "".join(line + "\n" for line in chunks[k]).encode()
        codec = next((c for c in OPENERS if name.endswith(c)), None)
        with (OPENERS[codec] if codec else open)(tmp_path / name, "wb") as f:
            f.write(data)
    _append(path, *chunks[7])
    now = time.time()
    times = {  # file times that would give another order
        "queue_log-20261128": now - 900,
        "queue_log-20261129-1764403200": now - 950,
        "queue_log.20261130": now - 800,
        "queue_log.4.gz": now - 10,
        "queue_log.3.bz2": now - 20,
        "queue_log.2": now - 700,
        "queue_log.1": now - 600,
    }
    for name, t in times.items():
        os.utime(tmp_path / name, (t, t))
    lines, batches = _drain(QueueLogFollower(path, backfill_rotated=True))
    assert lines == [line for chunk in chunks for line in chunk] and not any(b.notices for b in batches)


def test_asterisks_own_rotation_numbers_the_other_way_and_is_ordered_by_its_lines(tmp_path):
    """Asterisk's `logger rotate` with its `sequential` strategy makes queue_log.0 the oldest
    and the highest number the newest, the other way from logrotate: their first lines' times
    order them. A copy beginning with the end of a line cut by a copy-truncate is timed by its
    first whole line; an empty rotation (no time) reads nothing wherever it goes."""
    path = tmp_path / "queue_log"
    chunks = [[_line(10 * k + i) for i in range(3)] for k in range(4)]
    for k, chunk in enumerate(chunks[:3]):
        (tmp_path / f"queue_log.{k}").write_text("".join(line + "\n" for line in chunk))
        os.utime(tmp_path / f"queue_log.{k}", (time.time() - 100 * k,) * 2)  # file times the wrong way too
    (tmp_path / "queue_log.1").write_text("1|support|NONE|QUEUESTART|\n" + (tmp_path / "queue_log.1").read_text())
    chunks[1].insert(0, "1|support|NONE|QUEUESTART|")  # cut: no whole time at its start
    (tmp_path / "queue_log.3").write_bytes(b"")
    _append(path, *chunks[3])
    lines, batches = _drain(QueueLogFollower(path, backfill_rotated=True))
    assert lines == [line for chunk in chunks for line in chunk] and not any(b.notices for b in batches)

    # A restart inside the oldest (.0) reads on into .1 and .2, not back.
    f = QueueLogFollower(path, batch_bytes=100, backfill_rotated=True)
    first = f.read()
    assert first.lines == chunks[0][:1] and first.position is not None
    assert first.position.inode == (tmp_path / "queue_log.0").stat().st_ino
    f.close()
    rest = _drain(QueueLogFollower(path, first.position))[0]
    assert rest == [line for chunk in chunks for line in chunk][1:]
