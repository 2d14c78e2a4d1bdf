"""Domain blocks: refusing hosts (and their subdomains) before any fetch or storage."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..store import blocks
from ..store.blocks import DomainBlock
from ..store.db import Database
from .context import Federation

__all__ = [
    "DomainBlock",
    "InvalidDomain",
    "block",
    "block_domain",
    "blocked_domains",
    "is_blocked",
    "listing",
    "normalise_domain",
    "unblock_domain",
    "url_blocked",
]

_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
MAX_REASON = 2000


class InvalidDomain(ValueError):
    """Not something a block can name: a host name, an IP address or a URL."""


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        return None


def normalise_domain(domain: str) -> str:
    """The host name a block is stored under: lower case, ASCII (punycode), no port,
    path or trailing dot. A URL gives its host; ``*.example`` means ``example`` (blocks
    cover subdomains anyway). Raises InvalidDomain."""
    value = domain.strip().lower()
    if "://" in value:
        try:
            value = urlsplit(value).hostname or ""
        except ValueError:
            value = ""
    value = value.rstrip(".")
    if value.startswith("*."):
        value = value[2:]
    ip = _ip(value)
    if ip is not None:
        return ip
    host, colon, port = value.partition(":")
    if colon and port.isdigit():
        value = host.rstrip(".")
    try:
        ascii_name = value.encode("idna").decode("ascii") if value else ""
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if (
        not ascii_name
        or len(ascii_name) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise InvalidDomain(f"not a domain name: {domain!r}")
    return _ip(ascii_name) or ascii_name


def is_blocked(host: str | None, blocked: frozenset[str] | set[str]) -> bool:
    """Whether ``host`` (a hostname, maybe with a port) or a parent domain is blocked."""
    if not host or not blocked:
        return False
    name = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
    name = name.strip("[]").rstrip(".")
    parts = name.split(".")
    return any(".".join(parts[i:]) in blocked for i in range(len(parts)))


def url_blocked(url: str | None, blocked: frozenset[str] | set[str]) -> bool:
    if not url or not blocked:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:  # e.g. "http://[::1": no host to block (nor to contact)
        return False
    return is_blocked(host, blocked)


async def block(db: Database, domain: str, reason: str = "") -> str:
    name = normalise_domain(domain)
    async with db.transaction() as conn:
        await blocks.add(conn, name, reason[:MAX_REASON], datetime.now(UTC))
    return name


async def blocked_domains(db: Database) -> set[str]:
    async with db.connection() as conn:
        return await blocks.all_domains(conn)


async def block_domain(fed: Federation, domain: str, reason: str = "") -> str:
    """Block ``domain`` and its subdomains, at once in this process (other processes
    see it within ``fed.blocks_ttl`` seconds). Returns the stored name; raises
    InvalidDomain, also for this instance's own domain or a parent of it."""
    if is_blocked(fed.uris.host, {normalise_domain(domain)}):
        raise InvalidDomain("that is this instance's own domain")
    name = await block(fed.db, domain, reason.strip())
    fed.forget_blocks()
    return name


async def unblock_domain(fed: Federation, domain: str) -> bool:
    """Lift a block (as listed); False when there was none."""
    async with fed.db.transaction() as conn:
        removed = await blocks.remove(conn, domain.strip().lower())
    fed.forget_blocks()
    return removed


async def listing(db: Database) -> list[DomainBlock]:
    async with db.connection() as conn:
        return await blocks.listing(conn)
