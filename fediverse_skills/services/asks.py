"""Asks: "what would you say I'm good at?" posts, and the suggestions their replies made."""

from __future__ import annotations

from dataclasses import dataclass

from ..store import notes
from ..store import suggestions as suggestion_store
from ..store.notes import Note
from ..store.suggestions import SuggestionRow
from ..store.users import User
from .context import Federation
from .outbox import publish_note

MAX_SHOWN = 5


@dataclass(frozen=True)
class Ask:
    note: Note
    uri: str
    replies: list[SuggestionRow]


async def post(fed: Federation, user: User, text: str) -> Note:
    """Publish an ask to the user's followers. Raises outbox.InvalidNote."""
    note, _ = await publish_note(fed, user, text, kind="ask")
    return note


async def recent(fed: Federation, user: User, *, limit: int = MAX_SHOWN) -> list[Ask]:
    """The user's newest asks, each with the suggestions that replies to it made."""
    async with fed.db.connection() as conn:
        found = await notes.of_kind(conn, user.id, "ask", limit=limit)
        uris = {n.public_id: fed.uris.note(user.username, n.public_id) for n in found}
        replies = await suggestion_store.via(conn, list(uris.values()))
    by_ask: dict[str, list[SuggestionRow]] = {}
    for row in replies:
        if row.via is not None:
            by_ask.setdefault(row.via, []).append(row)
    return [Ask(n, uris[n.public_id], by_ask.get(uris[n.public_id], [])) for n in found]
