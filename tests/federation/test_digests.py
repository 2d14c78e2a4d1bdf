"""Digest (RFC 3230, as Mastodon sends it) and Content-Digest (RFC 9530)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from fediverse_skills.federation.digests import (
    check_content_digest,
    check_digest,
    make_content_digest,
    make_digest,
)

from .vectors import CAVAGE_REQUEST, RFC9421_CASES, RFC9421_MESSAGES

HELLO = b'{"hello": "world"}'
GOOD_DOG = b'{"message": "good dog"}'


def _field(message: str, name: str) -> str:
    fields = RFC9421_MESSAGES[message]["fields"]
    return next(value for key, value in fields if key.lower() == name.lower())


def test_make_digest_matches_draft_cavage_appendix_c() -> None:
    expected = next(v for k, v in CAVAGE_REQUEST["fields"] if k == "Digest")
    assert CAVAGE_REQUEST["body"].encode() == HELLO
    assert make_digest(HELLO) == expected == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="


def test_make_content_digest_matches_rfc9421_test_request() -> None:
    expected = _field("test-request", "Content-Digest")
    assert make_content_digest(HELLO, "sha-512") == expected


def test_content_digest_of_test_response_is_the_one_in_the_b24_base() -> None:
    b24 = next(c for c in RFC9421_CASES if c["section"] == "B.2.4")
    line = next(x for x in b24["signature_base"].split("\n") if x.startswith('"content-digest"'))
    assert line == f'"content-digest": {make_content_digest(GOOD_DOG, "sha-512")}'
    # The field printed in the RFC's test-response is a known defect (see the README).
    assert not check_content_digest(_field("test-response", "Content-Digest"), GOOD_DOG)


def test_make_content_digest_default_is_sha256() -> None:
    encoded = base64.b64encode(hashlib.sha256(HELLO).digest()).decode()
    assert make_content_digest(HELLO) == f"sha-256=:{encoded}:"


def test_unsupported_algorithm_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_digest(HELLO, "md5")


@pytest.mark.parametrize("prefix", ["SHA-256", "sha-256", "Sha-256"])
def test_digest_algorithm_is_case_insensitive(prefix: str) -> None:
    value = make_digest(HELLO).split("=", 1)[1]
    assert check_digest(f"{prefix}={value}", HELLO)


def test_digest_sha512() -> None:
    assert check_digest(make_digest(HELLO, "sha-512"), HELLO)


def test_digest_mismatch_fails() -> None:
    assert not check_digest(make_digest(HELLO), HELLO + b" ")
    assert not check_digest(make_digest(b""), HELLO)


@pytest.mark.parametrize(
    "value",
    ["", "SHA-256", "SHA-256=", "SHA-256=not base64!", "=abc", ",", "MD5=XrY7u+Ae7tCTyyK7j1rNww=="],
)
def test_malformed_or_unknown_digest_fails(value: str) -> None:
    assert not check_digest(value, HELLO)


def test_missing_digest_fails() -> None:
    assert not check_digest(None, HELLO)
    assert not check_content_digest(None, HELLO)


def test_unknown_algorithms_are_skipped_when_a_known_one_matches() -> None:
    assert check_digest(f"MD5=XrY7u+Ae7tCTyyK7j1rNww==, {make_digest(HELLO)}", HELLO)
    value = f"md5=:XrY7u+Ae7tCTyyK7j1rNww==:, {make_content_digest(HELLO)}"
    assert check_content_digest(value, HELLO)


def test_every_known_digest_must_match() -> None:
    good = f"{make_digest(HELLO)},{make_digest(HELLO, 'sha-512')}"
    assert check_digest(good, HELLO)
    bad = f"{make_digest(HELLO)},{make_digest(b'other', 'sha-512')}"
    assert not check_digest(bad, HELLO)
    good_cd = f"{make_content_digest(HELLO)}, {make_content_digest(HELLO, 'sha-512')}"
    assert check_content_digest(good_cd, HELLO)
    bad_cd = f"{make_content_digest(HELLO)}, {make_content_digest(b'x', 'sha-512')}"
    assert not check_content_digest(bad_cd, HELLO)


@pytest.mark.parametrize(
    "value",
    [
        "sha-256",  # a bare key is the boolean true, not bytes
        'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',  # a string, not bytes
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",  # unterminated
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,",  # trailing comma
        "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",  # keys are lowercase
        "unknown=:AAAA:",
        "",
    ],
)
def test_malformed_or_unknown_content_digest_fails(value: str) -> None:
    assert not check_content_digest(value, HELLO)


def test_content_digest_ignores_parameters() -> None:
    assert check_content_digest(make_content_digest(HELLO) + ";x=1", HELLO)
