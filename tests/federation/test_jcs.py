"""RFC 8785 (JCS) canonical JSON: known answers and, when available, a cross-check."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

import pytest

from fediverse_skills.federation import jcs

from .proof_vectors import EDDSA_JCS_2022, FEP_8B32_NEWER


def test_vc_di_eddsa_document_and_proof_options() -> None:
    v = EDDSA_JCS_2022
    assert jcs.canonical_text(v["unsigned_document"]) == v["canonical_document"]
    assert jcs.canonical_text(v["proof_options"]) == v["canonical_proof_options"]


def test_fep_8b32_document_with_numbers() -> None:
    v = FEP_8B32_NEWER
    assert jcs.canonical_text(v["document"]) == v["expected_canonicalized_document"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 8785 Appendix B examples (IEEE 754 bit patterns -> ES serialization)
        (0.0, "0"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (-5e-324, "-5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (9007199254740994.0, "9007199254740994"),
        (1e21, "1e+21"),
        (999999999999999900000.0, "999999999999999900000"),
        (999999999999999700000.0, "999999999999999700000"),
        (1e23, "1e+23"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (295147905179352830000.0, "295147905179352830000"),
        (4.5, "4.5"),
        (2e-3, "0.002"),
        (0.000033333333333333335, "0.000033333333333333335"),
        (-71.184902, "-71.184902"),
        (25.273962, "25.273962"),
        (1.0, "1"),
        (100.0, "100"),
        (123e-20, "1.23e-18"),
        (-1.5e300, "-1.5e+300"),
    ],
)
def test_numbers(value: float, expected: str) -> None:
    assert jcs.number(value) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400, "\ud800", {1: 2}])
def test_rejects_non_i_json(bad: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        jcs.canonicalize(bad)


def test_strings_and_key_order() -> None:
    # RFC 8785 3.2.3: sorting by UTF-16 code units (U+1F600 sorts before U+FB33)
    doc = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    assert jcs.canonical_text(doc) == (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert jcs.canonical_text('\x00\x1f\x7f\u2028"\\/\b\f\n\r\t') == (
        '"\\u0000\\u001f\x7f\u2028\\"\\\\/\\b\\f\\n\\r\\t"'
    )
    assert jcs.canonical_text([None, True, False, 1, -2, {}]) == "[null,true,false,1,-2,{}]"


def test_large_integers_are_doubles() -> None:
    # As JSON.parse + JCS in JavaScript would see them
    assert jcs.canonical_text(2**53) == "9007199254740992"
    assert jcs.canonical_text(2**64) == "18446744073709552000"
    assert jcs.canonical_text(-(10**21)) == "-1e+21"


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2**53), 2**53)
    if kind == 2:
        while True:
            (f,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
            if math.isfinite(f):
                return f
    if kind == 3:
        return rng.choice([0.1, 1e-7, 1e21, 123.456, -0.0, 5e-324, rng.uniform(-1e6, 1e6)])
    if kind == 4:
        return _random_string(rng)
    if kind in (5, 6):
        return {_random_string(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def _random_string(rng: random.Random) -> str:
    pool = 'aZ09"\\/\x00\x01\x1f\x7f\u00e9\u2028\u20ac\ufb33\U0001f600 '
    return "".join(rng.choice(pool) for _ in range(rng.randrange(6)))


def test_cross_check_with_rfc8785_package() -> None:
    rfc8785 = pytest.importorskip("rfc8785")
    rng = random.Random(8785)
    for _ in range(2000):
        value = _random_value(rng)
        assert jcs.canonicalize(value) == rfc8785.dumps(value), value


def test_output_is_valid_json_round_trip() -> None:
    rng = random.Random(1)
    for _ in range(500):
        value = _random_value(rng)
        text = jcs.canonical_text(value)
        assert jcs.canonical_text(json.loads(text)) == text


def test_every_bmp_character_is_escaped_as_rfc8785_does() -> None:
    """The string escaper is the standard library's; check it against the reference
    implementation for every character of the Basic Multilingual Plane and a few astral
    ones (lone surrogates are refused, not escaped)."""
    rfc8785 = pytest.importorskip("rfc8785")
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    chars += ["\U0001f600", "\U00010000", "\U0010ffff"]
    for start in range(0, len(chars), 4096):
        chunk = chars[start : start + 4096]
        assert jcs.canonicalize(chunk) == rfc8785.dumps(chunk)
    with pytest.raises(ValueError, match="surrogate"):
        jcs.canonicalize("\ud800")


def test_non_ascii_member_names_sort_by_utf16_code_units() -> None:
    # U+FF61 sorts before U+1F600 in code points, after it in UTF-16 code units (D83D DE00).
    value = {"\uff61": 2, "\U0001f600": 1, "a": 3}
    assert jcs.canonical_text(value) == '{"a":3,"\U0001f600":1,"\uff61":2}'
