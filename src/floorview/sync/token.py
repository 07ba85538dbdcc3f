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
    text = read_private_file(path, "token file", "a token", TokenError)
    return _usable(text.strip(), f"token file {path}", f"token file {path} is empty")


def read_private_file(path: Path, what: str, holds: str, error: type[Exception] = TokenError) -> str:
    """The text of a file that holds a secret (`what`: "token file", `holds`: "a token"), refused in words (as
    `error`) unless it is a regular file of ours that no one else can read. Opened without
    following a link and without blocking, and checked again once open."""
    path = Path(path).expanduser()
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise error(f"refusing {what} {path}: it is a symbolic link")
    _check(path, st, what, error)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            raise error(f"refusing {what} {path}: it was replaced while being read")
        _check(path, opened, what, error)
        raw = os.read(fd, MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_TOKEN_FILE:
        raise error(f"{what} {path} is too large to hold {holds}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {path} does not hold {holds} (not text)") from None


def _check(path: Path, st: os.stat_result, what: str, error: type[Exception]) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise error(f"refusing {what} {path}: it is not a regular file")
    if st.st_uid != os.getuid():
        raise error(f"refusing {what} {path}: it belongs to another user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise error(f"refusing {what} {path}: others can read it (mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it")


def _usable(token: str, where: str, empty: str) -> str:
    """A token goes in an HTTP header: printable ASCII, no spaces."""
    if not token:
        raise TokenError(empty)
    if any(not 0x21 <= ord(ch) <= 0x7E for ch in token):
        raise TokenError(f"{where} does not hold a token: a token is printable ASCII without spaces")
    return token
