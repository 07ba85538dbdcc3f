"""Reading the hub token: from a private file, or FLOORVIEW_TOKEN. Never logged.

The file must be a regular file of ours that no one else can read. It is
opened without following a link and without blocking (a FIFO in its place
would otherwise hold the sync forever), then checked again on the open file,
so what is read is what was checked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

MAX_TOKEN_FILE = 64 * 1024


class TokenError(Exception):
    pass


def read_token(path: Path | None, environ: Mapping[str, str] = os.environ) -> str:
    if path is None:
        return _usable(
            environ.get("FLOORVIEW_TOKEN", "").strip(),
            "FLOORVIEW_TOKEN",
            "no token: give --token-file PATH or set FLOORVIEW_TOKEN",
        )
    path = Path(path).expanduser()
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise TokenError(f"token file {path} does not exist") from None
    except OSError as exc:
        raise TokenError(f"cannot read token file {path}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise TokenError(f"refusing token file {path}: it is a symbolic link")
    _check(path, st)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise TokenError(f"cannot read token file {path}: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            raise TokenError(f"refusing token file {path}: it was replaced while being read")
        _check(path, opened)
        raw = os.read(fd, MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise TokenError(f"cannot read token file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_TOKEN_FILE:
        raise TokenError(f"token file {path} is too large to hold a token")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"token file {path} does not hold a token (not text)") from None
    return _usable(text.strip(), f"token file {path}", f"token file {path} is empty")


def _check(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise TokenError(f"refusing token file {path}: it is not a regular file")
    if st.st_uid != os.getuid():
        raise TokenError(f"refusing token file {path}: it belongs to another user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise TokenError(
            f"refusing token file {path}: others can read it (mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it"
        )


def _usable(token: str, where: str, empty: str) -> str:
    """A token goes in an HTTP header: printable ASCII, no spaces."""
    if not token:
        raise TokenError(empty)
    if any(not 0x21 <= ord(ch) <= 0x7E for ch in token):
        raise TokenError(f"{where} does not hold a token: a token is printable ASCII without spaces")
    return token
