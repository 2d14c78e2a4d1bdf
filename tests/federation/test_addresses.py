"""The address policy: which IPs and URLs the federation layer may contact."""

from __future__ import annotations

import ipaddress

import pytest

from fediverse_skills.federation.addresses import (
    FetchError,
    ForbiddenAddress,
    check_url,
    is_forbidden,
)

# Refused even with allow_private=True, with the reason's first word.
ALWAYS_REFUSED = {
    "::ffff:7f00:1": "IPv4-mapped",
    "::ffff:127.0.0.1": "IPv4-mapped",
    "::ffff:10.0.0.1": "IPv4-mapped",
    "::ffff:8.8.8.8": "IPv4-mapped",
    "::7f00:1": "IPv4-compatible",
    "::ffff:0:7f00:1": "IPv4-translated",
    "0.0.0.0": "unspecified",  # noqa: S104
    "0.1.2.3": "this-network",
    "::": "unspecified",
    "100.64.0.1": "CGNAT",
    "100.127.255.254": "CGNAT",
    "64:ff9b::7f00:1": "NAT64",
    "64:ff9b::808:808": "NAT64",
    "64:ff9b:1::1": "NAT64",
    "2002:7f00:1::": "6to4",
    "2002:808:808::1": "6to4",
    "2001::1": "Teredo",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "fec0::1": "site-local",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "broadcast",
    "240.0.0.1": "reserved",
    "192.0.0.8": "IETF",
    "192.0.2.1": "documentation",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation",
    "198.18.0.1": "benchmarking",
    "198.19.255.255": "benchmarking",
    "2001:2::1": "benchmarking",
    "192.88.99.1": "6to4",
    "100::1": "discard-only",
    "2001:10::1": "ORCHID",
    "4000::1": "reserved",
}

# Refused by default, allowed with allow_private=True.
LIFTED = {
    "127.0.0.1": "loopback",
    "127.8.8.8": "loopback",
    "127.255.255.254": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "10.255.255.255": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "fd00::1": "private",
    "fc00::1": "private",
}

PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450::1"]


@pytest.mark.parametrize(("address", "reason"), sorted(ALWAYS_REFUSED.items()))
@pytest.mark.parametrize("allow_private", [False, True])
def test_always_refused(address: str, reason: str, allow_private: bool) -> None:
    got = is_forbidden(ipaddress.ip_address(address), allow_private=allow_private)
    assert got is not None
    assert got.startswith(reason), got


@pytest.mark.parametrize(("address", "reason"), sorted(LIFTED.items()))
def test_loopback_and_private_are_lifted_only_by_allow_private(address: str, reason: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_forbidden(ip, allow_private=False) == reason
    assert is_forbidden(ip, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
@pytest.mark.parametrize("allow_private", [False, True])
def test_public_addresses_are_allowed(address: str, allow_private: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(address), allow_private=allow_private) is None


def test_embedded_reason_names_the_ipv4_inside() -> None:
    assert is_forbidden(ipaddress.ip_address("::ffff:127.0.0.1"), allow_private=True) == (
        "IPv4-mapped (loopback)"
    )
    assert is_forbidden(ipaddress.ip_address("2002:a9fe:a9fe::"), allow_private=False) == (
        "6to4 (link-local)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "data:application/activity+json,{}",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://example.com/x",
        "gopher://example.com/",
        "//example.com/no-scheme",
        "example.com/relative",
        "http://user:pass@example.com/",
        "https://user@example.com/",
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:8000/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://evil.localhost/",
        "http:///no-host",
        "http://example.com:99999/",
        "http://exa\nmple.com/",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(FetchError):
        check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/users/alice",
        "http://example.com:8080/inbox",
        "https://8.8.8.8/",
        "https://[2606:4700::1111]/actor",
    ],
)
def test_check_url_allows(url: str) -> None:
    check_url(url, allow_private=False)


def test_allow_private_lifts_localhost_and_loopback_literals_only() -> None:
    for url in ("http://localhost:8000/", "http://127.0.0.1/", "http://[::1]/", "http://10.1.2.3/"):
        check_url(url, allow_private=True)
    for url in (
        "http://169.254.169.254/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://127.1/",
        "file:///etc/passwd",
        "http://u:p@localhost/",
    ):
        with pytest.raises(ForbiddenAddress):
            check_url(url, allow_private=True)
