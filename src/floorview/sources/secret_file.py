"""Reading a secret (a password, an AMI secret, a customer key) from a file of its own:
the one way floorview's sources and the hub's source config do it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

SECRET_FILE_MAX = 4096


class SecretFileError(ValueError):
    """A secret file that cannot be used; the message names the file, never the secret."""


def read_secret_file(path: str | Path, what: str) -> str:
    """The first line of a file holding a secret (`what` names it in errors), refused unless
    it is a regular file of ours that no one else may read or write. A symbolic link is
    followed (mounted secrets are links) and the file it names is judged, as opened."""
    path = Path(path).expanduser()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise SecretFileError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)  # of the file opened, not of whatever the path names by now
        if not stat.S_ISREG(st.st_mode):
            raise SecretFileError(f"refusing the {what} file {path}: it is not a regular file")
        if st.st_uid != os.getuid():
            raise SecretFileError(f"refusing the {what} file {path}: it belongs to another user")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise SecretFileError(
                f"refusing the {what} file {path}: others may read or write it (mode {mode:04o}); chmod 600 it"
            )
        raw = os.read(fd, SECRET_FILE_MAX + 1)
    finally:
        os.close(fd)
    if len(raw) > SECRET_FILE_MAX:
        raise SecretFileError(f"the {what} file {path} is longer than {SECRET_FILE_MAX} bytes")
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise SecretFileError(f"the {what} file {path} is not UTF-8 text") from None
    value = lines[0].strip() if lines else ""
    if not value:
        raise SecretFileError(f"the {what} file {path} is empty")
    return value
