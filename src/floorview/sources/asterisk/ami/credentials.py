"""The AMI user and secret, from where a secret may come: never the command line.

- User: `FLOORVIEW_AMI_USER`, else the config value.
- Secret, first found: the file named by `FLOORVIEW_AMI_SECRET_FILE` (its
  first line; refused if group or others may read or write it: chmod 600),
  `FLOORVIEW_AMI_SECRET`, the config value.

Errors name the variable or the file, never the secret, and nothing here logs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

USER_ENV = "FLOORVIEW_AMI_USER"
SECRET_ENV = "FLOORVIEW_AMI_SECRET"
SECRET_FILE_ENV = "FLOORVIEW_AMI_SECRET_FILE"
SECRET_FILE_MAX = 4096


class CredentialsError(ValueError):
    """No usable AMI user or secret (the message says where to put one, never a secret)."""


def ami_user(config_value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    user = (env.get(USER_ENV) or config_value or "").strip()
    if not user:
        raise CredentialsError(f"no AMI user: set {USER_ENV} or the source's `user` in the hub's config")
    if any(ch in user for ch in "\r\n"):
        raise CredentialsError("the AMI user holds a line break")
    return user


def ami_secret(config_value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    path = env.get(SECRET_FILE_ENV)
    if path:
        secret = read_secret_file(path)
    else:
        secret = env.get(SECRET_ENV) or config_value or ""
    if not secret:
        raise CredentialsError(
            f"no AMI secret: put it in a file readable by you only and name it in {SECRET_FILE_ENV},"
            f" or set {SECRET_ENV}"
        )
    if any(ch in secret for ch in "\r\n"):
        raise CredentialsError("the AMI secret holds a line break")
    return secret


def read_secret_file(path: str) -> str:
    """A secret file's first line; refused unless only its owner may read and write it."""
    try:
        fd = os.open(path, os.O_RDONLY)  # a symlink is followed (mounted secrets are links): the file is judged
    except OSError as exc:
        raise CredentialsError(f"cannot read the AMI secret file {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)  # of the file opened, not of whatever the path names by now
        if not stat.S_ISREG(info.st_mode):
            raise CredentialsError(f"the AMI secret file {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise CredentialsError(
                f"the AMI secret file {path} may be read or written by others (mode {mode:04o}): chmod 600 it"
            )
        raw = os.read(fd, SECRET_FILE_MAX + 1)
    finally:
        os.close(fd)
    if len(raw) > SECRET_FILE_MAX:
        raise CredentialsError(f"the AMI secret file {path} is longer than {SECRET_FILE_MAX} bytes")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialsError(f"the AMI secret file {path} is not UTF-8 text") from None
    lines = content.splitlines()
    return lines[0].strip() if lines else ""
