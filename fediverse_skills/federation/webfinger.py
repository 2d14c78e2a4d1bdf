"""WebFinger (RFC 7033): answering for our accounts and reading other servers' answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from .media import ACTIVITY_JSON
from .uris import LocalUris

SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
_ACCT = re.compile(r"acct:([^@\s/]+)@([^@\s/]+)", re.IGNORECASE)
_HANDLE = re.compile(r"@?([^@\s/]+)@([^@\s/]+)")


class WebfingerError(ValueError):
    """A malformed resource (400) or an unusable answer; the message says why."""


@dataclass(frozen=True)
class Resource:
    """What a WebFinger query asks about: an account, or one of our actor URLs."""

    username: str | None  # set for acct: resources and our actor URLs
    host: str


def parse_resource(resource: str | None, uris: LocalUris) -> Resource:
    """Parse ``resource`` (acct:user@host or an actor URL), or raise WebfingerError."""
    if not resource or len(resource) > 2048:
        raise WebfingerError("the resource parameter is required")
    match = _ACCT.fullmatch(resource.strip())
    if match:
        return Resource(match.group(1).lower(), match.group(2).lower())
    if resource.startswith(("http://", "https://")):
        parts = urlsplit(resource)
        if not parts.netloc:
            raise WebfingerError("malformed resource URL")
        username = uris.username_of(resource) or _profile_username(resource, uris)
        return Resource(username, parts.netloc.lower())
    raise WebfingerError("the resource must be acct:user@host or an http(s) URL")


def _profile_username(url: str, uris: LocalUris) -> str | None:
    prefix = uris.base_url + "/@"
    if url.startswith(prefix) and re.fullmatch(r"[a-z0-9_]{1,30}", url[len(prefix) :]):
        return url[len(prefix) :]
    return None


def jrd(uris: LocalUris, username: str) -> dict[str, Any]:
    actor = uris.actor(username)
    return {
        "subject": f"acct:{username}@{uris.host}",
        "aliases": [actor, uris.profile(username)],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": uris.profile(username),
            },
            {
                "rel": SUBSCRIBE_REL,
                "template": f"{uris.base_url}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


def parse_handle(text: str) -> tuple[str, str] | None:
    """``user@host`` or ``@user@host`` → (user, host), else None."""
    match = _HANDLE.fullmatch(text.strip())
    return (match.group(1), match.group(2).lower()) if match else None


def query_url(scheme: str, user: str, host: str) -> str:
    resource = quote(f"acct:{user}@{host}", safe=":@")
    return f"{scheme}://{host}/.well-known/webfinger?resource={resource}"


def self_link(document: dict[str, Any]) -> str:
    """The ActivityPub actor URL in a WebFinger answer."""
    links = document.get("links")
    if isinstance(links, list):
        for link in links:
            if (
                isinstance(link, dict)
                and link.get("rel") == "self"
                and isinstance(link.get("href"), str)
                and str(link.get("type", "")).split(";")[0].strip()
                in (ACTIVITY_JSON, "application/ld+json")
            ):
                return str(link["href"])
    raise WebfingerError("the WebFinger answer has no ActivityPub self link")


def subscribe_template(document: dict[str, Any]) -> str | None:
    """The remote-interaction template (``http://ostatus.org/schema/1.0/subscribe``) of a
    WebFinger answer, when it is an http(s) URL with a ``{uri}`` placeholder."""
    links = document.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("rel") == SUBSCRIBE_REL:
            template = link.get("template")
            if (
                isinstance(template, str)
                and "{uri}" in template
                and template.startswith(("https://", "http://"))
                and len(template) <= 2048
            ):
                return template
    return None


def fill_template(template: str, uri: str) -> str:
    return template.replace("{uri}", quote(uri, safe=""))


def host_meta_xrd(uris: LocalUris) -> str:
    template = f"{uris.base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_json(uris: LocalUris) -> dict[str, Any]:
    template = f"{uris.base_url}/.well-known/webfinger?resource={{uri}}"
    return {"links": [{"rel": "lrdd", "template": template}]}
