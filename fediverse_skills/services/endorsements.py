"""Endorsements: someone vouches for a person's skill, with a comment about work they saw.

Between our servers an endorsement is an ``Endorsement`` object signed by its author
(FEP-8b32) and delivered in a ``Create`` to the person's server and the author's
followers; its proof covers the person (``about``), the skill (``target``, ``skillKey``)
and the comment, so it can be shown anywhere and checked by anyone. From Mastodon, a like
of a skill's Note is a light endorsement and a reply to it an endorsement with a comment;
those are attested by the sender's server only. One endorsement per person and skill;
nobody endorses themselves; only the author withdraws one.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from ..domain import skills as skill_rules
from ..domain.endorsements import MAX_COMMENT
from ..domain.skills import InvalidSkill
from ..federation import activities, markup, vocabulary
from ..federation.actors import same_origin
from ..federation.client import FetchError
from ..store import endorsements as store
from ..store import follows, notes, notifications, users
from ..store import skills as skill_store
from ..store.db import Connection
from ..store.endorsements import EndorsementRow, NewEndorsement
from ..store.users import User
from . import actors, policies, proofs, trust
from .context import Federation
from .outbox import encode, new_id, post_note, queue, reply_note

log = logging.getLogger("fediverse_skills.endorsements")

__all__ = ["EndorsementError", "EndorsementRow", "InvalidSkill"]


class EndorsementError(Exception):
    """The endorsement cannot be made or withdrawn; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


async def _remote_skill(fed: Federation, card: actors.Card, key: str) -> tuple[str, str]:
    """(URI, display name) of a remote person's skill, fetched from their server."""
    record = await actors.get(fed, card.uri)
    collection = json.loads(record.document).get("skills")
    if not isinstance(collection, str) or not same_origin(collection, card.uri):
        raise EndorsementError(f"{card.acct} has no skills profile")
    uri = vocabulary.skill_uri(collection, key)
    try:
        fetched = await fed.client.fetch_document(uri)
    except FetchError as exc:
        if exc.status == 404:
            raise EndorsementError(f"{card.acct} has no such skill", 404) from None
        raise EndorsementError(f"cannot fetch the skill: {exc.reason}") from None
    doc = fetched.document
    if doc.get("type") != "Skill" or doc.get("skillKey") != key or doc.get("about") != card.uri:
        raise EndorsementError(f"{card.acct} has no such skill", 404)
    name = doc.get("name")
    return uri, name if isinstance(name, str) else key


