"""Realistic signed Endorsement documents, as other fediverse-skills servers send them.

Used by the ``proofs`` and ``profile`` figures. Each endorser is a person on one of 20
made-up instances with their own Ed25519 key; documents are built with
``vocabulary.endorsement`` and signed with ``proofs.sign_jcs`` (eddsa-jcs-2022), exactly as
``services.endorsements`` builds and signs them. Comments vary, so no two documents are the
same; a document is about 600-900 bytes of compact JSON.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fediverse_skills.domain import skills as skill_rules
from fediverse_skills.federation import markup, proofs, vocabulary

INSTANCES = 20

# 50 skills, as people name them on their profiles.
SKILL_NAMES = (
    "Python", "Rust", "Go", "TypeScript", "JavaScript", "C++", "Kotlin", "Swift", "Haskell",
    "Elixir", "PostgreSQL", "SQLite", "Redis", "Kubernetes", "Docker", "Terraform", "Ansible",
    "Linux administration", "Networking", "Security auditing", "Cryptography", "ActivityPub",
    "HTTP signatures", "JSON-LD", "Web accessibility", "CSS", "React", "Vue.js", "node.js",
    "Django", "FastAPI", "asyncio", "Data analysis", "Machine learning", "Statistics",
    "Technical writing", "Code review", "Mentoring", "Public speaking", "Project management",
    "Community moderation", "Translation", "UX research", "Illustration", "Photography",
    "Video editing", "Sound engineering", "Gardening", "Cooking", "Woodworking",
)  # fmt: skip

_OPENINGS = (
    "Worked with them for {n} years",
    "Reviewed {n} of their pull requests",
    "We shipped {n} releases together",
    "Learnt a lot from them over {n} months",
    "Saw them teach this to {n} newcomers",
    "Paired with them on {n} incidents",
)
_CLOSINGS = (
    "clear, careful and kind.",
    "thorough and always willing to explain.",
    "the person I ask first.",
    "solid work, well documented.",
    "calm under pressure & very precise.",
)


@dataclass(frozen=True)
class Endorser:
    uri: str
    base_url: str
    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def endorsers(count: int) -> list[Endorser]:
    """``count`` distinct remote people, spread over :data:`INSTANCES` made-up servers."""
    out = []
    for j in range(count):
        base_url = f"https://skills{j % INSTANCES}.example"
        uri = f"{base_url}/users/person{j}"
        out.append(Endorser(uri, base_url, f"{uri}#ed25519-key", Ed25519PrivateKey.generate()))
    return out


def skill(n: int) -> tuple[str, str, str | None]:
    """(name, key, hashtag) of the ``n``-th skill."""
    name = SKILL_NAMES[n % len(SKILL_NAMES)]
    if n >= len(SKILL_NAMES):
        name = f"{name} {n // len(SKILL_NAMES) + 1}"
    return name, skill_rules.key(name), skill_rules.hashtag(name)


def comment(n: int) -> str:
    """A plain-text comment that differs for every ``n``."""
    opening = _OPENINGS[n % len(_OPENINGS)].format(n=n % 97 + 2)
    return f"{opening}: {_CLOSINGS[n % len(_CLOSINGS)]} (#{n})"


def endorsement(
    endorser: Endorser,
    *,
    owner: str,
    skills_collection: str,
    skill_name: str,
    skill_key: str,
    text: str,
    published: datetime,
) -> dict[str, Any]:
    """A signed Endorsement of ``owner``'s skill, as ``endorser``'s server makes it."""
    document = vocabulary.endorsement(
        base_url=endorser.base_url,
        id=f"{endorser.uri}/endorsements/{secrets.token_urlsafe(12)}",
        endorser=endorser.uri,
        owner=owner,
        skill=vocabulary.skill_uri(skills_collection, skill_key),
        key=skill_key,
        name=skill_name,
        comment_html=markup.paragraph(markup.text(text)),
        published=published,
        followers=f"{endorser.uri}/followers",
    )
    return proofs.sign_jcs(
        document,
        private_key=endorser.private_key,
        verification_method=endorser.key_id,
        created=published,
    )


def encode(document: dict[str, Any]) -> str:
    """As ``services.endorsements`` stores a received document."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
