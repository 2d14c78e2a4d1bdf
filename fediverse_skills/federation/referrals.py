"""Referrals on the wire: the referrer's ``Invite`` and the candidate's ``Accept`` that
carries it to the poster.

* A **referral**: ``Invite{id, actor: referrer, object: posting id, target: candidate,
  content: comment (HTML), to: [candidate]}`` with the referrer's FEP-8b32 proof. It goes to
  the candidate's inbox only: nobody else learns of it unless the candidate accepts.
* An **acceptance**: ``Accept{actor: candidate, object: <the Invite as received, its proof
  included>, to: [poster, referrer]}`` with the candidate's proof. The poster's server checks
  both proofs without fetching anything but the two actors' keys.
* A **refusal**: ``Reject{actor: candidate, object: invite id, to: [referrer]}``, signed
  (``vocabulary.decision``); the poster never hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .activities import ref, timestamp, type_of
from .vocabulary import MAX_COMMENT_HTML, VocabularyError, document_context, normalised

__all__ = ["Invited", "VocabularyError", "acceptance", "invite", "read_invite"]


def invite(
    *,
    base_url: str,
    id: str,
    referrer: str,
    posting: str,
    candidate: str,
    comment_html: str,
    published: datetime,
) -> dict[str, Any]:
    """The referrer's Invite (to be signed by the referrer)."""
    doc: dict[str, Any] = {
        "@context": document_context(base_url),
        "id": id,
        "type": "Invite",
        "actor": referrer,
        "object": posting,
        "target": candidate,
        "to": [candidate],
        "published": timestamp(published),
    }
    if comment_html:
        doc["content"] = comment_html
    return doc


def acceptance(
    *, base_url: str, id: str, candidate: str, invite: dict[str, Any], to: list[str]
) -> dict[str, Any]:
    """The candidate's Accept, embedding the Invite exactly as it was received (to be signed
    by the candidate)."""
    return {
        "@context": document_context(base_url),
        "id": id,
        "type": "Accept",
        "actor": candidate,
        "object": invite,
        "to": to,
    }


@dataclass(frozen=True)
class Invited:
    """What an Invite says (not yet whether its proof holds)."""

    id: str
    referrer: str
    posting: str
    candidate: str
    comment_html: str


def _url(value: Any, what: str) -> str:
    found = ref(value)
    if found is None or not found.startswith(("https://", "http://")):
        raise VocabularyError(f"{what} must be an http(s) URL")
    return found


def read_invite(doc: dict[str, Any]) -> Invited:
    """The referral an Invite makes. Raises VocabularyError."""
    found = normalised(doc)
    if type_of(found) != "Invite":
        raise VocabularyError("not an Invite")
    content = found.get("content")
    if content is not None and not isinstance(content, str):
        raise VocabularyError("content must be a string")
    return Invited(
        id=_url(found.get("id"), "id"),
        referrer=_url(found.get("actor"), "actor"),
        posting=_url(found.get("object"), "object"),
        candidate=_url(found.get("target"), "target"),
        comment_html=(content or "")[:MAX_COMMENT_HTML],
    )
