"""The pieces behind the rate limits: token buckets, registrable domains, forwarded
client addresses and their settings. The limits themselves are tested through the real
app in tests/security/test_rate_limits.py."""

from __future__ import annotations

import pytest

from fediverse_skills.config import ConfigError, load_settings
from fediverse_skills.domain.ratelimits import RateLimiter, retry_after
from fediverse_skills.federation.domains import registrable_domain, registrable_domain_of
from fediverse_skills.web.clients import _Proxies, forwarded_client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_steadily() -> None:
    clock = Clock()
    limiter = RateLimiter(60, 60.0, clock=clock)  # one a second, bursts of 60
    assert all(limiter.take("a") == 0 for _ in range(60))
    assert limiter.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert limiter.take("a") == pytest.approx(0.5)  # a refused take spends nothing
    clock.now += 0.5
    assert limiter.take("a") == 0
    assert limiter.take("b") == 0  # keys are independent
    clock.now += 3600
    assert all(limiter.take("a") == 0 for _ in range(60))  # capped at the burst
    assert limiter.take("a") > 0


def test_exhausted_peeks_without_spending() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60.0, clock=clock)
    assert limiter.exhausted("x") == 0 and len(limiter) == 0
    limiter.take("x")
    limiter.take("x")
    assert limiter.exhausted("x") == pytest.approx(30.0)
    assert limiter.exhausted("x") == pytest.approx(30.0)


def test_limit_zero_is_off_and_memory_is_bounded() -> None:
    off = RateLimiter(0)
    assert not off.enabled
    assert all(off.take("k") == 0 for _ in range(10_000))
    clock = Clock()
    small = RateLimiter(1, 60.0, max_keys=3, clock=clock)
    for key in "abcd":
        small.take(key)
    assert len(small) == 3
    assert small.take("a") == 0  # "a" was forgotten, so its budget is full again
    assert small.take("d") > 0
    with pytest.raises(ValueError, match="cannot be negative"):
        RateLimiter(-1)


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after(0.01) == "1"
    assert retry_after(1.2) == "2"
    assert retry_after(30.0) == "30"


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("mastodon.social", "mastodon.social"),
        ("a.b.mastodon.social", "mastodon.social"),
        ("Social.Example.CO.UK.", "example.co.uk"),
        ("social.example.co.uk:8443", "example.co.uk"),
        ("alice.github.io", "alice.github.io"),  # a private suffix: each owner is separate
        ("bob.github.io", "bob.github.io"),
        ("co.uk", "co.uk"),  # a bare public suffix is its own key
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_registrable_domain_of_urls() -> None:
    assert registrable_domain_of("https://eu.social.example.org/users/a") == "example.org"
    assert registrable_domain_of("http://127.0.0.1:8000/users/a") == "127.0.0.1"
    assert registrable_domain_of("not a url") == ""
    assert registrable_domain_of("http://[::1/") == ""


def test_forwarded_client_walks_from_the_right() -> None:
    proxies = _Proxies(["10.0.0.0/8", "::1/128"])
    assert forwarded_client("192.0.2.1", "203.0.113.9", proxies) == "192.0.2.1"
    assert forwarded_client("10.0.0.1", "203.0.113.9", proxies) == "203.0.113.9"
    assert forwarded_client("10.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2", proxies) == (
        "203.0.113.9"
    )
    assert forwarded_client("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies) == "10.0.0.3"
    assert forwarded_client("10.0.0.1", "junk", proxies) == "10.0.0.1"
    assert forwarded_client("::1", "[2001:db8::5]", proxies) == "2001:db8::5"


def _env(**values: str) -> dict[str, str]:
    return {"FEDSKILLS_ENV_FILE": "/dev/null", **{f"FEDSKILLS_{k}": v for k, v in values.items()}}


def test_limit_settings() -> None:
    default = load_settings(_env())
    assert (default.inbox_rate_limit, default.api_rate_limit) == (1200, 300)
    assert default.trusted_proxies == ()
    assert default.authorized_fetch is False
    custom = load_settings(
        _env(INBOX_RATE_LIMIT="0", TRUSTED_PROXIES="127.0.0.1, fd00::/8", AUTHORIZED_FETCH="yes")
    )
    assert custom.inbox_rate_limit == 0
    assert custom.trusted_proxies == ("127.0.0.1/32", "fd00::/8")
    assert custom.authorized_fetch is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"API_RATE_LIMIT": "lots"}, "FEDSKILLS_API_RATE_LIMIT must be a number"),
        ({"INBOX_RATE_LIMIT": "-5"}, "FEDSKILLS_INBOX_RATE_LIMIT must be between 0 (off)"),
        ({"TRUSTED_PROXIES": "proxy.example"}, "FEDSKILLS_TRUSTED_PROXIES must list IP"),
        ({"AUTHORIZED_FETCH": "maybe"}, "FEDSKILLS_AUTHORIZED_FETCH must be true or false"),
    ],
)
def test_limit_settings_refuse_nonsense(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(_env(**values))
