"""Editing one's own profile, and telling followers' servers about it (Update of the actor)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain import skills as skill_rules
from ..domain.policies import Audience
from ..domain.profiles import InvalidProfile, clean_display_name, clean_summary
from ..federation import activities, markup, vocabulary
from ..federation.actors import origin, person, same_origin
from ..federation.client import FetchError
from ..store import endorsements as endorsement_store
from ..store import follows, users
from ..store import skills as skill_store
from ..store import trust as trust_store
from ..store.db import Connection
from ..store.users import User
from . import actors, proofs, trust
from .context import Federation
from .documents import MAX_FEATURED, local_actor
from .outbox import new_id, queue

__all__ = [
    "InvalidProfile",
    "ProfileUnavailable",
    "assemble",
    "page",
    "queue_actor_update",
    "update_profile",
]


async def update_profile(
    fed: Federation,
    user: User,
    *,
    display_name: str | None = None,
    summary: str | None = None,
    manually_approves_followers: bool | None = None,
    suggest_policy: str | None = None,
    endorse_policy: str | None = None,
    auto_accept_suggestions: bool | None = None,
    open_to_work: bool | None = None,
    show_open_to_work: bool | None = None,
) -> User:
    """Change the profile and queue an Update of the actor to every follower's server,
    because Mastodon and others cache actors. Raises InvalidProfile."""
    name = clean_display_name(display_name) if display_name is not None else None
    text = clean_summary(summary) if summary is not None else None
    for policy in (suggest_policy, endorse_policy):
        if policy is not None and policy not in {a.value for a in Audience}:
            raise InvalidProfile("a policy is one of " + ", ".join(a.value for a in Audience))
    now = datetime.now(UTC)

    async def work(conn: Connection) -> User:  # database only: it may run again
        updated = await users.update_profile(
            conn,
            user.id,
            display_name=name,
            summary=text,
            manually_approves_followers=manually_approves_followers,
            suggest_policy=suggest_policy,
            endorse_policy=endorse_policy,
            auto_accept_suggestions=auto_accept_suggestions,
            open_to_work=open_to_work,
            show_open_to_work=show_open_to_work,
        )
        assert updated is not None
        await queue_actor_update(fed, conn, updated, now)
        return updated

    return await fed.db.run_in_transaction(work)


async def queue_actor_update(fed: Federation, conn: Connection, user: User, now: datetime) -> None:
    """Queue an Update of the user's actor to every follower's server, in the caller's
    transaction (Mastodon and others cache actors: names, fields, featured tags)."""
    me = fed.uris.actor(user.username)
    top = await skill_store.of_user(conn, user.id, limit=MAX_FEATURED)
    document = person(fed.uris, local_actor(user, top))
    update = {
        "@context": document["@context"],
        "id": fed.uris.activity(user.username, new_id()),
        "type": "Update",
        "actor": me,
        "to": [activities.PUBLIC],
        "cc": [fed.uris.followers(user.username)],
        "object": {k: v for k, v in document.items() if k != "@context"},
    }
    inboxes = await follows.follower_inboxes(conn, me)
    await queue(conn, update, user_id=user.id, inboxes=inboxes, now=now)


# ----------------------------------------------------------------------------- assembly

PROFILE_PAGE_BYTES = 16 * 1_048_576  # a skills page embeds every endorsement
MAX_PROFILE_PAGES = 20


class ProfileUnavailable(Exception):
    """The profile cannot be shown; the message says why."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _counts(endorsements: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"proof": 0, "server": 0, "failed": 0}
    for e in endorsements:
        counts[e["verified"]] += 1
    counts["total"] = counts["proof"] + counts["server"]
    return counts


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


