"""Where a user's store lives, and the checks that keep it theirs.

The default is one store per Unix user in the platform data directory. The
directory is created 0700 and the files 0600; a path that is a symlink or
belongs to another user is refused, because a store on a shared jump host
holds coaching notes and customer details.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
    """Refuse a symlink or another user's file; create a missing one 0600."""
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
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.is_symlink():
            raise StoreError(f"refusing store {path}: {side.name} is a symbolic link")
        if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
            os.chmod(side, 0o600)
