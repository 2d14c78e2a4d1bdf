"""Media types: which requests carry ActivityStreams, and which responses a client wants."""

from __future__ import annotations

import re

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = f'application/ld+json; profile="{AS_CONTEXT}"'
JRD_JSON = "application/jrd+json"


_PARAM = re.compile(
    r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*+"|[^;]*)', re.DOTALL
)


def media_type(value: str) -> tuple[str, dict[str, str]]:
    """``type/subtype; name=value; ...`` → (lower-cased type, parameters)."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
    return main.strip().lower(), params


def is_activitystreams(content_type: str | None) -> bool:
    """``application/activity+json``, or ``application/ld+json`` with the AS profile."""
    if not content_type:
        return False
    kind, params = media_type(content_type)
    if kind == ACTIVITY_JSON:
        return True
    if kind == "application/ld+json":
        return AS_CONTEXT in params.get("profile", "").split()
    return False


def accepts_inbox_post(content_type: str | None) -> bool:
    """Inbox POSTs: AS2 types; ``application/ld+json`` without a profile too, as some
    servers send it."""
    if not content_type:
        return False
    kind, _ = media_type(content_type)
    return kind in (ACTIVITY_JSON, "application/ld+json")


def wants_activitystreams(accept: str | None) -> bool:
    """Whether an Accept header prefers AS2 JSON over HTML.

    Mastodon sends ``application/activity+json, application/ld+json; profile=...,
    text/html;q=0.1``; browsers send ``text/html`` first. AS2 wins when its best quality is
    higher than HTML's, or equal and it comes first.
    """
    if not accept:
        return False
    best_as = best_html = -1.0
    first_as = first_html = 10**6
    for index, item in enumerate(accept.split(",")):
        kind, params = media_type(item)
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 0.0
        is_as = kind == ACTIVITY_JSON or (
            kind == "application/ld+json"
            and (not params.get("profile") or AS_CONTEXT in params.get("profile", ""))
        )
        if is_as and q > 0:
            if q > best_as:
                best_as = q
            first_as = min(first_as, index)
        elif kind in ("text/html", "application/xhtml+xml", "*/*", "text/*") and q > 0:
            best_html = max(best_html, q)
            first_html = min(first_html, index)
    if best_as < 0:
        return False
    return best_as > best_html or (best_as == best_html and first_as < first_html)