async def assemble(fed: Federation, handle: str, viewer: User | None = None) -> str:
    """The profile of a local or remote person (``@user@host`` or an actor URL), as JSON
    text: every skill with its provenance and endorsements, each marked ``verified``:
    ``proof`` (its author's object proof holds), ``server`` (only a server vouches for it)
    or ``failed``. Each skill has a ``trust`` score as ``viewer`` sees it (or, without a
    viewer, as this instance's members do), and skills come strongest first. A local
    profile is built once per change (``profile_version``); a remote one is fetched and
    verified each time. Raises ProfileUnavailable."""
    try:
        uri = await actors.resolve(fed, handle)
    except actors.ActorUnavailable as exc:
        raise ProfileUnavailable(str(exc)) from None
    username = fed.uris.username_of(uri)
    if username is not None:
        return await _local(fed, username, viewer)
    if fed.uris.is_local(uri):
        raise ProfileUnavailable("that is not an account on this server")
    doc = await _remote(fed, uri)
    await _judge_remote(fed, doc, viewer)
    return _dumps(doc)


@dataclass(frozen=True)
class _Built:
    """A local profile, built once per change: JSON text in pieces, so that each request
    only splices in its viewer's scores and order."""

    actor: str
    head: str  # '{"actor":...,"skills":['
    fragments: tuple[tuple[str, str], ...]  # (skill key, '{...}' without trust)
    counts: str
    signals: tuple[trust.Endorsement, ...]
    names: dict[str, str]
    reciprocal: frozenset[str]
    breadth: dict[str, int]
    summaries: dict[str, dict[str, Any]]  # per skill, what a web page shows
    version: int  # the user's profile_version it was built at

    @property
    def size(self) -> int:
        return len(self.head) + sum(len(f) for _, f in self.fragments) + 64 * len(self.signals)


async def _local(fed: Federation, username: str, viewer: User | None) -> str:
    built = await _built(fed, username)
    judged, view = await trust.judge(
        fed,
        viewer,
        built.actor,
        built.signals,
        built.reciprocal,
        built.names,
        built.breadth,
        cache_key=("local", built.actor, built.version),
    )
    return _splice(built, judged, view)


PAGE_ENDORSEMENTS = 5  # endorsements a web page lists per skill (the newest)


async def page(fed: Federation, username: str, viewer: User | None = None) -> dict[str, Any]:
    """What a profile's web page shows: each skill strongest first (as ``viewer``, or the
    instance, sees it) with its level, reason, provenance, counts and newest
    endorsements. Raises ProfileUnavailable."""
    built = await _built(fed, username)
    judged, view = await trust.judge(
        fed,
        viewer,
        built.actor,
        built.signals,
        built.reciprocal,
        built.names,
        built.breadth,
        cache_key=("local", built.actor, built.version),
    )
    shown = []
    for key, summary in built.summaries.items():
        shown.append({**summary, "trust": _trust_json(judged.get(key))})
    shown.sort(key=lambda s: -s["trust"]["score"])
    return {"skills": shown, "viewpoint": view}


async def _built(fed: Federation, username: str) -> _Built:
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
        if user is None:
            raise ProfileUnavailable(f"there is no account {username}@{fed.uris.host}")
        cache_key = ("profile", user.id)
        built = fed.cached_profile(cache_key, user.profile_version)
        if built is None:
            rows = await skill_store.of_user(conn, user.id)
            received = await endorsement_store.shown_of_user(conn, user.id)
            reciprocal = await trust_store.endorsed_by(conn, fed.uris.actor(username))
            breadth = await trust_store.breadth(conn, {e.endorser for e in received})
            built = _build_local(fed, user, rows, received, reciprocal, breadth)
            fed.remember_profile(cache_key, user.profile_version, built, built.size)
    assert isinstance(built, _Built)
    return built


def _handle(actor: str) -> str:
    return "@" + trust.short_handle(actor)


