"""Files on a shared host (audit M6, L7): a store never adopts a sidecar another
user planted or can read, nor lives where others can plant one; an export is
always a new file of ours, 0600.

The neighbour is a real other uid (a forked child that drops to it), so these
tests need root; CI runs as root."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from floorview.cli import main
from floorview.store.engine import open_engine, open_reader
from floorview.store.location import StoreError

from .hubs import start_hub

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another uid")  # CI runs as root

NEIGHBOUR = 61001


def as_neighbour(folder: Path, act) -> None:
    """Run `act()` in `folder` as the other uid, in a forked child (as the audit did)."""
    pid = os.fork()
    if pid == 0:  # the child: no Python cleanup, only the act and an exit code
        code = 1
        try:
            os.chdir(folder)  # as root: the path to it need not be open to the neighbour
            os.setgroups([])
            os.setgid(NEIGHBOUR)
            os.setuid(NEIGHBOUR)
            act()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the neighbour's act failed"


def plant(name: str, mode: int = 0o666, content: bytes = b""):
    def act() -> None:
        fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
        os.fchmod(fd, mode)  # past the umask
        os.write(fd, content)
        os.close(fd)

    return act


def shared_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)  # like /tmp: anyone creates, only the owner removes
    return folder


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def facts(path: Path) -> tuple:
    st = path.lstat()
    return st.st_uid, stat.S_IMODE(st.st_mode), st.st_size, path.read_bytes()


# -- M6: sidecars -----------------------------------------------------------------


def test_sync_refuses_a_wal_the_neighbour_planted_in_a_sticky_directory(tmp_path, capsys):
    """The audit's M6: uid 61001 pre-creates team.db-wal 0666 in a 1777 directory."""
    folder = shared_dir(tmp_path)
    as_neighbour(folder, plant("team.db-wal"))
    wal = folder / "team.db-wal"
    before = facts(wal)
    hub = start_hub(tmp_path / "hub.db")
    try:
        token = tmp_path / "token"
        token.write_text(hub.token)
        token.chmod(0o600)
        code = main(["sync", "--once", "--hub", hub.url, "--token-file", str(token), "--db", str(folder / "team.db")])
    finally:
        hub.stop()
    line = one_line(capsys.readouterr().err)
    assert code == 2
    assert "team.db-wal belongs to another user (uid 61001)" in line
    assert facts(wal) == before  # nothing of ours went into it
    assert sorted(p.name for p in folder.iterdir()) == ["team.db-wal"]  # no store was made beside it


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_sidecar_of_another_user_is_refused_new_store_or_not(tmp_path, suffix, existing):
    """Even in a directory of ours (root, or a group member, put it there) and at 0600."""
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    store = folder / "team.db"
    if existing:
        open_engine(store).dispose()
    side = folder / f"team.db{suffix}"
    side.write_bytes(b"theirs")
    side.chmod(0o600)
    os.chown(side, NEIGHBOUR, NEIGHBOUR)
    before = facts(side)
    with pytest.raises(StoreError, match=f"team.db{suffix} belongs to another user"):
        open_engine(store)
    if existing:
        with pytest.raises(StoreError, match="belongs to another user"):
            open_reader(store)
    else:
        assert not store.exists()
    assert facts(side) == before


@pytest.mark.parametrize("kind", ["open to others", "hard link"])
def test_a_sidecar_of_ours_that_is_not_plainly_ours_is_refused_and_left_alone(tmp_path, kind):
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    store = folder / "team.db"
    open_engine(store).dispose()
    wal = folder / "team.db-wal"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"another file of ours")
    elsewhere.chmod(0o600)
    if kind == "open to others":  # once tightened to 0600 and adopted
        wal.write_bytes(b"")
        wal.chmod(0o644)
        expected = r"team.db-wal is open to other users \(mode 0644\)"
    else:  # SQLite would write the store's pages into that other file
        os.link(elsewhere, wal)
        expected = "team.db-wal has other hard links"
    before = wal.lstat()
    with pytest.raises(StoreError, match=expected):
        open_engine(store)
    with pytest.raises(StoreError, match=expected):
        open_reader(store)
    after = wal.lstat()
    assert (after.st_mode, after.st_size, after.st_ino) == (before.st_mode, before.st_size, before.st_ino)
    assert elsewhere.read_bytes() == b"another file of ours"


