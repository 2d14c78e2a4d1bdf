"""Suggestions: someone proposes a skill for a person, who accepts or rejects it.

Between our servers a suggestion is an ``Offer`` signed by its author (FEP-8b32), and the
decision an ``Accept`` or ``Reject`` signed by the person. From a plain Mastodon account it
is a post mentioning the person with ``#SuggestSkill`` and skill hashtags, or a reply to
the person's "ask" post; those carry only the sender's HTTP signature and are recorded as
attested by its server. Pending and rejected suggestions are never public.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import skills as skill_rules
from ..domain import suggestions as rules
from ..domain.endorsements import MAX_COMMENT
from ..domain.skills import InvalidSkill
from ..federation import activities, markup, vocabulary
from ..store import notifications, users
from ..store import skills as skill_store
from ..store import suggestions as store
from ..store.db import Connection
from ..store.suggestions import NewSuggestion, SuggestionRow
from ..store.users import User
from . import actors, policies, proofs, trust
from .context import Federation
from .outbox import encode, new_id, queue, reply_note
from .skills import announce, display_name_for

log = logging.getLogger("fediverse_skills.suggestions")

__all__ = ["InvalidSkill", "SuggestionError", "SuggestionRow"]

SUGGEST_TAG = "suggestskill"
MAX_TAGS = 10  # skills taken from one post


class SuggestionError(Exception):
    """The suggestion cannot be made or decided; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outcome:
    suggestion: SuggestionRow
    created: bool


