"""JSON-LD processing with an offline document loader.

Only the context documents bundled in ``fediverse_skills.federation.contexts`` are
ever served; any other URL raises a pyld ``JsonLdError`` (code
``loading document failed``). pyld's default loader, which fetches over the network,
is never used: every call here passes ``document_loader`` explicitly.

Note: pyld keeps a process-wide cache of resolved contexts keyed by URL. Contexts
resolved here come only from the bundled files.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from pyld import jsonld

KNOWN_CONTEXTS: dict[str, str] = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/citizenship/v4rc1": "citizenship-v4rc1.jsonld",
}

# Our own vocabulary's context. Every instance serves it at this path on its origin, and
# documents name their server's copy; whatever the origin, the bundled copy is used.
SKILLS_CONTEXT_FILE = "fediverse-skills-v1.jsonld"
SKILLS_CONTEXT_PATH = "/ns/skills/v1"

_PACKAGE = "fediverse_skills.federation.contexts"
JsonLdError = jsonld.JsonLdError


def context_bytes(filename: str) -> bytes:
    """The bundled file's bytes, exactly as shipped."""
    return resources.files(_PACKAGE).joinpath(filename).read_bytes()


def is_skills_context(url: object) -> bool:
    """Whether ``url`` names our vocabulary's context on some origin (an instance's copy)."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return False
    scheme_end = url.index("//") + 2
    slash = url.find("/", scheme_end)
    return slash > scheme_end and url[slash:] == SKILLS_CONTEXT_PATH and "@" not in url[:slash]


@functools.lru_cache(maxsize=len(KNOWN_CONTEXTS) + 1)
def _parsed(filename: str) -> str:
    # Cached as text (immutable); each caller gets a fresh parsed copy, since pyld
    # must not be able to alter a shared document.
    text = context_bytes(filename).decode("utf-8")
    json.loads(text)  # fail early on a damaged file
    return text


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader serving only ``KNOWN_CONTEXTS``; never touches the network."""
    del options  # part of pyld's loader signature; nothing in it changes the answer
    key = url.split("#", 1)[0] if isinstance(url, str) else ""
    filename = KNOWN_CONTEXTS.get(key)
    if filename is None and is_skills_context(url):
        filename = SKILLS_CONTEXT_FILE
    if filename is None:
        raise jsonld.JsonLdError(
            f"offline document loader: no bundled document for {str(url)[:200]!r}",
            "jsonld.LoadDocumentError",
            {"url": str(url)[:200]},
            code="loading document failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": key,
        "document": json.loads(_parsed(filename)),
    }


def _options(**extra: Any) -> dict[str, Any]:
    return {"documentLoader": document_loader, **extra}


def compact(doc: dict[str, Any], context: Any) -> dict[str, Any]:
    """``doc`` compacted to ``context``; contexts from the bundle only."""
    result = jsonld.compact(doc, context, _options())
    if not isinstance(result, dict):
        raise TypeError("pyld returned no compacted object")
    return result


def skills_context() -> dict[str, Any]:
    """The inner ``@context`` of our vocabulary's context document (parsed afresh)."""
    parsed: dict[str, Any] = json.loads(_parsed(SKILLS_CONTEXT_FILE))["@context"]
    return parsed


def canonize(doc: dict[str, Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of ``doc``; contexts from the bundle only."""
    result = jsonld.normalize(doc, _options(algorithm="URDNA2015", format="application/n-quads"))
    if not isinstance(result, str):
        raise TypeError("pyld returned no N-Quads text")
    return result


def expand(doc: dict[str, Any]) -> list[Any]:
    """The expanded form of ``doc``; contexts from the bundle only."""
    result = jsonld.expand(doc, _options())
    if not isinstance(result, list):
        raise TypeError("pyld returned no expanded list")
    return result
