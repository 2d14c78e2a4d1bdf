"""Registrable domains: the part of a host name that one party controls.

``social.example.co.uk`` and ``mail.example.co.uk`` both belong to ``example.co.uk``, so
limits kept per registrable domain cannot be multiplied by minting subdomains. The Public
Suffix List comes bundled with the ``publicsuffixlist`` package; nothing is fetched.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

__all__ = ["registrable_domain", "registrable_domain_of"]

_PSL = PublicSuffixList()


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The registrable domain of ``host`` (lower case, no port or trailing dot). An IP
    address is its own domain, and so is a name without one (``localhost``)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    name = name.rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    return _PSL.privatesuffix(name) or name


def registrable_domain_of(url: str) -> str:
    """The registrable domain of a URL's host ("" when it has none)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return ""
    return registrable_domain(host) if host else ""
