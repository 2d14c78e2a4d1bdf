"""Who may suggest skills to a person, and who may endorse their skills."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    ANYONE = "anyone"
    FOLLOWERS = "followers"  # people who follow the profile
    FOLLOWING = "following"  # people the profile follows
    NOBODY = "nobody"


@dataclass(frozen=True)
class Policy:
    suggest: Audience = Audience.ANYONE
    endorse: Audience = Audience.ANYONE
    manual_approval: bool = True  # suggestions wait for the owner; False accepts them


@dataclass(frozen=True)
class Relation:
    """How the acting person relates to the profile's owner."""

    is_owner: bool = False
    follows_owner: bool = False
    followed_by_owner: bool = False
    blocked: bool = False


def _admits(audience: Audience, who: Relation) -> bool:
    if audience is Audience.ANYONE:
        return True
    if audience is Audience.FOLLOWERS:
        return who.follows_owner
    if audience is Audience.FOLLOWING:
        return who.followed_by_owner
    return False


def may_suggest(policy: Policy, who: Relation) -> bool:
    """Blocked people never; the owner adds skills directly rather than suggesting."""
    return not who.blocked and not who.is_owner and _admits(policy.suggest, who)


def may_endorse(policy: Policy, who: Relation) -> bool:
    """Blocked people never, and nobody endorses their own skills."""
    return not who.blocked and not who.is_owner and _admits(policy.endorse, who)
