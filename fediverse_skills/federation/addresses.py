"""Which network addresses the federation layer may talk to. Pure: no I/O.

The outgoing HTTP client (:mod:`.client`) calls :func:`is_forbidden` on every address it is
about to dial, and :func:`check_url` on every URL it is about to request (each redirect hop
included). Everything that is not ordinary, globally routable unicast is refused.

``allow_private`` (the setting ``FEDSKILLS_ALLOW_PRIVATE_ADDRESSES``) exists for tests and
demos where peers run on one machine or one LAN. It lifts exactly two categories: loopback
(127.0.0.0/8, ::1) and private (10/8, 172.16/12, 192.168/16, fc00::/7). Everything else --
link-local (cloud metadata lives at 169.254.169.254), the unspecified address, multicast,
IPv4 hidden inside IPv6 transition forms, ... -- stays refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "ALLOWED_SCHEMES",
    "FetchError",
    "ForbiddenAddress",
    "check_host",
    "check_url",
    "is_forbidden",
]

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Reasons that allow_private lifts. Nothing else is ever lifted.
_LOOPBACK = "loopback"
_PRIVATE = "private"
_LIFTABLE = frozenset({_LOOPBACK, _PRIVATE})


class FetchError(Exception):
    """An outgoing request failed or its answer was refused.

    ``reason`` is a short text for logs and callers; ``status`` is the HTTP status when the
    peer answered (e.g. 410 Gone), else None.
    """

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason if status is None else f"{reason} (HTTP {status})")
        self.reason = reason
        self.status = status


class ForbiddenAddress(FetchError):
    """The URL or the address it resolves to is not one we may contact."""


def _v4(cidr: str) -> IPv4Network:
    return IPv4Network(cidr)


def _v6(cidr: str) -> IPv6Network:
    return IPv6Network(cidr)


# First match wins, so the more specific networks come first.
_V4_RANGES: tuple[tuple[IPv4Network, str], ...] = (
    (_v4("0.0.0.0/32"), "unspecified"),
    (_v4("0.0.0.0/8"), "this-network"),
    (_v4("127.0.0.0/8"), _LOOPBACK),
    (_v4("10.0.0.0/8"), _PRIVATE),
    (_v4("172.16.0.0/12"), _PRIVATE),
    (_v4("192.168.0.0/16"), _PRIVATE),
    (_v4("100.64.0.0/10"), "CGNAT"),
    (_v4("169.254.0.0/16"), "link-local"),
    (_v4("192.0.0.0/24"), "IETF protocol assignments"),
    (_v4("192.0.2.0/24"), "documentation"),
    (_v4("198.51.100.0/24"), "documentation"),
    (_v4("203.0.113.0/24"), "documentation"),
    (_v4("198.18.0.0/15"), "benchmarking"),
    (_v4("192.88.99.0/24"), "6to4 relay anycast"),
    (_v4("224.0.0.0/4"), "multicast"),
    (_v4("255.255.255.255/32"), "broadcast"),
    (_v4("240.0.0.0/4"), "reserved"),
)

_V6_RANGES: tuple[tuple[IPv6Network, str], ...] = (
    (_v6("::/128"), "unspecified"),
    (_v6("::1/128"), _LOOPBACK),
    (_v6("fc00::/7"), _PRIVATE),  # unique-local
    (_v6("fe80::/10"), "link-local"),
    (_v6("fec0::/10"), "site-local"),
    (_v6("ff00::/8"), "multicast"),
    (_v6("100::/64"), "discard-only"),
    (_v6("2001:2::/48"), "benchmarking"),
    (_v6("2001:db8::/32"), "documentation"),
    (_v6("3fff::/20"), "documentation"),
    (_v6("2001:10::/28"), "ORCHID"),
    (_v6("2001:20::/28"), "ORCHID"),
    (_v6("5f00::/16"), "SRv6 SIDs"),
)

# IPv6 forms that carry an IPv4 address inside. They are refused whatever the embedded
# address: a peer has no business publishing them, and each one is a way to smuggle
# 127.0.0.1 or 169.254.169.254 past a check that only looks at IPv4. The reason names the
# embedded address's category when it has one.
_V4_MAPPED = _v6("::ffff:0:0/96")
_V4_TRANSLATED = _v6("::ffff:0:0:0/96")  # SIIT (RFC 2765)
_V4_COMPATIBLE = _v6("::/96")  # deprecated; :: and ::1 are matched before
_NAT64 = _v6("64:ff9b::/96")
_NAT64_LOCAL = _v6("64:ff9b:1::/48")
_SIX_TO_FOUR = _v6("2002::/16")
_TEREDO = _v6("2001::/32")
_GLOBAL_UNICAST_V6 = _v6("2000::/3")


def _embedded(kind: str, inner: IPv4Address) -> str:
    inner_reason = _v4_reason(inner)
    return f"{kind} ({inner_reason})" if inner_reason else f"{kind} ({inner})"


def _v4_reason(ip: IPv4Address) -> str | None:
    for network, reason in _V4_RANGES:
        if ip in network:
            return reason
    if not ip.is_global:
        return "reserved"
    return None


def _v6_reason(ip: IPv6Address) -> str | None:
    # Scope ids ("fe80::1%eth0") do not change which range an address is in.
    ip = IPv6Address(int(ip))
    for network, reason in _V6_RANGES[:2]:  # :: and ::1 sit inside ::/96
        if ip in network:
            return reason
    if ip in _V4_MAPPED:
        return _embedded("IPv4-mapped", IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _V4_TRANSLATED:
        return _embedded("IPv4-translated", IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _V4_COMPATIBLE:
        return _embedded("IPv4-compatible", IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return _embedded("NAT64", IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _SIX_TO_FOUR:
        return _embedded("6to4", IPv4Address((int(ip) >> 80) & 0xFFFFFFFF))
    if ip in _TEREDO:
        return "Teredo"
    for network, reason in _V6_RANGES[2:]:
        if ip in network:
            return reason
    if ip not in _GLOBAL_UNICAST_V6 or not ip.is_global:
        return "reserved"
    return None


def is_forbidden(ip: IPv4Address | IPv6Address, *, allow_private: bool) -> str | None:
    """Why we must not connect to ``ip``, or None when it is an ordinary public address.

    With ``allow_private`` only loopback and private (RFC 1918, fc00::/7) are allowed on top.
    """
    reason = _v4_reason(ip) if isinstance(ip, IPv4Address) else _v6_reason(ip)
    if reason in _LIFTABLE and allow_private:
        return None
    return reason


def _parse_ip(host: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_host(host: str, *, allow_private: bool) -> None:
    """Refuse a host (as it appears in a URL, IPv6 without brackets) that is forbidden
    before any DNS lookup: literal forbidden IPs and ``localhost`` names.

    A hostname that passes may still resolve to a forbidden address; the client checks the
    addresses it dials as well.
    """
    name = host.strip().rstrip(".").lower()
    if not name:
        raise ForbiddenAddress("URL has no host")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    ip = _parse_ip(name)
    if ip is not None:
        reason = is_forbidden(ip, allow_private=allow_private)
        if reason is not None:
            raise ForbiddenAddress(f"forbidden address {ip}: {reason}")
        return
    if ":" in name:
        raise ForbiddenAddress("malformed IPv6 literal")
    try:
        # inet_aton accepts shorthand spellings of IPv4 addresses ("127.1", "2130706433",
        # "0x7f.0.0.1") that resolvers happily turn into 127.0.0.1. Canonical dotted quads
        # were parsed above, so anything inet_aton still accepts is one of those spellings.
        packed = socket.inet_aton(name)
    except OSError:
        pass
    else:
        raise ForbiddenAddress(f"non-canonical IPv4 literal for {IPv4Address(packed)}")
    if (name == "localhost" or name.endswith(".localhost")) and not allow_private:
        raise ForbiddenAddress("forbidden host: localhost")


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    return parts


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL we must not request: a scheme other than http(s), credentials in the
    URL, a missing host, a forbidden literal IP or a ``localhost`` name."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ForbiddenAddress(f"scheme not allowed: {scheme or '(none)'}")
    if "@" in parts.netloc:
        raise ForbiddenAddress("credentials in URL are not allowed")
    if any(c in url for c in "\r\n\t\x00"):
        raise ForbiddenAddress("control characters in URL")
    check_host(parts.hostname or "", allow_private=allow_private)
