"""Referrals and interest: putting someone forward for a posting, and saying "I want it".

A referral is the referrer's signed ``Invite`` (FEP-8b32), sent to the candidate only. The
candidate decides. If they accept, their server sends a signed ``Accept`` that embeds the
Invite, proof and all, to the poster and the referrer; the poster's server checks both
proofs before it shows the referral (with the referrer's comment) to the poster. If they
decline, only the referrer hears of it (a signed ``Reject``). An accepted referral then
counts in the trust graph as a signal from the referrer to the candidate, and for each
required skill of the posting as an attested endorsement (``store.trust.REFERRAL``).

Interest is a direct Note from the candidate to the poster, in reply to the posting, so
that Mastodon shows it as a private mention.

Who sees what: the candidate sees every referral made to them, the referrer those they
made (and whether they were accepted), the poster only accepted ones. Nothing here is
ever served to anyone else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain import opportunities as posting_rules
from ..domain.endorsements import MAX_COMMENT
from ..federation import activities, markup, vocabulary
from ..federation import opportunities as posting_wire
from ..federation import referrals as wire
from ..federation.actors import same_origin
from ..federation.client import FetchError
from ..store import notifications, users
from ..store import opportunities as posting_store
from ..store import referrals as store
from ..store.db import Connection
from ..store.opportunities import OpportunityRow
from ..store.referrals import ACCEPTED, DECLINED, PENDING, NewReferral, ReferralRow
from ..store.trust import REFERRAL
from ..store.users import User
from . import actors, policies, proofs, trust
from .blocks import url_blocked
from .context import Federation
from .outbox import encode, new_id, post_note, queue

__all__ = ["BOXES", "STATES", "ReferralError", "ReferralRow"]

BOXES = ("received", "sent", "posted")
STATES = (PENDING, ACCEPTED, DECLINED)


class ReferralError(Exception):
    """The referral or the interest cannot be sent or decided; ``status`` is the HTTP
    status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _comment(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise ReferralError(f"a comment has at most {MAX_COMMENT} characters", 400)
    return text


# ----------------------------------------------------------------------------- postings


@dataclass(frozen=True)
class Posting:
    """A posting as referrals need it: stored here (ours, or kept from another server), or
    fetched from its server."""

    uri: str
    author: str
    title: str
    url: str
    live: bool
    user_id: int | None  # the poster, when the posting is ours
    public_id: str | None
    required: tuple[str, ...]  # skill keys


def _from_row(fed: Federation, row: OpportunityRow, now: datetime) -> Posting:
    return Posting(
        uri=row.uri,
        author=row.author,
        title=row.title,
        url=fed.uris.opportunity_page(row.public_id) if row.public_id else row.uri,
        live=posting_rules.is_live(row.state, row.expires_at, now),
        user_id=row.user_id,
        public_id=row.public_id,
        required=tuple(s.key for s in row.required),
    )


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


async def find_posting(fed: Federation, reference: str, *, fetch: bool) -> Posting | None:
    """The posting ``reference`` names (our posting's id, or any posting's URI): the copy
    stored here, else (with ``fetch``) the Note its own server serves."""
    reference = reference.strip()
    now = datetime.now(UTC)
    async with fed.db.connection() as conn:
        if _is_url(reference):
            row = await posting_store.by_uri(conn, reference)
        elif 0 < len(reference) <= 40:
            row = await posting_store.get(conn, reference)
        else:
            row = None
    if row is not None:
        return _from_row(fed, row, now)
    if not fetch or not _is_url(reference) or fed.uris.is_local(reference):
        return None
    if url_blocked(reference, await fed.blocked_domains()):
        return None
    try:
        fetched = await fed.client.fetch_document(reference)
    except FetchError:
        return None
    read = posting_wire.read(fetched.document)
    if read is None or read.uri != reference or not same_origin(read.author, read.uri):
        return None
    return Posting(
        uri=read.uri,
        author=read.author,
        title=read.title,
        url=read.uri,
        live=posting_rules.is_live(read.state, read.expires_at, now),
        user_id=None,
        public_id=None,
        required=tuple(s.key for s in read.skills if s.required),
    )


async def _card(fed: Federation, uri: str) -> actors.Card | None:
    try:
        return await actors.card(fed, uri)
    except actors.ActorUnavailable:
        return None


def _signal(row: ReferralRow) -> trust.Signal:
    """The accepted referral in the trust graph: one edge from the referrer to the
    candidate (the skills come from the posting when scores are computed)."""
    return trust.Signal(row.referrer, row.candidate, REFERRAL, row.opportunity)


async def _blocked(fed: Federation, conn: Connection, owner: User, *people: str) -> bool:
    for actor in people:
        if (await policies.relation(fed, conn, owner, actor)).blocked:
            return True
    return False


# ----------------------------------------------------------------------------- referring


@dataclass(frozen=True)
class Outcome:
    referral: ReferralRow
    created: bool


async def refer(
    fed: Federation, user: User, opportunity: str, candidate: str, comment: str = ""
) -> Outcome:
    """``user`` refers ``candidate`` (user@host or an actor URL) to a posting (our
    posting's id, or a posting's URI). Raises ReferralError."""
    comment = _comment(comment)
    posting = await find_posting(fed, opportunity, fetch=True)
    if posting is None:
        raise ReferralError("no such opportunity, here or on its server", 404)
    if not posting.live:
        raise ReferralError("the opportunity is closed or expired", 409)
    try:
        subject = await actors.resolve(fed, candidate)
    except actors.ActorUnavailable as exc:
        raise ReferralError(str(exc)) from None
    uris = fed.uris
    me = uris.actor(user.username)
    if subject == me:
        raise ReferralError("you cannot refer yourself")
    if subject == posting.author:
        raise ReferralError("the poster cannot be referred to their own opportunity")
    subject_name = uris.username_of(subject)
    card = None
    if subject_name is None:
        if uris.is_local(subject):
            raise ReferralError("that is not an account on this server")
        try:
            card = await actors.card(fed, subject)
        except actors.ActorUnavailable as exc:
            raise ReferralError(str(exc)) from None
    now = datetime.now(UTC)
    public_id = new_id()
    async with fed.db.transaction() as conn:
        existing = await store.pending_between(
            conn, referrer=me, candidate=subject, opportunity=posting.uri
        )
        if existing is not None:
            return Outcome(existing, False)
        owner = None
        if subject_name is not None:
            owner = await users.get_by_username(conn, subject_name)
            if owner is None or owner.deleted_at is not None:
                raise ReferralError(f"there is no account {subject_name}@{uris.host}")
            if await _blocked(fed, conn, owner, me):
                raise ReferralError(f"{subject_name} does not take referrals from you", 403)
        if posting.user_id is not None:
            poster = await users.get_by_id(conn, posting.user_id)
            if poster is not None and await _blocked(fed, conn, poster, me):
                raise ReferralError("the poster does not take referrals from you", 403)
        invite = await proofs.sign(
            fed,
            conn,
            user,
            wire.invite(
                base_url=uris.base_url,
                id=uris.activity(user.username, public_id),
                referrer=me,
                posting=posting.uri,
                candidate=subject,
                comment_html=markup.paragraph(markup.text(comment)) if comment else "",
                published=now,
            ),
        )
        row = await store.add(
            conn,
            NewReferral(
                public_id=public_id,
                uri=invite["id"],
                opportunity=posting.uri,
                poster=posting.author,
                title=posting.title,
                referrer=me,
                referrer_user_id=user.id,
                candidate=subject,
                candidate_user_id=owner.id if owner is not None else None,
                poster_user_id=None,
                comment=comment,
                state=PENDING,
                document=encode(invite),
                created_at=now,
                decided_at=None,
            ),
        )
        assert row is not None
        if owner is not None:
            await notifications.add(
                conn, user_id=owner.id, kind="referral", actor=me, subject=public_id, now=now
            )
        elif card is not None and card.inbox:
            await queue(conn, invite, user_id=user.id, inboxes=[card.inbox], now=now)
    return Outcome(row, True)


async def _introduce(
    fed: Federation, conn: Connection, row: ReferralRow, poster_user_id: int, now: datetime
) -> bool:
    """Show an accepted referral to our poster, unless they blocked the referrer or the
    candidate (then it silently never reaches them)."""
    poster = await users.get_by_id(conn, poster_user_id)
    if poster is None or poster.deleted_at is not None:
        return False
    if await _blocked(fed, conn, poster, row.referrer, row.candidate):
        return False
    if not await store.introduce(
        conn, row.id, poster_user_id=poster.id, decided_at=row.decided_at or now
    ):
        return False
    await notifications.add(
        conn,
        user_id=poster.id,
        kind="referral_introduced",
        actor=row.referrer,
        subject=row.public_id,
        now=now,
    )
    return True


async def decide(fed: Federation, user: User, public_id: str, *, accept: bool) -> ReferralRow:
    """The candidate accepts or declines a referral made to them. Raises ReferralError."""
    async with fed.db.connection() as conn:
        found = await store.get(conn, public_id)
    if found is None or found.candidate_user_id != user.id:
        raise ReferralError("no such referral", 404)
    wanted = ACCEPTED if accept else DECLINED
    if found.state == wanted:
        return found
    if found.state != PENDING:
        raise ReferralError(f"this referral is already {found.state}", 409)
    posting = await find_posting(fed, found.opportunity, fetch=False) if accept else None
    if posting is not None and not posting.live:
        raise ReferralError("the opportunity is closed or expired", 409)
    # The people to tell, looked up now: the transaction below must not wait on the network.
    uris = fed.uris
    referrer = None if found.referrer_user_id is not None else await _card(fed, found.referrer)
    poster = await _card(fed, found.poster) if accept and not uris.is_local(found.poster) else None
    now = datetime.now(UTC)
    me = uris.actor(user.username)
    async with fed.db.transaction() as conn:
        row = await store.get(conn, public_id)
        if row is None or row.candidate_user_id != user.id:
            raise ReferralError("no such referral", 404)
        if not await store.set_state(conn, row.id, expected=PENDING, state=wanted, now=now):
            raise ReferralError("this referral was decided meanwhile", 409)
        if row.referrer_user_id is not None:
            await notifications.add(
                conn,
                user_id=row.referrer_user_id,
                kind=f"referral_{wanted}",
                actor=me,
                subject=row.public_id,
                now=now,
            )
        if accept and posting is not None and posting.user_id is not None:
            await _introduce(fed, conn, row, posting.user_id, now)
        inboxes = {referrer.inbox} if referrer is not None and referrer.inbox else set()
        if accept and poster is not None and poster.inbox:
            inboxes.add(poster.inbox)
        if inboxes and row.document is not None:
            activity_id = uris.activity(user.username, new_id())
            if accept:
                answer = wire.acceptance(
                    base_url=uris.base_url,
                    id=activity_id,
                    candidate=me,
                    invite=json.loads(row.document),
                    to=[row.poster, row.referrer],
                )
            else:
                answer = vocabulary.decision(
                    base_url=uris.base_url,
                    kind="Reject",
                    id=activity_id,
                    actor=me,
                    offer=row.uri,
                    author=row.referrer,
                    result=None,
                )
            signed = await proofs.sign(fed, conn, user, answer)
            await queue(conn, signed, user_id=user.id, inboxes=sorted(inboxes), now=now)
        updated = await store.get(conn, public_id)
    assert updated is not None
    if accept:
        trust.note(fed, [_signal(updated)])
    return updated


async def listing(
    fed: Federation, user: User, box: str = "received", state: str | None = None
) -> list[ReferralRow]:
    """``received``: referrals of ``user``; ``sent``: those they made; ``posted``: the
    accepted referrals to their postings (pending and declined ones never show there)."""
    async with fed.db.connection() as conn:
        if box == "sent":
            return await store.sent(conn, user.id, state=state)
        if box == "posted":
            if state not in (None, ACCEPTED):
                return []
            return await store.posted(conn, user.id)
        return await store.received(conn, user.id, state=state)


def as_json(row: ReferralRow) -> dict[str, Any]:
    """A referral as the JSON API shows it to the candidate, the referrer or the poster."""
    return {
        "id": row.public_id,
        "uri": row.uri,
        "opportunity": {"uri": row.opportunity, "title": row.title, "author": row.poster},
        "referrer": row.referrer,
        "candidate": row.candidate,
        "comment": row.comment,
        "state": row.state,
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


# ----------------------------------------------------------------------------- interest


@dataclass(frozen=True)
class Interest:
    note: str  # the direct Note's id
    to: str  # the poster


async def interest(
    fed: Federation,
    user: User,
    opportunity: str,
    comment: str = "",
    *,
    include_profile: bool = False,
) -> Interest:
    """``user`` tells a posting's poster they are interested: a direct Note to the poster
    only, in reply to the posting, with the comment and (if asked) a link to the user's
    profile. Raises ReferralError."""
    comment = _comment(comment)
    posting = await find_posting(fed, opportunity, fetch=True)
    if posting is None:
        raise ReferralError("no such opportunity, here or on its server", 404)
    if not posting.live:
        raise ReferralError("the opportunity is closed or expired", 409)
    uris = fed.uris
    me = uris.actor(user.username)
    if posting.author == me:
        raise ReferralError("that is your own opportunity")
    try:
        poster = await actors.card(fed, posting.author)
    except actors.ActorUnavailable as exc:
        raise ReferralError(str(exc)) from None
    parts = [
        markup.text("I am interested in "),
        markup.link(posting.url, posting.title),
        markup.text("."),
    ]
    for line in comment.splitlines():
        parts += ["<br>", markup.text(line)]
    if include_profile:
        profile = uris.profile(user.username)
        parts += ["<br>", markup.text("My profile: "), markup.link(profile, profile)]
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        note = await post_note(
            fed,
            conn,
            user,
            content=markup.paragraph(markup.mention_link(poster.url, poster.username), " ", *parts),
            to=[poster.uri],
            cc=[],
            tags=[markup.mention_tag(poster.uri, poster.acct)],
            inboxes=[poster.inbox] if poster.inbox else [],
            kind="reply",
            now=now,
            in_reply_to=posting.uri,
        )
        if posting.user_id is not None and posting.public_id is not None:
            owner = await users.get_by_id(conn, posting.user_id)
            if owner is not None and owner.deleted_at is None:
                await _interested(fed, conn, owner, me, posting.public_id, now)
    return Interest(note=str(note["id"]), to=poster.uri)


async def _interested(
    fed: Federation, conn: Connection, owner: User, actor: str, public_id: str, now: datetime
) -> bool:
    if await _blocked(fed, conn, owner, actor):
        return False
    await notifications.add(
        conn, user_id=owner.id, kind="interest", actor=actor, subject=public_id, now=now
    )
    return True


# ----------------------------------------------------------------------------- inbox


async def on_invite(fed: Federation, activity: dict[str, Any]) -> str:
    """A signed Invite: someone refers one of our people to a posting."""
    try:
        invited = wire.read_invite(activity)
    except wire.VocabularyError as exc:
        return f"ignored: {exc}"
    if invited.referrer != activities.ref(activity.get("actor")):
        return "ignored: the Invite's actor is not its sender"
    username = fed.uris.username_of(invited.candidate)
    if username is None:
        return "ignored: the referral is not for one of our people"
    if invited.candidate not in activities.audience(activity):
        return "ignored: the Invite is not addressed to its candidate"
    if invited.candidate == invited.referrer:
        return "ignored: nobody refers themselves"
    try:
        await proofs.verify(fed, activity, author=invited.referrer)
    except proofs.ProofError as exc:
        return f"refused: {exc}"
    posting = await find_posting(fed, invited.posting, fetch=True)
    if posting is None:
        return "ignored: no such opportunity, here or on its server"
    if not posting.live:
        return "ignored: the opportunity is closed or expired"
    if posting.author == invited.candidate:
        return "ignored: the poster cannot be referred to their own opportunity"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        owner = await users.get_by_username(conn, username)
        if owner is None or owner.deleted_at is not None:
            return "ignored: no such person"
        if await _blocked(fed, conn, owner, invited.referrer):
            return "ignored: the candidate blocked the referrer"  # silently: no answer
        if await store.pending_between(
            conn, referrer=invited.referrer, candidate=invited.candidate, opportunity=posting.uri
        ):
            return "ignored: already pending"
        row = await store.add(
            conn,
            NewReferral(
                public_id=new_id(),
                uri=invited.id,
                opportunity=posting.uri,
                poster=posting.author,
                title=posting.title,
                referrer=invited.referrer,
                referrer_user_id=None,
                candidate=invited.candidate,
                candidate_user_id=owner.id,
                poster_user_id=None,
                comment=markup.plain_text(invited.comment_html)[:MAX_COMMENT],
                state=PENDING,
                document=encode(activity),
                created_at=now,
                decided_at=None,
            ),
        )
        if row is None:
            return "ignored: already known"
        await notifications.add(
            conn,
            user_id=owner.id,
            kind="referral",
            actor=invited.referrer,
            subject=row.public_id,
            now=now,
        )
    return "referral stored"


async def on_decision(fed: Federation, activity: dict[str, Any], *, accepted: bool) -> str | None:
    """An Accept or Reject of a referral: of one our people made (its state changes), or,
    for an Accept embedding the Invite, of one to our people's posting (the poster sees
    it). None when the object is not a referral (then it is about something else)."""
    obj = activity.get("object")
    invite_uri = activities.ref(obj)
    if invite_uri is None:
        return None
    async with fed.db.connection() as conn:
        row = await store.by_uri(conn, invite_uri)
    embedded = isinstance(obj, dict) and activities.type_of(obj) == "Invite"
    if row is None and not embedded:
        return None
    actor = activities.ref(activity.get("actor"))
    outcomes = []
    if row is not None and row.referrer_user_id is not None:
        outcomes.append(await _answered(fed, activity, row, actor, accepted=accepted))
    if accepted and isinstance(obj, dict) and embedded:
        outcomes.append(await _accepted_for_poster(fed, activity, obj, actor))
    return "; ".join(outcomes) or "ignored: not a referral of ours"


async def _answered(
    fed: Federation,
    activity: dict[str, Any],
    row: ReferralRow,
    actor: str | None,
    *,
    accepted: bool,
) -> str:
    """The candidate's answer to a referral one of our people made."""
    if actor != row.candidate:
        return "ignored: only the referral's candidate decides"
    if "proof" in activity:
        try:
            await proofs.verify(fed, activity, author=actor)
        except proofs.ProofError as exc:
            return f"refused: {exc}"
    wanted = ACCEPTED if accepted else DECLINED
    if row.state != PENDING:
        return f"ignored: the referral is {row.state}"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        if not await store.set_state(conn, row.id, expected=PENDING, state=wanted, now=now):
            return "ignored: decided meanwhile"
        assert row.referrer_user_id is not None
        await notifications.add(
            conn,
            user_id=row.referrer_user_id,
            kind=f"referral_{wanted}",
            actor=actor,
            subject=row.public_id,
            now=now,
        )
    if accepted:
        trust.note(fed, [_signal(row)])
    return f"referral {wanted}"


async def _accepted_for_poster(
    fed: Federation, activity: dict[str, Any], invite: dict[str, Any], actor: str | None
) -> str:
    """An accepted referral to one of our postings, as the candidate's server sends it:
    both proofs must hold (the candidate's on the Accept, the referrer's on the Invite)."""
    try:
        invited = wire.read_invite(invite)
    except wire.VocabularyError as exc:
        return f"ignored: {exc}"
    posting = await find_posting(fed, invited.posting, fetch=False)
    if posting is None or posting.user_id is None:
        return "ignored: the referral is not to one of our postings"
    if actor != invited.candidate:
        return "ignored: only the referral's candidate accepts it"
    if invited.candidate in (invited.referrer, posting.author):
        return "ignored: the candidate is the referrer or the poster"
    if not same_origin(invited.id, invited.referrer):
        return "ignored: the Invite's id is not on its referrer's origin"
    if "proof" not in activity:
        return "refused: the candidate's acceptance carries no proof"
    if url_blocked(invited.referrer, await fed.blocked_domains()):
        return "ignored: the referrer's domain is blocked"
    try:
        await proofs.verify(fed, activity, author=invited.candidate)
    except proofs.ProofError as exc:
        return f"refused: the candidate's proof: {exc}"
    try:
        await proofs.verify(fed, invite, author=invited.referrer)
    except proofs.ProofError as exc:
        return f"refused: the referrer's proof: {exc}"
    if not posting.live:
        return "ignored: the opportunity is closed or expired"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        poster = await users.get_by_id(conn, posting.user_id)
        if poster is None or poster.deleted_at is not None:
            return "ignored: no such poster"
        if await _blocked(fed, conn, poster, invited.referrer, invited.candidate):
            return "ignored: the poster blocked the referrer or the candidate"
        row = await store.by_uri(conn, invited.id)
        was_accepted = row is not None and row.state == ACCEPTED
        if row is None:
            row = await store.add(
                conn,
                NewReferral(
                    public_id=new_id(),
                    uri=invited.id,
                    opportunity=posting.uri,
                    poster=posting.author,
                    title=posting.title,
                    referrer=invited.referrer,
                    referrer_user_id=None,
                    candidate=invited.candidate,
                    candidate_user_id=None,
                    poster_user_id=None,
                    comment=markup.plain_text(invited.comment_html)[:MAX_COMMENT],
                    state=ACCEPTED,
                    document=encode(invite),
                    created_at=now,
                    decided_at=now,
                ),
            )
            if row is None:
                return "ignored: already known"
        elif (row.referrer, row.candidate, row.opportunity) != (
            invited.referrer,
            invited.candidate,
            posting.uri,
        ):
            return "ignored: the Invite does not match the referral we know by its id"
        if not await _introduce(fed, conn, row, posting.user_id, now):
            return "ignored: already shown to the poster, or declined"
    if not was_accepted:
        trust.note(fed, [_signal(row)])
    return "referral shown to the poster"


async def on_interest(fed: Federation, obj: dict[str, Any], actor: str) -> str | None:
    """A direct (not public) reply to one of our postings, addressed to its poster: someone
    is interested. The poster is notified; the Note itself is stored as any other. None
    when ``obj`` is not such a reply."""
    parent = activities.ref(obj.get("inReplyTo"))
    if parent is None or activities.is_public(obj) or not fed.uris.is_local(parent):
        return None
    async with fed.db.transaction() as conn:
        row = await posting_store.by_uri(conn, parent)
        if row is None or row.user_id is None or row.public_id is None:
            return None
        if row.author not in activities.audience(obj) or actor == row.author:
            return None
        owner = await users.get_by_id(conn, row.user_id)
        if owner is None or owner.deleted_at is not None:
            return None
        if not await _interested(fed, conn, owner, actor, row.public_id, datetime.now(UTC)):
            return "ignored: the poster blocked the sender"
    return "interest in a posting"
