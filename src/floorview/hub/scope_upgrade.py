"""Rewrites the token scopes of a hub database made before scopes had a format.

Such a database joined a token's teams with spaces and split them on spaces,
so a token for "Team A" was read as the teams "Team" and "A". Records are not
touched: each belongs to one team, stored whole. A token's joined string is
read back as the longest runs of words that name a team on the floor, which
is exact unless two team names overlap word for word.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from floorview.hub.hubstore import hub_record, hub_token, join_teams

log = logging.getLogger(__name__)


def upgrade_scopes(conn) -> None:
    known = set(conn.execute(select(hub_record.c.teams).where(hub_record.c.kind == "agent").distinct()).scalars())
    known.discard("")
    for token_id, name, teams in conn.execute(select(hub_token.c.id, hub_token.c.name, hub_token.c.teams)).all():
        names = read_old_teams(teams, known)
        if not names <= known:
            log.warning("token %r names teams not on the floor: %s", name, ", ".join(sorted(names - known)))
        conn.execute(update(hub_token).where(hub_token.c.id == token_id).values(teams=join_teams(names)))


def read_old_teams(text: str, known: set[str]) -> set[str]:
    """Space-joined team names read back: at each word, the longest run of
    words that names a known team, or else the word alone."""
    words = text.split()
    out: set[str] = set()
    i = 0
    while i < len(words):
        j = next(j for j in range(len(words), i, -1) if j == i + 1 or " ".join(words[i:j]) in known)
        out.add(" ".join(words[i:j]))
        i = j
    return out
