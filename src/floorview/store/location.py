"""Where a user's store lives, and the checks that keep it theirs.

The default is one store per Unix user in the platform data directory. The
directory is created 0700 and the files 0600; a path that is a symlink or
belongs to another user is refused, because a store on a shared jump host
holds coaching notes and customer details.

SQLite keeps part of a store beside it: `-wal` and `-shm` (and a `-journal`
before WAL is on). It opens them without O_EXCL, so it would adopt one that
someone else put there, write our pages into it and replay theirs into the
store. So a sidecar that is not plainly ours (another owner, a link, open to
other users) is refused, new store or not, and so is a directory in which
other users can create files: there a sidecar could appear between our
check and SQLite's open. floorview never removes a sidecar itself: a `-wal`
can hold the store's latest commits, and we cannot tell those from planted
ones.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SIDECARS = ("-wal", "-shm", "-journal")


class StoreError(Exception):
    """A store that cannot be opened; the message is meant for the user."""


def default_store_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("floorview", appauthor=False) / "floorview.db"


def secure_directory(path: Path, *, own_default: bool) -> None:
    """Create `path` 0700 if missing. The default data directory is also
    tightened to 0700 when it is ours; a user-chosen one is left as it is."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        return
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise StoreError(f"refusing store directory {path}: it is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise StoreError(f"refusing store directory {path}: it is not a directory")
    if own_default:
        if st.st_uid != os.getuid():
            raise StoreError(f"refusing store directory {path}: it belongs to another user")
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.chmod(path, 0o700)


def check_store_file(path: Path, *, create: bool) -> None:
    """Refuse a symlink or another user's file, a sidecar that is not plainly
    ours, or a directory others can create files in; create a missing store 0600.

    Everything is checked before anything is created, so a refused store
    leaves no file behind."""
    check_sidecars(path)
    check_store_directory(path)
    try:
        st = path.lstat()
    except FileNotFoundError:
        if not create:
            raise StoreError(f"no store at {path}") from None
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        return
    if stat.S_ISLNK(st.st_mode):
        raise StoreError(f"refusing store {path}: it is a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"refusing store {path}: it is not a regular file")
    if st.st_uid != os.getuid():
        raise StoreError(f"refusing store {path}: it belongs to another user (uid {st.st_uid})")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o600)


def check_sidecars(path: Path) -> None:
    """Refuse the store if a `-wal`, `-shm` or `-journal` beside it is not
    plainly ours: a link, not a file, another user's, or open to others.
    Nothing is removed or re-permitted: the user decides (see the module doc)."""
    for suffix in SIDECARS:
        side = path.with_name(path.name + suffix)
        try:
            st = side.lstat()
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            problem = "is a symbolic link"
        elif not stat.S_ISREG(st.st_mode):
            problem = "is not a regular file"
        elif st.st_uid != os.getuid():
            problem = f"belongs to another user (uid {st.st_uid})"
        elif st.st_nlink != 1:
            problem = "has other hard links"
        elif mode & 0o077:
            raise StoreError(
                f"refusing store {path}: {side.name} is open to other users (mode {mode:04o}); "
                f"if only you wrote it, chmod 600 it, else remove it (a -wal can hold the store's latest changes)"
            )
        else:
            continue
        raise StoreError(
            f"refusing store {path}: {side.name} {problem}, so SQLite would share the store through it; "
            f"have it removed, or keep the store elsewhere"
        )


def check_store_directory(path: Path) -> None:
    """Refuse a store whose directory another user owns or can create files in
    (sticky or not): SQLite's sidecars could be planted there between our
    checks and its open. A group-writable directory of the user's own private
    group (umask 002 on user-private-group systems) is allowed."""
    folder = path.parent
    try:
        st = folder.stat()
    except FileNotFoundError:
        raise StoreError(f"no directory {folder} for the store {path.name}") from None
    if st.st_uid not in (os.getuid(), 0):
        raise StoreError(
            f"refusing store {path}: its directory belongs to another user (uid {st.st_uid}); "
            f"keep the store in a directory of your own"
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & stat.S_IWOTH or (mode & stat.S_IWGRP and not _private_group(st.st_gid)):
        raise StoreError(
            f"refusing store {path}: other users can create files in {folder} (mode {mode:04o}), "
            f"such as the store's -wal; keep the store in a directory only you can write to"
        )


def _private_group(gid: int) -> bool:
    """The user's own group: named after them, with no other members."""
    import grp
    import pwd

    try:
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return group.gr_name == me and set(group.gr_mem) <= {me}


def private_file_problem(path: Path) -> tuple[str, str] | None:
    """What keeps a file that holds a secret (a config with a webhook URL or a
    database password) from being private, with its remedy: `(problem, fix)`, or
    None when it is a regular file of ours no one else can read, in a directory
    of ours no one else can enter. OSError when it cannot be looked at. One rule
    for the client's config and the hub's; each says it in its own words."""
    st = path.lstat()
    folder = path.absolute().parent
    dst = folder.stat()
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link", "keep the file itself there"
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file", "use a plain file"
    if st.st_uid != os.getuid():
        return "it belongs to another user", "keep a copy of your own"
    if stat.S_IMODE(st.st_mode) & 0o077:
        return f"others can read it (mode {stat.S_IMODE(st.st_mode):o})", "chmod 600 it"
    if dst.st_uid != os.getuid():
        return f"its directory {folder} belongs to another user", "keep it in a directory of your own"
    if stat.S_IMODE(dst.st_mode) & 0o077:
        return f"its directory {folder} is open to others (mode {stat.S_IMODE(dst.st_mode):o})", "chmod 700 it"
    return None
