"""The life of a suggestion: pending until its subject decides, or its author withdraws."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    SUBJECT = "subject"  # the person the skill is suggested to
    AUTHOR = "author"  # the person who suggested it
    OTHER = "other"


class NotAllowed(ValueError):
    """The transition is not allowed; the message says why."""


# (from, to) -> who may make the move
_MOVES: dict[tuple[State, State], Role] = {
    (State.PENDING, State.ACCEPTED): Role.SUBJECT,
    (State.PENDING, State.REJECTED): Role.SUBJECT,
    (State.PENDING, State.WITHDRAWN): Role.AUTHOR,
}


def transition(current: State, wanted: State, by: Role) -> State:
    """The new state, or NotAllowed. Only a pending suggestion can change, only its
    subject accepts or rejects it, and only its author withdraws it."""
    if current == wanted and current is not State.PENDING:
        return current  # repeating a decision is idempotent
    allowed = _MOVES.get((current, wanted))
    if allowed is None:
        raise NotAllowed(f"a {current} suggestion cannot become {wanted}")
    if by is not allowed:
        raise NotAllowed(f"only the suggestion's {allowed} can make it {wanted}")
    return wanted


def is_public(state: State) -> bool:
    """Only an accepted suggestion shows on a profile; pending and rejected stay private."""
    return state is State.ACCEPTED