def _comment(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise SuggestionError(f"a comment has at most {MAX_COMMENT} characters", 400)
    return text


async def suggest(
    fed: Federation,
    user: User,
    to: str,
    name: str,
    comment: str = "",
    taxonomy: str | None = None,
) -> Outcome:
    """``user`` suggests a skill to a local or remote person. Raises InvalidSkill or
    SuggestionError."""
    skill = skill_rules.make(name, taxonomy)
    comment = _comment(comment)
    try:
        subject = await actors.resolve(fed, to)
    except actors.ActorUnavailable as exc:
        raise SuggestionError(str(exc)) from None
    uris = fed.uris
    me = uris.actor(user.username)
    if subject == me:
        raise SuggestionError("add your own skills directly (POST /api/v1/skills)")
    subject_name = uris.username_of(subject)
    card = None
    if subject_name is None:
        if uris.is_local(subject):
            raise SuggestionError("that is not an account on this server")
        try:
            card = await actors.card(fed, subject)
        except actors.ActorUnavailable as exc:
            raise SuggestionError(str(exc)) from None
    now = datetime.now(UTC)
    public_id = new_id()
    offer_id = uris.suggestion(user.username, public_id)
    draft = vocabulary.skill_draft(
        name=skill.name, key=skill.key, about=subject, taxonomy=skill.taxonomy
    )
    async with fed.db.transaction() as conn:
        existing = await store.pending_from(conn, subject=subject, author=me, key=skill.key)
        if existing is not None:
            return Outcome(existing, False)
        offer = await proofs.sign(
            fed,
            conn,
            user,
            vocabulary.offer(
                base_url=uris.base_url,
                id=offer_id,
                actor=me,
                owner=subject,
                draft=draft,
                comment_html=markup.paragraph(markup.text(comment)) if comment else "",
                published=now,
            ),
        )
        owner = None
        if subject_name is not None:
            owner = await users.get_by_username(conn, subject_name)
            if owner is None or owner.deleted_at is not None:
                raise SuggestionError(f"there is no account {subject_name}@{uris.host}")
            if not await policies.allowed(fed, conn, owner, me, action="suggest"):
                raise SuggestionError(f"{subject_name} does not take suggestions from you", 403)
            if await skill_store.get(conn, owner.id, skill.key) is not None:
                raise SuggestionError(f"{skill.name} is already on {subject_name}'s profile", 409)
        row = await store.add(
            conn,
            NewSuggestion(
                public_id=public_id,
                uri=offer_id,
                subject=subject,
                subject_user_id=owner.id if owner else None,
                author=me,
                author_user_id=user.id,
                key=skill.key,
                name=skill.name,
                taxonomy=skill.taxonomy,
                comment=comment,
                state=rules.State.PENDING,
                attestation="proof",
                document=encode(offer),
                via=None,
                created_at=now,
            ),
        )
        assert row is not None
        if owner is not None:
            row = await _arrived(fed, conn, owner, row, now)
        elif card is not None and card.inbox:
            await queue(conn, offer, user_id=user.id, inboxes=[card.inbox], now=now)
    return Outcome(row, True)


async def _arrived(
    fed: Federation, conn: Connection, owner: User, row: SuggestionRow, now: datetime
) -> SuggestionRow:
    """A new pending suggestion for ``owner``: notify them, or accept it at once if they
    said so."""
    await notifications.add(
        conn, user_id=owner.id, kind="suggestion", actor=row.author, subject=row.public_id, now=now
    )
    if owner.auto_accept_suggestions:
        return await _decide(fed, conn, owner, row, accept=True, now=now)
    return row


async def decide(fed: Federation, user: User, public_id: str, *, accept: bool) -> SuggestionRow:
    """The person accepts or rejects a suggestion made to them. Raises SuggestionError."""
    async with fed.db.connection() as conn:
        found = await store.get(conn, public_id)
    if found is None or found.subject_user_id != user.id:
        raise SuggestionError("no such suggestion", 404)
    # Refresh the author's actor now if it is stale, so that the transaction below (which
    # addresses them) never waits on the network.
    await _card(fed, found.author)
    async with fed.db.transaction() as conn:
        row = await store.get(conn, public_id)
        if row is None or row.subject_user_id != user.id:
            raise SuggestionError("no such suggestion", 404)
        return await _decide(fed, conn, user, row, accept=accept, now=datetime.now(UTC))


async def hold(fed: Federation, user: User, public_id: str, *, accept: bool) -> SuggestionRow:
    """Decide on the web: the decision waits ``fed.undo_seconds`` (undo() cancels it),
    then the worker carries it out as decide() does. Raises SuggestionError."""
    if fed.undo_seconds <= 0:
        return await decide(fed, user, public_id, accept=accept)
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        row = await store.get(conn, public_id)
        if row is None or row.subject_user_id != user.id:
            raise SuggestionError("no such suggestion", 404)
        if row.state != rules.State.PENDING:
            raise SuggestionError(f"this suggestion is already {row.state}", 409)
        decision = rules.State.ACCEPTED if accept else rules.State.REJECTED
        due = now + timedelta(seconds=fed.undo_seconds)
        await store.hold_decision(conn, row.id, decision, due)
        updated = await store.get(conn, public_id)
    assert updated is not None
    return updated


async def undo(fed: Federation, user: User, public_id: str) -> bool:
    """Cancel a held decision that has not been carried out yet."""
    async with fed.db.transaction() as conn:
        row = await store.get(conn, public_id)
        if row is None or row.subject_user_id != user.id or row.pending_decision is None:
            return False
        return await store.hold_decision(conn, row.id, None, None)


async def finish_due(fed: Federation) -> int:
    """Carry out held decisions whose undo window has passed (the worker calls this)."""
    async with fed.db.connection() as conn:
        due = await store.due_decisions(conn, datetime.now(UTC))
    done = 0
    for public_id in due:
        async with fed.db.connection() as conn:
            row = await store.get(conn, public_id)
            owner = (
                await users.get_by_id(conn, row.subject_user_id)
                if row is not None and row.subject_user_id is not None
                else None
            )
        if row is None or owner is None or row.pending_decision is None:
            continue
        if row.decision_due_at is None or row.decision_due_at > datetime.now(UTC):
            continue  # undone, or held again, meanwhile
        try:
            await decide(fed, owner, public_id, accept=row.pending_decision == rules.State.ACCEPTED)
        except SuggestionError as exc:
            log.warning("held decision on %s failed: %s", public_id, exc)
            async with fed.db.transaction() as conn:
                await store.hold_decision(conn, row.id, None, None)
        done += 1
    return done


async def _decide(
    fed: Federation,
    conn: Connection,
    user: User,
    row: SuggestionRow,
    *,
    accept: bool,
    now: datetime,
) -> SuggestionRow:
    wanted = rules.State.ACCEPTED if accept else rules.State.REJECTED
    try:
        new_state = rules.transition(rules.State(row.state), wanted, rules.Role.SUBJECT)
    except rules.NotAllowed as exc:
        raise SuggestionError(str(exc), 409) from None
    if new_state == row.state:
        return row
    await store.set_state(conn, row.id, expected=row.state, state=new_state, now=now)
    uris = fed.uris
    me = uris.actor(user.username)
    skill_uri = vocabulary.skill_uri(uris.skills(user.username), row.key)
    author = await _card(fed, row.author)
    if accept:
        skill = await skill_store.add(
            conn,
            user_id=user.id,
            key=row.key,
            name=row.name,
            hashtag=skill_rules.hashtag(row.name),
            taxonomy=row.taxonomy,
            now=now,
            suggested_by=row.author,
            suggested_at=row.created_at,
            suggestion=row.document if row.attestation == "proof" else None,
        )
        if skill is not None:
            await announce(fed, conn, user, skill, author, now)
            trust.note(fed, [trust.Signal(row.author, row.subject, "suggestion", row.key)])
    if row.author_user_id is not None and row.author_user_id != user.id:
        await notifications.add(
            conn,
            user_id=row.author_user_id,
            kind=f"suggestion_{new_state}",
            actor=me,
            subject=row.public_id,
            now=now,
        )
    elif row.attestation == "proof" and author is not None and author.inbox:
        answer = vocabulary.decision(
            base_url=uris.base_url,
            kind="Accept" if accept else "Reject",
            id=uris.activity(user.username, new_id()),
            actor=me,
            offer=row.uri,
            author=row.author,
            result=skill_uri if accept else None,
        )
        signed = await proofs.sign(fed, conn, user, answer)
        await queue(conn, signed, user_id=user.id, inboxes=[author.inbox], now=now)
    updated = await store.get(conn, row.public_id)
    assert updated is not None
    return updated


async def _card(fed: Federation, uri: str) -> actors.Card | None:
    try:
        return await actors.card(fed, uri)
    except actors.ActorUnavailable:
        return None


async def withdraw(fed: Federation, user: User, public_id: str) -> SuggestionRow:
    """The author takes back a pending suggestion. Raises SuggestionError."""
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        row = await store.get(conn, public_id)
        if row is None or row.author_user_id != user.id:
            raise SuggestionError("no such suggestion", 404)
        try:
            rules.transition(rules.State(row.state), rules.State.WITHDRAWN, rules.Role.AUTHOR)
        except rules.NotAllowed as exc:
            raise SuggestionError(str(exc), 409) from None
        await store.set_state(conn, row.id, expected=row.state, state="withdrawn", now=now)
        if row.subject_user_id is None:
            subject = await _card(fed, row.subject)
            if subject is not None and subject.inbox:
                undo = vocabulary.wrap(
                    base_url=fed.uris.base_url,
                    kind="Undo",
                    id=fed.uris.activity(user.username, new_id()),
                    actor=row.author,
                    obj=row.uri,
                    to=[row.subject],
                    cc=[],
                )
                signed = await proofs.sign(fed, conn, user, undo)
                await queue(conn, signed, user_id=user.id, inboxes=[subject.inbox], now=now)
        updated = await store.get(conn, public_id)
    assert updated is not None
    return updated


async def received(fed: Federation, user: User, state: str | None) -> list[SuggestionRow]:
    async with fed.db.connection() as conn:
        return await store.received(conn, user.id, state=state)


async def sent(fed: Federation, user: User) -> list[SuggestionRow]:
    async with fed.db.connection() as conn:
        return await store.sent(conn, user.id)


# ----------------------------------------------------------------------------- inbox


async def on_offer(fed: Federation, activity: dict[str, Any]) -> str:
    """A signed Offer of a skill for one of our people."""
    try:
        offered = vocabulary.read_offer(activity)
    except vocabulary.VocabularyError as exc:
        return f"ignored: {exc}"
    actor = activities.ref(activity.get("actor"))
    if offered.actor != actor:
        return "ignored: the Offer's actor is not its sender"
    username = fed.uris.username_of(offered.owner)
    if username is None:
        return "ignored: the suggestion is not for one of our people"
    if offered.owner not in activities.audience(activity):
        return "ignored: the Offer is not addressed to its target"
    try:
        skill = skill_rules.make(offered.name, offered.taxonomy)
    except InvalidSkill as exc:
        return f"ignored: {exc}"
    try:
        await proofs.verify(fed, activity, author=offered.actor)
    except proofs.ProofError as exc:
        return f"refused: {exc}"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        owner = await users.get_by_username(conn, username)
        if owner is None or owner.deleted_at is not None:
            return "ignored: no such person"
        if not await policies.allowed(fed, conn, owner, offered.actor, action="suggest"):
            return "ignored: not allowed by the person's policy"
        if await skill_store.get(conn, owner.id, skill.key) is not None:
            return "ignored: the skill is already on the profile"
        if await store.pending_from(
            conn, subject=offered.owner, author=offered.actor, key=skill.key
        ):
            return "ignored: already pending"
        row = await store.add(
            conn,
            NewSuggestion(
                public_id=new_id(),
                uri=offered.id,
                subject=offered.owner,
                subject_user_id=owner.id,
                author=offered.actor,
                author_user_id=None,
                key=skill.key,
                name=skill.name,
                taxonomy=skill.taxonomy,
                comment=markup.plain_text(offered.comment_html)[:MAX_COMMENT],
                state=rules.State.PENDING,
                attestation="proof",
                document=json.dumps(activity, separators=(",", ":"), ensure_ascii=False),
                via=None,
                created_at=now,
            ),
        )
        if row is None:
            return "ignored: already known"
        await _arrived(fed, conn, owner, row, now)
    return "suggestion stored"


async def on_decision(fed: Federation, activity: dict[str, Any], *, accepted: bool) -> str | None:
    """An Accept or Reject of an Offer one of our people sent; None if the object is not a
    suggestion of ours (then it is about something else, such as a Follow)."""
    offer_uri = activities.ref(activity.get("object"))
    if offer_uri is None:
        return None
    async with fed.db.connection() as conn:
        row = await store.by_uri(conn, offer_uri)
    if row is None or row.author_user_id is None:
        return None
    actor = activities.ref(activity.get("actor"))
    if actor != row.subject:
        return "ignored: only the suggestion's subject decides"
    if "proof" in activity:
        try:
            await proofs.verify(fed, activity, author=actor)
        except proofs.ProofError as exc:
            return f"refused: {exc}"
    wanted = rules.State.ACCEPTED if accepted else rules.State.REJECTED
    try:
        rules.transition(rules.State(row.state), wanted, rules.Role.SUBJECT)
    except rules.NotAllowed as exc:
        return f"ignored: {exc}"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        if await store.set_state(conn, row.id, expected=row.state, state=wanted, now=now):
            await notifications.add(
                conn,
                user_id=row.author_user_id,
                kind=f"suggestion_{wanted}",
                actor=actor,
                subject=row.public_id,
                now=now,
            )
    return f"suggestion {wanted}"


async def on_undo_offer(fed: Federation, activity: dict[str, Any]) -> str:
    """The author withdraws a pending suggestion made to one of our people."""
    inner = activity.get("object")
    offer_uri = activities.ref(inner)
    if offer_uri is None:
        return "ignored: Undo of nothing"
    async with fed.db.transaction() as conn:
        row = await store.by_uri(conn, offer_uri)
        if row is None or row.subject_user_id is None:
            return "ignored: unknown suggestion"
        if activities.ref(activity.get("actor")) != row.author:
            return "ignored: only the suggestion's author withdraws it"
        if row.state != rules.State.PENDING:
            return f"ignored: the suggestion is {row.state}"
        await store.set_state(
            conn, row.id, expected="pending", state="withdrawn", now=datetime.now(UTC)
        )
    return "suggestion withdrawn"


def hashtags(note: dict[str, Any]) -> list[str]:
    """The hashtags a post carries (``tag`` entries), without ``#``, in order, once each."""
    found: list[str] = []
    tags = note.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag":
            name = tag.get("name")
            if isinstance(name, str) and name.lstrip("#") and name.lstrip("#") not in found:
                found.append(name.lstrip("#"))
    return found


async def from_post(
    fed: Federation, owner: User, note: dict[str, Any], author: str, *, via: str
) -> str:
    """Suggestions from a plain post: its skill hashtags, by its author, for ``owner``."""
    tags = [t for t in hashtags(note) if t.casefold() != SUGGEST_TAG][:MAX_TAGS]
    note_uri = activities.ref(note)
    if not tags or note_uri is None:
        return "ignored: no skill hashtags"
    author_card = await _card(fed, author)
    now = datetime.now(UTC)
    made: list[str] = []
    async with fed.db.transaction() as conn:
        if not await policies.allowed(fed, conn, owner, author, action="suggest"):
            # A blocked person is ignored silently: no reply tells them about the block.
            blocked = (await policies.relation(fed, conn, owner, author)).blocked
            if author_card is not None and not blocked:
                await reply_note(
                    fed,
                    conn,
                    owner,
                    to=author_card,
                    in_reply_to=note_uri,
                    html_parts=[markup.text("Sorry, I do not take skill suggestions from you.")],
                    now=now,
                )
            return "ignored: not allowed by the person's policy"
        for tag in tags:
            name = await display_name_for(conn, owner.id, tag)
            try:
                skill = skill_rules.make(name)
            except InvalidSkill:
                continue
            if await skill_store.get(conn, owner.id, skill.key) is not None:
                continue
            if await store.pending_from(
                conn, subject=fed.uris.actor(owner.username), author=author, key=skill.key
            ):
                continue
            row = await store.add(
                conn,
                NewSuggestion(
                    public_id=new_id(),
                    uri=f"{note_uri}#skill={skill.key}",
                    subject=fed.uris.actor(owner.username),
                    subject_user_id=owner.id,
                    author=author,
                    author_user_id=None,
                    key=skill.key,
                    name=skill.name,
                    taxonomy=None,
                    comment=markup.plain_text(str(note.get("content") or ""))[:MAX_COMMENT],
                    state=rules.State.PENDING,
                    attestation="server",
                    document=json.dumps(note, separators=(",", ":"), ensure_ascii=False),
                    via=via,
                    created_at=now,
                ),
            )
            if row is None:
                continue
            made.append(skill.hashtag or skill.name)
            await _arrived(fed, conn, owner, row, now)
        if made and author_card is not None:
            listed = [markup.text("Thanks! I will look at your suggestion of ")]
            for i, tag in enumerate(made):
                if i:
                    listed.append(markup.text(", "))
                listed.append(markup.hashtag_link(fed.uris.base_url, tag))
            listed.append(markup.text("."))
            await reply_note(
                fed, conn, owner, to=author_card, in_reply_to=note_uri, html_parts=listed, now=now
            )
    return f"{len(made)} suggestion(s) stored" if made else "ignored: nothing new to suggest"