async def endorse(
    fed: Federation, user: User, to: str, skill: str, comment: str = ""
) -> EndorsementRow:
    """``user`` endorses a local or remote person's skill. Raises InvalidSkill or
    EndorsementError."""
    key = skill_rules.key(skill)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise EndorsementError(f"a comment has at most {MAX_COMMENT} characters", 400)
    try:
        subject = await actors.resolve(fed, to)
        card = await actors.card(fed, subject)
    except actors.ActorUnavailable as exc:
        raise EndorsementError(str(exc)) from None
    uris = fed.uris
    me = uris.actor(user.username)
    if subject == me:
        raise EndorsementError("nobody can endorse their own skills")
    local_name = uris.username_of(subject)
    if local_name is None:
        skill_uri, name = await _remote_skill(fed, card, key)
    else:
        skill_uri, name = vocabulary.skill_uri(uris.skills(local_name), key), skill
    now = datetime.now(UTC)
    public_id = new_id()
    async with fed.db.connection() as conn:
        owner, name = await _can_endorse(fed, conn, me, subject, local_name, card, key, name)
        # Signed once, outside the transaction below, which may run more than once.
        document = await proofs.sign(
            fed,
            conn,
            user,
            vocabulary.endorsement(
                base_url=uris.base_url,
                id=uris.endorsement(user.username, public_id),
                endorser=me,
                owner=subject,
                skill=skill_uri,
                key=key,
                name=name,
                comment_html=markup.paragraph(markup.text(comment)) if comment else "",
                published=now,
                followers=uris.followers(user.username),
            ),
        )
    signed_name = name
    owner_id = owner.id if owner else None

    async def work(conn: Connection) -> EndorsementRow:  # database only: it may run again
        # The insert's trigger bumps both profiles: take both rows first, in id order.
        # The checks come after, so a skill removed meanwhile (removal locks the same
        # rows) is seen gone.
        await users.lock_users(conn, (user.id, owner_id))
        found_owner, found_name = await _can_endorse(
            fed, conn, me, subject, local_name, card, key, signed_name
        )
        if found_name != signed_name:  # the skill was removed and declared again meanwhile
            raise EndorsementError(f"{card.acct} changed this skill; try again", 409)
        row = await store.add(
            conn,
            NewEndorsement(
                public_id=public_id,
                uri=document["id"],
                subject=subject,
                subject_user_id=found_owner.id if found_owner else None,
                skill_key=key,
                endorser=me,
                endorser_user_id=user.id,
                kind="endorsement",
                attestation="proof",
                comment=comment,
                document=encode(document),
                created_at=now,
            ),
        )
        if row is None:
            raise EndorsementError("you have already endorsed this skill", 409)
        inboxes = set(await follows.follower_inboxes(conn, me))
        if card.inbox:
            inboxes.add(card.inbox)
        create = vocabulary.wrap(
            base_url=uris.base_url,
            kind="Create",
            id=uris.activity(user.username, new_id()),
            actor=me,
            obj=document,
            to=[subject],
            cc=[activities.PUBLIC, uris.followers(user.username)],
        )
        await queue(conn, create, user_id=user.id, inboxes=inboxes, now=now)
        await _post_note(fed, conn, user, card, signed_name, comment, now)
        if found_owner is not None:
            await notifications.add(
                conn,
                user_id=found_owner.id,
                kind="endorsement",
                actor=me,
                subject=public_id,
                now=now,
            )
        return row

    row = await fed.db.run_in_transaction(work)
    trust.note(fed, [trust.Signal(me, subject, "endorsement", key)])
    return row


async def _can_endorse(
    fed: Federation,
    conn: Connection,
    me: str,
    subject: str,
    local_name: str | None,
    card: actors.Card,
    key: str,
    name: str,
) -> tuple[User | None, str]:
    """(the local owner or None, the skill's name) if ``me`` may endorse ``subject``'s
    skill ``key`` now; raises EndorsementError otherwise."""
    owner = None
    if local_name is not None:
        owner = await users.get_by_username(conn, local_name)
        found = None if owner is None else await skill_store.get(conn, owner.id, key)
        if owner is None or found is None:
            raise EndorsementError(f"{card.acct} has no such skill", 404)
        name = found.name
        if not await policies.allowed(fed, conn, owner, me, action="endorse"):
            raise EndorsementError(f"{local_name} does not take endorsements from you", 403)
    if await store.find(conn, endorser=me, subject=subject, skill_key=key) is not None:
        raise EndorsementError("you have already endorsed this skill", 409)
    return owner, name


async def _post_note(
    fed: Federation,
    conn: Connection,
    user: User,
    subject: actors.Card,
    name: str,
    comment: str,
    now: datetime,
) -> None:
    """A public Note by the endorser, for their followers on Mastodon and elsewhere."""
    uris = fed.uris
    tag = skill_rules.hashtag(name)
    parts = [markup.text("I endorse "), markup.mention_link(subject.url, subject.username)]
    parts.append(markup.text(" for "))
    parts.append(markup.hashtag_link(uris.base_url, tag) if tag else markup.text(name))
    if comment:
        parts.append(markup.text(f": {comment}"))
    tags = [markup.mention_tag(subject.uri, subject.acct)]
    if tag:
        tags.append(markup.hashtag_tag(uris.base_url, tag))
    inboxes = set(await follows.follower_inboxes(conn, uris.actor(user.username)))
    if subject.inbox:
        inboxes.add(subject.inbox)
    await post_note(
        fed,
        conn,
        user,
        content=markup.paragraph(*parts),
        to=[activities.PUBLIC],
        cc=[uris.followers(user.username), subject.uri],
        tags=tags,
        inboxes=inboxes,
        kind="endorsement",
        now=now,
    )


