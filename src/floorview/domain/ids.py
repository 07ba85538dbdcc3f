"""Which note ids can travel in a URL path.

The protocol allows ids of 1 to 128 printable characters. A note's id is
also a path segment (`/v1/notes/{id}`): the client percent-encodes it, and
both sides refuse ids that a server, proxy or gateway could read as more than
one segment or as a query (`/ ? # %`, and the dot segments `.` and `..`),
so that no id can turn a request onto another note or another path.
"""

from __future__ import annotations

import re

_PRINTABLE = re.compile(r"[\x21-\x7e]{1,128}")
_NOT_IN_A_NOTE_ID = frozenset("/?#%")


def note_id_problem(note_id: object) -> str | None:
    """Why `note_id` cannot be a note's id, in words; None when it can."""
    if type(note_id) is not str or not _PRINTABLE.fullmatch(note_id):
        return "a note id is 1 to 128 printable characters without spaces"
    if any(ch in _NOT_IN_A_NOTE_ID for ch in note_id):
        return "a note id may not hold / ? # or %"
    if note_id in (".", ".."):
        return "a note id may not be . or .."
    return None
