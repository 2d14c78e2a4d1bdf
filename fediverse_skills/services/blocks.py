"""Domain blocks: refusing hosts (and their subdomains) before any fetch or storage."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..store import blocks
from ..store.db import Database


def normalise_domain(domain: str) -> str:
    value = domain.strip().lower().rstrip(".")
    if "://" in value:
        value = urlsplit(value).hostname or ""
    if not value or "/" in value or " " in value:
        raise ValueError(f"not a domain name: {domain!r}")
    return value


def is_blocked(host: str | None, blocked: frozenset[str] | set[str]) -> bool:
    """Whether ``host`` (a hostname, maybe with a port) or a parent domain is blocked."""
    if not host or not blocked:
        return False
    name = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
    name = name.strip("[]").rstrip(".")
    parts = name.split(".")
    return any(".".join(parts[i:]) in blocked for i in range(len(parts)))


def url_blocked(url: str | None, blocked: frozenset[str] | set[str]) -> bool:
    if not url:
        return False
    return is_blocked(urlsplit(url).hostname, blocked)


async def block(db: Database, domain: str, reason: str = "") -> str:
    name = normalise_domain(domain)
    async with db.transaction() as conn:
        await blocks.add(conn, name, reason, datetime.now(UTC))
    return name


async def blocked_domains(db: Database) -> set[str]:
    async with db.connection() as conn:
        return await blocks.all_domains(conn)
