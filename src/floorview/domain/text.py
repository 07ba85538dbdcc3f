"""The single ingestion filter for untrusted text (DESIGN.md, feed protocol rule 6).

Every string from a feed, a file or a user passes through `clean` before it
is stored. Rendering is the other half of the rule: the TUI shows data only
as Text/Content, never as markup.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the
# bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Remove control characters; everything else is kept as it came."""
    return _CONTROL.sub("", text)


def encodable(text: str) -> bool:
    """Whether UTF-8 (and so a store) can hold it: JSON can carry a lone
    UTF-16 surrogate ("\\ud800"), which UTF-8 cannot."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
