"""Reading the hub token: from a private file, or FLOORVIEW_TOKEN. Never logged."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class TokenError(Exception):
    pass


def read_token(path: Path | None, environ=os.environ) -> str:
    if path is None:
        token = environ.get("FLOORVIEW_TOKEN", "").strip()
        if not token:
            raise TokenError("no token: give --token-file PATH or set FLOORVIEW_TOKEN")
        return token
    path = Path(path).expanduser()
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise TokenError(f"token file {path} does not exist") from None
    if stat.S_ISLNK(st.st_mode):
        raise TokenError(f"refusing token file {path}: it is a symbolic link")
    if st.st_uid != os.getuid():
        raise TokenError(f"refusing token file {path}: it belongs to another user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise TokenError(
            f"refusing token file {path}: others can read it (mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it"
        )
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise TokenError(f"token file {path} is empty")
    return token