async def withdraw(fed: Federation, user: User, public_id: str) -> bool:
    """The author withdraws an endorsement; its person's server and the author's
    followers are told. False if there is no such endorsement by ``user``."""
    uris = fed.uris
    me = uris.actor(user.username)
    now = datetime.now(UTC)
    async with fed.db.connection() as conn:
        found = await store.get(conn, public_id)
    if found is None or found.endorser_user_id != user.id:
        return False
    subject = None
    if found.subject_user_id is None:  # their server is told too (fetched outside the write)
        try:
            subject = await actors.card(fed, found.subject)
        except actors.ActorUnavailable:
            subject = None

    async def work(conn: Connection) -> EndorsementRow | None:  # database only: may run again
        row = await store.get(conn, public_id)
        if row is None or row.endorser_user_id != user.id:
            return None
        # The delete's trigger bumps both profiles: take both rows in id order.
        await users.lock_users(conn, (row.subject_user_id, row.endorser_user_id))
        await store.remove(conn, row.id)
        inboxes = set(await follows.follower_inboxes(conn, me))
        if subject is not None and subject.inbox:
            inboxes.add(subject.inbox)
        delete = vocabulary.wrap(
            base_url=uris.base_url,
            kind="Delete",
            id=uris.activity(user.username, new_id()),
            actor=me,
            obj=row.uri,
            to=[row.subject],
            cc=[activities.PUBLIC, uris.followers(user.username)],
        )
        await queue(conn, delete, user_id=user.id, inboxes=inboxes, now=now)
        return row

    row = await fed.db.run_in_transaction(work)
    if row is None:
        return False
    kind = trust.signal_of(row.kind, row.attestation)
    trust.note(fed, [trust.Signal(me, row.subject, kind, row.skill_key)], removed=True)
    return True


# ----------------------------------------------------------------------------- inbox


async def on_create(fed: Federation, activity: dict[str, Any], obj: dict[str, Any]) -> str:
    """A Create of a signed Endorsement of one of our people's skills."""
    try:
        claim = vocabulary.read_endorsement(obj)
    except vocabulary.VocabularyError as exc:
        return f"ignored: {exc}"
    actor = activities.ref(activity.get("actor"))
    if claim.endorser != actor:
        return "ignored: the endorsement is not by the activity's actor"
    username = fed.uris.username_of(claim.owner)
    if username is None:
        return "ignored: not about one of our people"
    if claim.endorser == claim.owner:
        return "refused: nobody can endorse their own skills"
    if claim.skill != vocabulary.skill_uri(fed.uris.skills(username), claim.key):
        return "refused: the endorsement's skill is not the skill it names"
    try:
        await proofs.verify(fed, obj, author=claim.endorser)
    except proofs.ProofError as exc:
        return f"refused: {exc}"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        owner = await users.get_by_username(conn, username)
        if owner is None or await skill_store.get(conn, owner.id, claim.key) is None:
            return "ignored: no such skill"
        if not await policies.allowed(fed, conn, owner, claim.endorser, action="endorse"):
            return "ignored: not allowed by the person's policy"
        row = await store.add(
            conn,
            NewEndorsement(
                public_id=new_id(),
                uri=claim.id,
                subject=claim.owner,
                subject_user_id=owner.id,
                skill_key=claim.key,
                endorser=claim.endorser,
                endorser_user_id=None,
                kind="endorsement",
                attestation="proof",
                comment=markup.plain_text(claim.comment_html)[:MAX_COMMENT],
                document=json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
                created_at=now,
            ),
        )
        if row is None:
            return "ignored: already endorsed (counted once)"
        await notifications.add(
            conn,
            user_id=owner.id,
            kind="endorsement",
            actor=claim.endorser,
            subject=row.public_id,
            now=now,
        )
    trust.note(fed, [trust.Signal(claim.endorser, claim.owner, "endorsement", claim.key)])
    return "endorsement stored"


async def on_delete(fed: Federation, actor: str, uri: str) -> str | None:
    """A Delete of an endorsement (or of a reply that was one); None if ``uri`` is not an
    endorsement we know."""
    async with fed.db.transaction() as conn:
        row = await store.by_uri(conn, uri)
        if row is None:
            return None
        if row.endorser != actor:
            return "ignored: only its author withdraws an endorsement"
        await store.remove(conn, row.id)
    kind = trust.signal_of(row.kind, row.attestation)
    trust.note(fed, [trust.Signal(actor, row.subject, kind, row.skill_key)], removed=True)
    return "endorsement withdrawn"


