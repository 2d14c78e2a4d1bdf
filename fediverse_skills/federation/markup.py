"""HTML in posts: the Mastodon-safe subset we send, and reading what others send.

Everything we publish or show passes ``sanitise`` (nh3, a maintained sanitiser): only
paragraphs, line breaks, links and the spans Mastodon uses for mentions and hashtags
survive, and links get ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nh3

_TAGS = {"p", "br", "a", "span"}
_ATTRIBUTES = {"a": {"href", "translate"}, "span": {"translate"}}
_CLASSES = {
    "a": {"mention", "hashtag", "u-url", "status-link", "unhandled-link"},
    "span": {"h-card", "invisible", "ellipsis"},
}
_TAG_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


def sanitise(fragment: str) -> str:
    """``fragment`` reduced to the Mastodon-safe HTML subset."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


def plain_text(fragment: str) -> str:
    """The text a reader sees in ``fragment`` (tags dropped, entities decoded)."""
    spaced = _TAG_BREAK.sub("\n", fragment)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def paragraph(*parts: str) -> str:
    """One paragraph from already-safe HTML parts and escaped text."""
    return sanitise("<p>" + "".join(parts) + "</p>")


def text(value: str) -> str:
    return html.escape(value, quote=False)


def link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(label, quote=False)}</a>'


def mention_link(actor_url: str, username: str) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="{html.escape(actor_url)}" '
        f'class="u-url mention">@<span>{html.escape(username)}</span></a></span>'
    )


def hashtag_link(base_url: str, tag: str) -> str:
    return (
        f'<a href="{html.escape(base_url)}/tags/{html.escape(tag)}" class="mention hashtag" '
        f'rel="tag">#<span>{html.escape(tag)}</span></a>'
    )


def hashtag_tag(base_url: str, tag: str) -> dict[str, Any]:
    return {"type": "Hashtag", "href": f"{base_url}/tags/{tag}", "name": f"#{tag}"}


def mention_tag(actor_url: str, acct: str) -> dict[str, Any]:
    return {"type": "Mention", "href": actor_url, "name": f"@{acct}"}
