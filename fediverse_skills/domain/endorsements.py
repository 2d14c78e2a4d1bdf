"""Endorsements: one per person and skill, never of oneself, withdrawable by their author."""

from __future__ import annotations

from dataclasses import dataclass

MAX_COMMENT = 1000


class InvalidEndorsement(ValueError):
    """The endorsement cannot be made or changed; the message says why."""


@dataclass(frozen=True)
class EndorsementKey:
    endorser: str  # actor URI
    subject: str  # actor URI of the skill's owner
    skill: str  # the skill's key (see skills.key)


def check_new(key: EndorsementKey, existing: set[EndorsementKey], comment: str) -> None:
    """Refuse self-endorsement, a second endorsement of the same skill, and long comments."""
    if key.endorser == key.subject:
        raise InvalidEndorsement("nobody can endorse their own skills")
    if key in existing:
        raise InvalidEndorsement("you have already endorsed this skill")
    if len(comment) > MAX_COMMENT:
        raise InvalidEndorsement(f"a comment has at most {MAX_COMMENT} characters")


def check_withdrawal(key: EndorsementKey, by: str) -> None:
    """Only the endorser can withdraw an endorsement."""
    if by != key.endorser:
        raise InvalidEndorsement("only its author can withdraw an endorsement")