async def _skill_note(
    fed: Federation, conn: Connection, uri: str | None
) -> tuple[User, str] | None:
    """(owner, skill key) if ``uri`` is one of our skill notes."""
    found = fed.uris.note_of(uri) if uri else None
    if found is None:
        return None
    owner = await users.get_by_username(conn, found[0])
    if owner is None:
        return None
    note = await notes.get(conn, owner.id, found[1])
    if note is None or note.kind != "skill" or note.skill_key is None:
        return None
    return owner, note.skill_key


async def from_interaction(
    fed: Federation,
    document: dict[str, Any],
    *,
    actor: str,
    target: str | None,
    comment_html: str,
    kind: str,
) -> str | None:
    """A like (``kind="like"``, ``document`` the Like) of, or a reply (``"reply"``, the
    Note) to, one of our skill notes, from any app; None if ``target`` is not one."""
    uri = activities.ref(document)
    if uri is None:
        return "ignored: no id"
    now = datetime.now(UTC)
    comment = markup.plain_text(comment_html)
    async with fed.db.transaction() as conn:
        found = await _skill_note(fed, conn, target)
        if found is None:
            return None
        owner, key = found
        me = fed.uris.actor(owner.username)
        if actor == me:
            return "ignored: nobody can endorse their own skills"
        if await skill_store.get(conn, owner.id, key) is None:
            return "ignored: the skill was removed"
        if not await policies.allowed(fed, conn, owner, actor, action="endorse"):
            return "ignored: not allowed by the person's policy"
        text = _without_leading_mention(comment)[:MAX_COMMENT]
        existing = await store.find(conn, endorser=actor, subject=me, skill_key=key)
        if existing is not None:
            if not (kind == "reply" and existing.kind == "like"):
                return "ignored: already endorsed (counted once)"
            await store.remove(conn, existing.id)  # a comment supersedes a like
            replaced = trust.Signal(actor, me, "like", key)
            trust.note(fed, [replaced], removed=True)
        row = await store.add(
            conn,
            NewEndorsement(
                public_id=new_id(),
                uri=uri,
                subject=me,
                subject_user_id=owner.id,
                skill_key=key,
                endorser=actor,
                endorser_user_id=None,
                kind=kind,
                attestation="server",
                comment=text,
                document=encode(
                    vocabulary.attested_endorsement(
                        id=uri,
                        endorser=actor,
                        owner=me,
                        skill=vocabulary.skill_uri(fed.uris.skills(owner.username), key),
                        key=key,
                        comment_html=markup.paragraph(markup.text(text)) if text else "",
                        published=now,
                    )
                ),
                created_at=now,
            ),
        )
        if row is None:
            return "ignored: already known"
        await notifications.add(
            conn, user_id=owner.id, kind="endorsement", actor=actor, subject=row.public_id, now=now
        )
        if kind == "reply":
            try:
                author = await actors.card(fed, actor)
            except actors.ActorUnavailable:
                author = None
            if author is not None:
                await reply_note(
                    fed,
                    conn,
                    owner,
                    to=author,
                    in_reply_to=uri,
                    html_parts=[markup.text("Thank you! Your endorsement is on my profile.")],
                    now=now,
                )
    signal = trust.signal_of(kind, "server")
    trust.note(fed, [trust.Signal(actor, fed.uris.actor(owner.username), signal, key)])
    return f"{kind} endorsement stored"


def _without_leading_mention(text: str) -> str:
    """Replies start with "@alice "; the comment is what follows."""
    words = text.split(" ")
    while words and words[0].startswith("@"):
        words.pop(0)
    return " ".join(words).strip()


async def on_undo_like(fed: Federation, activity: dict[str, Any]) -> str:
    like = activities.ref(activity.get("object"))
    if like is None:
        return "ignored: Undo of nothing"
    actor = activities.ref(activity.get("actor"))
    return await on_delete(fed, actor or "", like) or "ignored: unknown like"
