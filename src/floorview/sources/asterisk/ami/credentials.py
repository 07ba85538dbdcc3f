"""The AMI user and secret, from where a secret may come: never the command line.

- User: `FLOORVIEW_AMI_USER`, else the config value.
- Secret, first found: the file named by `FLOORVIEW_AMI_SECRET_FILE` (its
  first line; refused if group or others may read or write it: chmod 600),
  `FLOORVIEW_AMI_SECRET`, the config value.

Errors name the variable or the file, never the secret, and nothing here logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from floorview.sources.secret_file import SecretFileError
from floorview.sources.secret_file import read_secret_file as read_secret

USER_ENV = "FLOORVIEW_AMI_USER"
SECRET_ENV = "FLOORVIEW_AMI_SECRET"
SECRET_FILE_ENV = "FLOORVIEW_AMI_SECRET_FILE"


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
    """The AMI secret file's first line (sources/secret_file.py)."""
    try:
        return read_secret(path, "AMI secret")
    except SecretFileError as exc:
        raise CredentialsError(str(exc)) from None