def test_a_new_store_with_a_symlinked_wal_is_refused(tmp_path):
    """A new store once skipped every sidecar check."""
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    target = tmp_path / "target"
    (folder / "team.db-wal").symlink_to(target)
    with pytest.raises(StoreError, match="team.db-wal is a symbolic link"):
        open_engine(folder / "team.db")
    assert not target.exists() and not (folder / "team.db").exists()


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o1733, 0o775], ids=lambda m: f"{m:04o}")
def test_a_store_where_others_can_create_files_is_refused(tmp_path, mode, capsys):
    """Even with nothing planted yet: a sidecar could appear between our check and
    SQLite's open, which creates without O_EXCL. A group-writable directory of a
    group that is not the user's own private one counts as others."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    os.chown(folder, 0, NEIGHBOUR)  # a group with the neighbour in it, not ours
    with pytest.raises(StoreError, match="other users can create files in"):
        open_engine(folder / "team.db")
    assert list(folder.iterdir()) == []
    # An existing store is refused as well, through the CLI in one line.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    open_engine(private / "team.db").dispose()
    os.rename(private / "team.db", folder / "team.db")
    assert main(["export", "huddle", "--db", str(folder / "team.db")]) == 2
    assert "other users can create files in" in one_line(capsys.readouterr().err)
    folder.chmod(0o755)  # others may look, not create: fine
    open_reader(folder / "team.db").close()


def test_a_store_in_a_directory_of_another_user_is_refused(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    os.chown(folder, NEIGHBOUR, NEIGHBOUR)
    with pytest.raises(StoreError, match=r"its directory belongs to another user \(uid 61001\)"):
        open_engine(folder / "team.db")
    assert list(folder.iterdir()) == []


# -- L7: export --output ------------------------------------------------------------


def export(store: Path, output: Path) -> int:
    return main(["export", "huddle", "--db", str(store), "--output", str(output)])


def test_export_over_our_0644_file_makes_a_new_file_0600(sample_store, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "huddle.md"
    output.write_text("last week's minutes")
    output.chmod(0o644)
    old_inode = output.stat().st_ino
    assert export(sample_store, output) == 0
    st = output.lstat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (os.getuid(), 0o600)
    assert st.st_ino != old_inode  # a new file, not the old one truncated
    assert output.read_text().startswith("#") and "last week" not in output.read_text()
    assert [p.name for p in out_dir.iterdir()] == ["huddle.md"]  # no temporary left
    assert one_line(capsys.readouterr().err) == f"wrote {output}"


def test_export_refuses_the_neighbours_file_in_a_sticky_directory(sample_store, tmp_path, capsys):
    """Refused in one line, for root too (root could rename over it, a user could not):
    the neighbour's file keeps its content, owner and mode, and nothing of ours is left."""
    folder = shared_dir(tmp_path)
    as_neighbour(folder, plant("huddle.md", 0o666, b"the neighbour's"))
    output = folder / "huddle.md"
    before = facts(output)
    assert export(sample_store, output) == 2
    assert one_line(capsys.readouterr().err) == (
        f"floorview: refusing to write {output}: it belongs to another user (uid 61001)"
    )
    assert facts(output) == before
    assert [p.name for p in folder.iterdir()] == ["huddle.md"]


def test_export_refuses_what_is_not_a_regular_file(sample_store, tmp_path, capsys):
    """A rename would replace a device node or a link (as root, even /dev/null)."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    device = out_dir / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    link = out_dir / "link.md"
    target = tmp_path / "target.md"
    target.write_text("kept")
    link.symlink_to(target)
    assert export(sample_store, device) == 2
    assert one_line(capsys.readouterr().err).endswith(f"refusing to write {device}: it is not a regular file")
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert export(sample_store, link) == 2
    assert one_line(capsys.readouterr().err).endswith(f"refusing to write {link}: it is a symbolic link")
    assert link.is_symlink() and target.read_text() == "kept"
    assert sorted(p.name for p in out_dir.iterdir()) == ["link.md", "null"]
