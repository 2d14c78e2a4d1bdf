"""Building the activities we send, and reading the ones we receive."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from .media import AS_CONTEXT

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})


def timestamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def follow(*, id: str, actor: str, object: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": id, "type": "Follow", "actor": actor, "object": object}


def accept(*, id: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    embedded = {k: v for k, v in follow_activity.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": id, "type": "Accept", "actor": actor, "object": embedded}


def reject(*, id: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    embedded = {k: v for k, v in follow_activity.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": id, "type": "Reject", "actor": actor, "object": embedded}


def undo(*, id: str, actor: str, activity: dict[str, Any]) -> dict[str, Any]:
    embedded = {k: v for k, v in activity.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": id, "type": "Undo", "actor": actor, "object": embedded}


def plain_text_html(text: str) -> str:
    """Plain text as the Mastodon-safe HTML subset: paragraphs and line breaks, escaped."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.strip().split("\n")) + "</p>"
        for p in paragraphs
    )


def note(
    *, id: str, actor: str, followers: str, content_html: str, published: datetime, url: str
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "Note",
        "attributedTo": actor,
        "content": content_html,
        "published": timestamp(published),
        "to": [PUBLIC],
        "cc": [followers],
        "url": url,
    }


def create(*, id: str, actor: str, object: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Create",
        "actor": actor,
        "published": object.get("published"),
        "to": object.get("to", []),
        "cc": object.get("cc", []),
        "object": object,
    }


def with_context(obj: dict[str, Any]) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, **obj}


# ----------------------------------------------------------------------------- reading


def ref(value: Any) -> str | None:
    """The id of a reference: a string, or an object's ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def type_of(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str):
            return kind
        if isinstance(kind, list) and kind and isinstance(kind[0], str):
            return kind[0]
    return None


def audience(activity: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("to", "cc", "bto", "bcc", "audience"):
        value = activity.get(key)
        for item in value if isinstance(value, list) else [value]:
            target = ref(item)
            if target:
                found.add(PUBLIC if target in _PUBLIC_ALIASES else target)
    return found


def is_public(obj: dict[str, Any]) -> bool:
    return PUBLIC in audience(obj)
