"""What the hub will not store or accept: anything no client could (security
audit 1, H1). Note ids are checked by the client's own rule (domain/ids.py).

A record reaches the hub from a source (`HubStore.write`: the simulator, an
adapter) or from a client's PUT. Either way it must be something every client
can read and store, or one record stops the sync of everyone who can see it:

- text is valid Unicode: JSON can carry a lone UTF-16 surrogate (`"\\ud800"`),
  which UTF-8, and so the client's store, cannot;
- integers fit SQLite's INTEGER (-2^63 .. 2^63-1), numbers are finite
  (Python's JSON reader takes NaN and Infinity; no JSON writer may send them);
- data nests at most `MAX_DEPTH` levels (the client reads pages at most 32
  deep, and a page puts data 4 levels down) and serializes to at most
  `MAX_RECORD_BYTES`, so that a page can always carry it;
- the envelope is the protocol's: a kind of 1 to 64 printable characters, an
  id of 1 to 128, a version from 1 to 2^63-1, `upsert` with an object or
  `delete`;
- the numbers of the kinds the hub knows are within the ranges the protocol
  documents (an NPS of 11, a negative duration).

Other faults of a known kind (a state the protocol does not list, a missing
field) are stored and served: clients quarantine such a record with its
reason (rule 5), which is how an adapter's mistake is seen on the floor.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from floorview.domain.feed import MAX_INT
from floorview.domain.text import encodable

MAX_VERSION = MAX_INT
MIN_INT = -(2**63)
MAX_DEPTH = 16  # levels of data: the record's own object is 1
MAX_RECORD_BYTES = 1 << 20  # a record's data as stored (UTF-8 JSON)
_KIND = re.compile(r"[\x21-\x7e]{1,64}")
_ID = re.compile(r"[\x21-\x7e]{1,128}")
# pydantic's errors for a number outside its field's range.
_RANGE_ERRORS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
        "multiple_of",
    }
)


def value_problem(value: Any, where: str = "data", depth: int = 1) -> str | None:
    """Why `value` (parsed JSON) could not be stored by a client, in words; None if it could."""
    kind = type(value)
    if kind is str:
        return None if encodable(value) else f"{where}: text is not valid Unicode (a lone surrogate)"
    if kind is int:
        return None if MIN_INT <= value <= MAX_VERSION else f"{where}: a whole number beyond 64 bits"
    if kind is float:
        return None if math.isfinite(value) else f"{where}: a number must be finite, not {value}"
    if kind is dict:
        if depth > MAX_DEPTH:
            return f"{where}: nested deeper than {MAX_DEPTH} levels"
        for key, item in value.items():
            if type(key) is not str:
                return f"{where}: object keys are text"
            if not encodable(key):
                return f"{where}: a key is not valid Unicode (a lone surrogate)"
            problem = value_problem(item, f"{where}.{key[:40]}" if key.isascii() else where, depth + 1)
            if problem:
                return problem
        return None
    if kind is list:
        if depth > MAX_DEPTH:
            return f"{where}: nested deeper than {MAX_DEPTH} levels"
        for i, item in enumerate(value):
            problem = value_problem(item, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
        return None
    if value is None or kind is bool:
        return None
    return f"{where}: {kind.__name__} is not a JSON value"


def version_problem(version: Any, name: str = "version", lowest: int = 1) -> str | None:
    if type(version) is not int or not lowest <= version <= MAX_VERSION:
        return f"{name}: a whole number from {lowest} to 2^63-1"
    return None


@functools.cache
def _models() -> tuple[Mapping[str, Any], type[Exception]]:
    """The feed's models by kind, and pydantic's ValidationError: imported at the first
    record checked, not at start-up, once."""
    from pydantic import ValidationError

    from floorview.domain import feed

    return feed.KINDS, ValidationError


def range_problem(kind: str, data: Mapping[str, Any]) -> str | None:
    """A number of a known kind outside the range the protocol documents."""
    models, invalid = _models()
    model = models.get(kind)
    if model is None:
        return None
    try:
        model.model_validate(data)
    except invalid as exc:
        for error in exc.errors():  # type: ignore[attr-defined]
            value = error.get("input")
            numeric = type(value) in (int, float)
            if error["type"] in _RANGE_ERRORS or (error["type"] == "literal_error" and numeric):
                where = ".".join(map(str, error["loc"]))
                return f"data.{where}: {error['msg']}"
    return None


def change_problem(change: Any, ranges: bool = True) -> tuple[str | None, str | None]:
    """(why this change cannot be stored or None, its data as stored JSON or None).

    The JSON is UTF-8 text (not ASCII escapes: an emoji stays 4 bytes, not 12),
    compact, with no NaN or Infinity. `ranges` False skips the documented
    ranges of known kinds, leaving what no client could store at all.
    """
    if type(change) is not dict:
        return "a change is an object", None
    kind, rid, op, data = change.get("kind"), change.get("id"), change.get("op"), change.get("data")
    if type(kind) is not str or not _KIND.fullmatch(kind):
        return "kind: 1 to 64 printable characters", None
    if type(rid) is not str or not _ID.fullmatch(rid):
        return "id: 1 to 128 printable characters", None
    problem = version_problem(change.get("version"))
    if problem:
        return problem, None
    if op == "delete":
        return None, None
    if op != "upsert":
        return "op: upsert or delete", None
    if type(data) is not dict:
        return "data: an upsert carries an object", None
    text = _plain_json(data)
    problem = (value_problem(data) if text is None else None) or (range_problem(kind, data) if ranges else None)
    if problem:
        return problem, None
    if text is None:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if len(text) > MAX_RECORD_BYTES // 4 and len(text.encode()) > MAX_RECORD_BYTES:
        return f"data: over {MAX_RECORD_BYTES >> 20} MiB as JSON", None
    return None, text


_SCALARS = frozenset({str, float, bool, type(None)})


def _plain_json(data: dict) -> str | None:
    """`data` as stored JSON (as `change_problem` writes it) when `value_problem` would
    find nothing in it, known the quick way; None when not known so (the long way says).

    The quick way takes what a source's records are made of: an object of text keys
    whose values are text, null, booleans, numbers, or lists of those. Its whole JSON
    text is UTF-8 encodable when each text in it is (JSON escapes only ASCII here, so a
    lone surrogate in a key or a value stays in the text), its numbers are finite when
    json.dumps takes them with allow_nan=False, and whole numbers are looked at here."""
    for key, value in data.items():
        if type(key) is not str:
            return None
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is int:
            if MIN_INT <= value <= MAX_VERSION:
                continue
            return None
        if kind is not list:
            return None
        for item in value:
            kind = type(item)
            if kind in _SCALARS or (kind is int and MIN_INT <= item <= MAX_VERSION):
                continue
            return None
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # NaN or an infinity
        return None
    return text if text.isascii() or encodable(text) else None