def _vouchers(suggested_by: str | None, listed: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for e in listed:
        kind = "signed" if e["verified"] == "proof" else "attested"
        if found.get(e["by"], ("", "", ""))[2] != "signed":
            found[e["by"]] = (e["by"], _handle(e["by"]), kind)
    if suggested_by and suggested_by not in found:
        found[suggested_by] = (suggested_by, _handle(suggested_by), "suggested")
    return list(found.values())


def _trust_json(judged: trust.Judged | None) -> dict[str, Any]:
    if judged is None:
        return {"score": 0, "level": 0, "label": "none", "endorsers": 0, "why": "no endorsements"}
    return {
        "score": judged.score,
        "level": judged.level,
        "label": judged.label,
        "endorsers": judged.endorsers,
        "why": judged.why,
    }


def _splice(built: _Built, judged: dict[str, trust.Judged], view: str) -> str:
    order = sorted(
        range(len(built.fragments)),
        key=lambda i: (
            -(judged[built.fragments[i][0]].score if built.fragments[i][0] in judged else 0)
        ),
    )
    parts = []
    for i in order:
        key, fragment = built.fragments[i]
        parts.append('{"trust":' + _dumps(_trust_json(judged.get(key))) + "," + fragment[1:])
    return (
        built.head
        + ",".join(parts)
        + '],"viewpoint":'
        + _dumps(view)
        + ',"counts":'
        + built.counts
        + "}"
    )


def _build_local(
    fed: Federation,
    user: User,
    rows: list[skill_store.SkillRow],
    received: list[endorsement_store.Shown],
    reciprocal: set[str],
    breadth: dict[str, int],
) -> _Built:
    username = user.username
    by_skill: dict[str, list[dict[str, Any]]] = {r.key: [] for r in rows}
    signals: list[trust.Endorsement] = []
    for e in received:
        if e.skill_key not in by_skill:
            continue
        by_skill[e.skill_key].append(
            {
                "id": e.uri,
                "by": e.endorser,
                "kind": e.kind,
                "comment": e.comment,
                "published": e.created_at.isoformat(),
                "verified": e.attestation,
                # A proof is its author's; a like or reply only its server's word.
                "signer": e.endorser if e.attestation == "proof" else origin(e.endorser),
            }
        )
        signals.append(
            trust.Endorsement(
                e.endorser, e.skill_key, trust.signal_of(e.kind, e.attestation), e.comment
            )
        )
    fragments = []
    everything: list[dict[str, Any]] = []
    summaries: dict[str, dict[str, Any]] = {}
    for r in rows:
        listed = by_skill[r.key]
        everything.extend(listed)
        summaries[r.key] = {
            "key": r.key,
            "name": r.name,
            "hashtag": r.hashtag,
            "suggested_by": r.suggested_by,
            "suggested_by_handle": _handle(r.suggested_by) if r.suggested_by else None,
            "counts": _counts(listed),
            "endorsements": [
                {**e, "handle": _handle(e["by"])} for e in listed[-PAGE_ENDORSEMENTS:][::-1]
            ],
            # everyone who vouches, for the skill-graph picture: (actor, handle, kind)
            "vouchers": _vouchers(r.suggested_by, listed),
        }
        if r.suggested_by:
            signals.append(trust.Endorsement(r.suggested_by, r.key, "suggestion"))
        fragments.append(
            (
                r.key,
                _dumps(
                    {
                        "id": vocabulary.skill_uri(fed.uris.skills(username), r.key),
                        "key": r.key,
                        "name": r.name,
                        "hashtag": r.hashtag,
                        "taxonomy": r.taxonomy,
                        "status": "accepted" if r.suggested_by else "declared",
                        "provenance": (
                            {
                                "suggested_by": r.suggested_by,
                                "suggested_at": _iso(r.suggested_at),
                                "verified": "proof" if r.suggestion else "server",
                            }
                            if r.suggested_by
                            else None
                        ),
                        "endorsements": listed,
                        "counts": _counts(listed),
                    }
                ),
            )
        )
    actor = fed.uris.actor(username)
    head = _dumps(
        {
            "actor": actor,
            "handle": f"{username}@{fed.uris.host}",
            "name": user.display_name or username,
            "local": True,
        }
    )
    return _Built(
        actor=actor,
        head=head[:-1] + ',"skills":[',
        fragments=tuple(fragments),
        counts=_dumps(_counts(everything)),
        signals=tuple(signals),
        names={r.key: r.name for r in rows},
        reciprocal=frozenset(reciprocal),
        breadth=breadth,
        summaries=summaries,
        version=user.profile_version,
    )


async def _judge_remote(fed: Federation, doc: dict[str, Any], viewer: User | None) -> None:
    """Add each verified signal's weight to a remote profile, and order its skills."""
    signals = []
    for skill in doc["skills"]:
        for e in skill["endorsements"]:
            if e.get("verified") == "proof" and e.get("by"):
                signals.append(trust.Endorsement(e["by"], skill["key"], "endorsement"))
            elif e.get("verified") == "server" and e.get("by"):
                kind = "like" if e.get("kind") == "like" else "attested"
                signals.append(trust.Endorsement(e["by"], skill["key"], kind))
        provenance = skill.get("provenance")
        if provenance and provenance.get("verified") == "proof" and provenance.get("suggested_by"):
            signals.append(
                trust.Endorsement(provenance["suggested_by"], skill["key"], "suggestion")
            )
    async with fed.db.connection() as conn:
        reciprocal = await trust_store.endorsed_by(conn, doc["actor"])
        breadth = await trust_store.breadth(conn, {e.endorser for e in signals})
    names = {s["key"]: s["name"] for s in doc["skills"]}
    judged, view = await trust.judge(fed, viewer, doc["actor"], signals, reciprocal, names, breadth)
    for skill in doc["skills"]:
        skill["trust"] = _trust_json(judged.get(skill["key"]))
    doc["skills"].sort(key=lambda s: -s["trust"]["score"])
    doc["viewpoint"] = view


async def _remote(fed: Federation, uri: str) -> dict[str, Any]:
    try:
        record = await actors.get(fed, uri)
    except actors.ActorUnavailable as exc:
        raise ProfileUnavailable(str(exc)) from None
    collection = json.loads(record.document).get("skills")
    if not isinstance(collection, str) or not same_origin(collection, uri):
        raise ProfileUnavailable("that account has no skills profile")
    items = await _fetch_items(fed, collection)
    host = origin(uri)
    skills_out: list[dict[str, Any]] = []
    checks: list[tuple[dict[str, Any], str]] = []  # (signed document, claimed author)
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (output entry, document)
    for item in items:
        entry = _remote_skill(item, uri, collection)
        if entry is None:
            continue
        skills_out.append(entry)
        suggestion = item.get("suggestion")
        if entry["provenance"] is not None and isinstance(suggestion, dict):
            if _offer_matches(suggestion, entry, uri):
                checks.append((suggestion, entry["provenance"]["suggested_by"]))
                pending.append((entry["provenance"], suggestion))
            else:
                entry["provenance"]["verified"] = "failed"
        raw = item.get("endorsements")
        for doc in raw if isinstance(raw, list) else []:
            if not isinstance(doc, dict):
                continue
            shown = _remote_endorsement(doc, entry, uri, host)
            entry["endorsements"].append(shown)
            if shown["verified"] == "proof":  # claimed: checked below
                checks.append((doc, shown["claimed_by"]))
                pending.append((shown, doc))
    results = await proofs.verify_many(fed, checks)
    for (shown, _doc), result in zip(pending, results, strict=True):
        if isinstance(result, proofs.ProofError):
            shown["verified"] = "failed"
            shown["error"] = str(result)
            if "by" in shown:
                shown["by"] = None  # never shown as its claimed author's
            else:
                shown["suggested_by"] = None
        else:
            shown["signer"] = result.methods[0]
    for entry in skills_out:
        entry["endorsements"] = _once_each(entry["endorsements"])
        entry["counts"] = _counts(entry["endorsements"])
    return {
        "actor": uri,
        "handle": f"{record.username}@{record.host}",
        "name": record.name,
        "local": False,
        "skills": skills_out,
        "counts": _counts([e for s in skills_out for e in s["endorsements"]]),
    }


async def _fetch_items(fed: Federation, collection: str) -> list[dict[str, Any]]:
    """The items of a remote skills collection, following pages on its origin."""
    try:
        top = await fed.client.fetch_document(collection)
        items: list[dict[str, Any]] = []
        page = top.document.get("first")
        seen: set[str] = set()
        while page is not None and len(seen) < MAX_PROFILE_PAGES:
            if isinstance(page, dict):
                doc = page
            else:
                if not isinstance(page, str) or page in seen or not same_origin(page, collection):
                    break
                seen.add(page)
                doc = (await fed.client.fetch_document(page, max_bytes=PROFILE_PAGE_BYTES)).document
            listed = doc.get("orderedItems", doc.get("items"))
            if isinstance(listed, list):
                items.extend(i for i in listed if isinstance(i, dict))
            page = doc.get("next")
    except FetchError as exc:
        raise ProfileUnavailable(f"cannot fetch the skills: {exc.reason}") from None
    return items


def _remote_skill(item: dict[str, Any], owner: str, collection: str) -> dict[str, Any] | None:
    """A skill entry from a remote collection item, or None if the item is not a skill of
    this person on their server."""
    # The embedded endorsements and suggestion are read (and judged) one by one later: a
    # bad one fails on its own without hiding the skill.
    nested: dict[str, Any] = {k: item[k] for k in ("endorsements", "suggestion") if k in item}
    read = vocabulary.normalised_or_none({k: v for k, v in item.items() if k not in nested})
    if read is None or read.get("type") != "Skill" or read.get("about") != owner:
        return None
    item = {**read, **nested}
    key, name, skill_id = item.get("skillKey"), item.get("name"), item.get("id")
    if not all(isinstance(v, str) for v in (key, name, skill_id)):
        return None
    if skill_id != vocabulary.skill_uri(collection, str(key)):
        return None
    suggested_by = item.get("suggestedBy")
    return {
        "id": skill_id,
        "key": key,
        "name": name,
        "hashtag": item.get("hashtag") if isinstance(item.get("hashtag"), str) else None,
        "taxonomy": item.get("taxonomy") if isinstance(item.get("taxonomy"), str) else None,
        "status": "accepted" if isinstance(suggested_by, str) else "declared",
        "provenance": (
            {
                "suggested_by": suggested_by,
                "suggested_at": item.get("suggestedAt"),
                "verified": "proof" if isinstance(item.get("suggestion"), dict) else "server",
                "signer": None if isinstance(item.get("suggestion"), dict) else origin(owner),
            }
            if isinstance(suggested_by, str)
            else None
        ),
        "endorsements": [],
    }


def _once_each(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One endorsement per person and skill, as on our own profiles: a verified one wins
    over a server's word for the same person; failed ones are kept, as failed."""
    proven = {e["by"] for e in shown if e["verified"] == "proof"}
    seen: set[str] = set()
    kept = []
    for e in shown:
        by = e.get("by")
        if e["verified"] != "failed" and by is not None:
            if by in seen or (e["verified"] == "server" and by in proven):
                continue
            seen.add(by)
        kept.append(e)
    return kept


def _offer_matches(offer: dict[str, Any], entry: dict[str, Any], owner: str) -> bool:
    try:
        offered = vocabulary.read_offer(offer)
    except vocabulary.VocabularyError:
        return False
    return (
        offered.actor == entry["provenance"]["suggested_by"]
        and offered.owner == owner
        and skill_rules.key(offered.name) == entry["key"]
    )


def _remote_endorsement(
    doc: dict[str, Any], skill: dict[str, Any], owner: str, host: str
) -> dict[str, Any]:
    """How an embedded endorsement is shown before its proof is checked: ``proof`` means
    "claims a proof" until ``verify_many`` decides."""
    try:
        claim = vocabulary.read_endorsement(doc)
    except vocabulary.VocabularyError as exc:
        return {"id": doc.get("id"), "by": None, "verified": "failed", "error": str(exc)}
    shown: dict[str, Any] = {
        "id": claim.id,
        "by": claim.endorser,
        "claimed_by": claim.endorser,
        "kind": "endorsement",
        "comment": markup.plain_text(claim.comment_html),
        "published": claim.published,
    }
    if claim.owner != owner or claim.skill != skill["id"] or claim.key != skill["key"]:
        shown.update(by=None, verified="failed", error="it endorses another person or skill")
    elif claim.endorser == owner:
        shown.update(by=None, verified="failed", error="nobody can endorse their own skills")
    elif "proof" in doc:
        shown["verified"] = "proof"
    else:
        # Only the profile's server vouches for it (a Mastodon like, for example).
        shown.update(verified="server", signer=host, kind="reply" if claim.comment_html else "like")
    return shown
