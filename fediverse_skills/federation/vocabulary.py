"""Our vocabulary for skills: the namespace, its context, and the objects we exchange.

One constant namespace IRI names every term (``fsk:Skill``, ``fsk:Endorsement``, ...).
The context document defining the short names is bundled (``contexts/``) and every
instance serves it at ``/ns/skills/v1``; documents name their own server's copy, and
readers always use the bundled one (see ``jsonld.is_skills_context``).

* A **skill** on a profile: ``Skill{id, name, skillKey, hashtag, about: owner}``, in the
  paged collection the actor links as ``skills``. The skill with key *k* is at
  ``{skills}/{percent-encoded k}``.
* A **suggestion**: ``Offer{actor: suggester, object: Skill draft about the owner,
  target: owner}``, addressed to the owner only, with the suggester's object proof.
* A **decision**: ``Accept{object: offer id, result: skill id}`` or ``Reject``.
* An **endorsement**: ``Endorsement{attributedTo: endorser, about: owner, target: skill
  id, skillKey, content}`` with the endorser's proof, delivered in a ``Create``; the
  proof covers ``about``, ``target`` and ``skillKey``, so it cannot be moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import jsonld, shapes
from .activities import PUBLIC, ref, timestamp, type_of
from .media import AS_CONTEXT

NAMESPACE = "https://w3id.org/fediverse-skills/ns#"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
# FEP-844e: what we implement, advertised on actors and in NodeInfo.
IMPLEMENTS = [{"name": "fediverse-skills vocabulary", "href": NAMESPACE}]

MAX_COMMENT_HTML = 10_000


def context_url(base_url: str) -> str:
    """Where the instance at ``base_url`` serves our context document."""
    return base_url + jsonld.SKILLS_CONTEXT_PATH


def document_context(base_url: str) -> list[str]:
    """The ``@context`` of the signed objects an instance creates."""
    return [AS_CONTEXT, DATA_INTEGRITY_V1, context_url(base_url)]


def skill_uri(skills_collection: str, key: str) -> str:
    return f"{skills_collection}/{quote(key, safe='')}"


# ----------------------------------------------------------------------------- building


def skill_draft(*, name: str, key: str, about: str, taxonomy: str | None) -> dict[str, Any]:
    draft: dict[str, Any] = {"type": "Skill", "name": name, "skillKey": key, "about": about}
    if taxonomy:
        draft["taxonomy"] = taxonomy
    return draft


def offer(
    *,
    base_url: str,
    id: str,
    actor: str,
    owner: str,
    draft: dict[str, Any],
    comment_html: str,
    published: datetime,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": document_context(base_url),
        "id": id,
        "type": "Offer",
        "actor": actor,
        "object": draft,
        "target": owner,
        "to": [owner],
        "published": timestamp(published),
    }
    if comment_html:
        doc["content"] = comment_html
    return doc


def decision(
    *, base_url: str, kind: str, id: str, actor: str, offer: str, author: str, result: str | None
) -> dict[str, Any]:
    """An ``Accept`` (with the skill it produced as ``result``) or a ``Reject``."""
    doc: dict[str, Any] = {
        "@context": document_context(base_url),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": offer,
        "to": [author],
    }
    if result is not None:
        doc["result"] = result
    return doc


def endorsement(
    *,
    base_url: str,
    id: str,
    endorser: str,
    owner: str,
    skill: str,
    key: str,
    name: str,
    comment_html: str,
    published: datetime,
    followers: str,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": document_context(base_url),
        "id": id,
        "type": "Endorsement",
        "attributedTo": endorser,
        "about": owner,
        "target": skill,
        "skillKey": key,
        "name": name,
        "published": timestamp(published),
        "to": [owner],
        "cc": [PUBLIC, followers],
    }
    if comment_html:
        doc["content"] = comment_html
    return doc


def attested_endorsement(
    *,
    id: str,
    endorser: str,
    owner: str,
    skill: str,
    key: str,
    comment_html: str,
    published: datetime,
) -> dict[str, Any]:
    """An endorsement made with a plain app (a like, or a reply to a skill's note), as a
    profile shows it: no proof, ``attestation: "server"`` (only the sender's server's
    HTTP signature vouched for it), and ``id`` the Like or the reply."""
    doc: dict[str, Any] = {
        "id": id,
        "type": "Endorsement",
        "attributedTo": endorser,
        "about": owner,
        "target": skill,
        "skillKey": key,
        "published": timestamp(published),
        "attestation": "server",
        "url": id,
    }
    if comment_html:
        doc["content"] = comment_html
    return doc


def wrap(
    *, base_url: str, kind: str, id: str, actor: str, obj: Any, to: list[str], cc: list[str]
) -> dict[str, Any]:
    """An activity (``Create``, ``Delete``, ``Undo``, ``Add``, ``Remove``) around ``obj``."""
    return {
        "@context": document_context(base_url),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": obj,
        "to": to,
        "cc": cc,
    }


# ----------------------------------------------------------------------------- reading


class VocabularyError(ValueError):
    """A document does not say what our vocabulary needs; the message says why."""


_KNOWN = frozenset({AS_CONTEXT, DATA_INTEGRITY_V1})


def _contexts_known(context: Any) -> bool:
    items = context if isinstance(context, list) else [context]
    return all(isinstance(c, str) and (c in _KNOWN or jsonld.is_skills_context(c)) for c in items)


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with our terms under their short names.

    Documents that use only the contexts we know take a fast path: they already use our
    names. Others (their own prefixes, inline term definitions) are compacted with pyld
    and the bundled contexts; an unknown context URL is refused, never fetched. A document
    whose JSON-LD reading differs from its plain one (``@graph``, ``@included``,
    ``@reverse``, keyword aliases: ``shapes.reshaping``) is refused. The proof must be
    checked on the document as received, not on this result.
    """
    reshaped = shapes.reshaping(doc)
    if reshaped is not None:
        raise VocabularyError(f"the document's JSON-LD is reshaped: {reshaped}")
    context = doc.get("@context")
    if context is None or _contexts_known(context):
        return doc
    try:
        return jsonld.compact(doc, [AS_CONTEXT, DATA_INTEGRITY_V1, jsonld.skills_context()])
    except Exception as exc:  # pyld fails in many ways on hostile input
        raise VocabularyError(f"cannot read the document's JSON-LD: {type(exc).__name__}") from None


def normalised_or_none(doc: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return normalised(doc)
    except VocabularyError:
        return None


def _text(doc: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = doc.get(name)
    if isinstance(value, str):
        return value
    if value is None and not required:
        return ""
    raise VocabularyError(f"{name} must be a string")


def _id(value: Any, what: str) -> str:
    found = ref(value)
    if found is None or not found.startswith(("https://", "http://")):
        raise VocabularyError(f"{what} must be an http(s) URL")
    return found


@dataclass(frozen=True)
class OfferedSkill:
    """What a received Offer suggests."""

    id: str
    actor: str
    owner: str
    name: str
    taxonomy: str | None
    comment_html: str


def read_offer(activity: dict[str, Any]) -> OfferedSkill:
    doc = normalised(activity)
    draft = doc.get("object")
    if type_of(draft) != "Skill" or not isinstance(draft, dict):
        raise VocabularyError("the Offer's object is not a Skill")
    owner = _id(doc.get("target"), "target")
    if _id(draft.get("about"), "the skill's about") != owner:
        raise VocabularyError("the skill is about someone other than the Offer's target")
    taxonomy = draft.get("taxonomy")
    return OfferedSkill(
        id=_id(doc.get("id"), "id"),
        actor=_id(doc.get("actor"), "actor"),
        owner=owner,
        name=_text(draft, "name"),
        taxonomy=ref(taxonomy) if taxonomy is not None else None,
        comment_html=_text(doc, "content", required=False)[:MAX_COMMENT_HTML],
    )


@dataclass(frozen=True)
class EndorsementClaim:
    """What an Endorsement object says (not yet whether its proof holds)."""

    id: str
    endorser: str
    owner: str
    skill: str  # the skill's URI
    key: str
    name: str
    comment_html: str
    published: str


def read_endorsement(obj: dict[str, Any]) -> EndorsementClaim:
    doc = normalised(obj)
    if type_of(doc) != "Endorsement":
        raise VocabularyError("not an Endorsement")
    published = doc.get("published")
    return EndorsementClaim(
        id=_id(doc.get("id"), "id"),
        endorser=_id(doc.get("attributedTo"), "attributedTo"),
        owner=_id(doc.get("about"), "about"),
        skill=_id(doc.get("target"), "target"),
        key=_text(doc, "skillKey"),
        name=_text(doc, "name", required=False),
        comment_html=_text(doc, "content", required=False)[:MAX_COMMENT_HTML],
        published=published if isinstance(published, str) else "",
    )
