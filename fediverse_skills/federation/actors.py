"""Actor documents: ours rendered as AS2, theirs parsed and checked."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .activities import plain_text_html
from .media import AS_CONTEXT
from .multibase import decode_ed25519_multikey, encode_ed25519_multikey
from .uris import LocalUris
from .vocabulary import IMPLEMENTS, NAMESPACE

SECURITY_V1 = "https://w3id.org/security/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"

# Fedify reads assertionMethod only when the DID and Multikey contexts are present.
ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_V1,
    DID_V1,
    MULTIKEY_V1,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "fsk": NAMESPACE,
        "skills": {"@id": "fsk:skills", "@type": "@id"},
        "openToWork": {"@id": "fsk:openToWork", "@type": XSD_BOOLEAN},
        "implements": {"@id": "https://w3id.org/fep/844e/implements", "@container": "@set"},
    },
]


@dataclass(frozen=True)
class LocalActor:
    username: str
    display_name: str
    summary: str
    manually_approves_followers: bool
    rsa_public_pem: str
    ed25519_public_hex: str
    published: datetime
    skills: tuple[tuple[str, str | None], ...] = ()  # (name, hashtag) of the top skills
    avatar: str | None = None  # a media name (LocalUris.media)
    # Published only when the person chose to show it; a private "open to work" stays
    # with matching on their own instance and never appears here.
    open_to_work: bool = False


def person(uris: LocalUris, actor: LocalActor) -> dict[str, Any]:
    uri = uris.actor(actor.username)
    return {
        "@context": ACTOR_CONTEXT,
        "id": uri,
        "type": "Person",
        "preferredUsername": actor.username,
        "name": actor.display_name or actor.username,
        "summary": plain_text_html(actor.summary),
        "url": uris.profile(actor.username),
        "inbox": uris.inbox(actor.username),
        "outbox": uris.outbox(actor.username),
        "followers": uris.followers(actor.username),
        "following": uris.following(actor.username),
        "endpoints": {"sharedInbox": uris.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": True,
        "indexable": True,
        "published": actor.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publicKey": {
            "id": uris.main_key(actor.username),
            "owner": uri,
            "publicKeyPem": actor.rsa_public_pem,
        },
        "assertionMethod": [
            {
                "id": uris.ed25519_key(actor.username),
                "type": "Multikey",
                "controller": uri,
                "publicKeyMultibase": encode_ed25519_multikey(
                    bytes.fromhex(actor.ed25519_public_hex)
                ),
            }
        ],
        "skills": uris.skills(actor.username),
        "featuredTags": uris.featured_tags(actor.username),
        "attachment": (
            [
                {
                    "type": "PropertyValue",
                    "name": "Skills",
                    "value": html.escape(", ".join(name for name, _ in actor.skills)),
                }
            ]
            if actor.skills
            else []
        ),
        "tag": [
            {"type": "Hashtag", "href": uris.tag(tag), "name": f"#{tag}"}
            for _, tag in actor.skills
            if tag
        ],
        "implements": IMPLEMENTS,
        **(
            {"icon": {"type": "Image", "mediaType": "image/png", "url": uris.media(actor.avatar)}}
            if actor.avatar
            else {}
        ),
        **({"openToWork": True} if actor.open_to_work else {}),
    }


def instance_application(uris: LocalUris, rsa_public_pem: str) -> dict[str, Any]:
    uri = uris.instance_actor
    return {
        "@context": [AS_CONTEXT, SECURITY_V1],
        "id": uri,
        "type": "Application",
        "preferredUsername": uris.host.split(":")[0],
        "name": f"{uris.host} instance actor",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "endpoints": {"sharedInbox": uris.shared_inbox},
        "manuallyApprovesFollowers": True,
        "url": uris.base_url + "/",
        "publicKey": {"id": uris.instance_key, "owner": uri, "publicKeyPem": rsa_public_pem},
    }


class ActorError(ValueError):
    """A remote actor document is unusable; the message says why."""


@dataclass(frozen=True)
class ParsedActor:
    uri: str
    host: str
    type: str
    username: str
    name: str
    inbox: str
    shared_inbox: str | None
    followers: str | None
    url: str | None
    key_id: str | None
    public_key_pem: str | None


@functools.lru_cache(maxsize=4096)
def origin(url: str) -> str:
    """scheme://host[:port], lower-cased; raises ValueError for a URL without a host."""
    parts = urlsplit(url)
    hostname = parts.hostname
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValueError(f"not an http(s) URL: {url[:100]!r}")
    port = parts.port
    host = hostname  # urlsplit already lower-cases it
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port. ``b`` is usually an actor, which
    repeats, so its origin comes from a cache; ``a`` is checked by prefix when it can be."""
    try:
        base = origin(b)
        if a.startswith(base) and a[len(base) : len(base) + 1] in ("/", "?", "#", ""):
            # A prefix match is not yet proof: "http://h:80@evil/" would pass. Only
            # URLs whose authority is plainly the origin's take the fast path.
            rest = a[len(base) :]
            if "@" not in a.split("/", 3)[2] and not rest.startswith(":"):
                return True
        return origin(a) == base
    except ValueError:
        return False


def _str(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) else None


def _link(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def parse_actor(doc: dict[str, Any]) -> ParsedActor:
    """Check a fetched actor document (already known to be served at its id)."""
    uri = _str(doc, "id")
    kind = doc.get("type")
    if not uri:
        raise ActorError("actor has no id")
    if not isinstance(kind, str) or kind not in ACTOR_TYPES:
        raise ActorError(f"not an actor type: {str(kind)[:50]!r}")
    inbox = _link(doc.get("inbox"))
    if not inbox or not same_origin(inbox, uri):
        raise ActorError("actor inbox is missing or on another origin")
    endpoints = doc.get("endpoints")
    shared = _link(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    if shared is not None and not same_origin(shared, uri):
        shared = None
    followers = _link(doc.get("followers"))
    key_id = key_pem = None
    keys = doc.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if not isinstance(key, dict):
            continue
        kid, owner, pem = key.get("id"), key.get("owner"), key.get("publicKeyPem")
        if not (isinstance(kid, str) and isinstance(pem, str)):
            continue
        if owner != uri or not same_origin(kid, uri):
            continue  # a key the actor does not own
        try:
            load_pem_public_key(pem.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            continue
        key_id, key_pem = kid, pem
        break
    username = _str(doc, "preferredUsername") or ""
    return ParsedActor(
        uri=uri,
        host=urlsplit(uri).netloc.lower(),
        type=kind,
        username=username[:255],
        name=(_str(doc, "name") or username)[:500],
        inbox=inbox,
        shared_inbox=shared,
        followers=followers if followers and same_origin(followers, uri) else None,
        url=_link(doc.get("url")),
        key_id=key_id,
        public_key_pem=key_pem,
    )


def open_to_work(doc: dict[str, Any]) -> bool:
    """Whether a remote actor document says its person is open to work (published by
    their choice; anything but ``true`` means no)."""
    return doc.get("openToWork") is True


MAX_TAGS = 50


def hashtags(doc: dict[str, Any]) -> list[str]:
    """The names (without ``#``) of the ``Hashtag``s in an actor's ``tag``: the skills
    a profile features (ours put the top ten there), at most ``MAX_TAGS``."""
    tags = doc.get("tag")
    found: list[str] = []
    for tag in tags if isinstance(tags, list) else [tags]:
        if not isinstance(tag, dict) or tag.get("type") != "Hashtag":
            continue
        name = tag.get("name")
        if isinstance(name, str) and 1 < len(name) <= 101:
            found.append(name.removeprefix("#"))
        if len(found) >= MAX_TAGS:
            break
    return found


def assertion_key(doc: dict[str, Any], key_id: str) -> bytes | None:
    """The raw Ed25519 public key ``key_id`` from the actor's ``assertionMethod``
    (FEP-521a Multikey), if the actor lists it, controls it and it is on its origin."""
    uri = doc.get("id")
    if not isinstance(uri, str) or not same_origin(key_id, uri):
        return None
    methods = doc.get("assertionMethod")
    for method in methods if isinstance(methods, list) else [methods]:
        if not isinstance(method, dict) or method.get("id") != key_id:
            continue
        if method.get("type") != "Multikey" or method.get("controller") != uri:
            continue
        value = method.get("publicKeyMultibase")
        if not isinstance(value, str):
            continue
        try:
            return decode_ed25519_multikey(value)
        except ValueError:
            return None
    return None
