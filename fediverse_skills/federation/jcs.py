"""RFC 8785 JSON Canonicalization Scheme (JCS).

Input is parsed JSON (dict, list, str, int, float, bool, None). Output has object
members sorted by their names' UTF-16 code units, no whitespace, strings escaped as
ECMAScript's ``JSON.stringify`` does, and numbers written as ECMAScript's
``Number.prototype.toString`` writes IEEE 754 doubles.

JCS treats every number as a double. An int beyond 2**53 is therefore written as the
nearest double, as a JavaScript implementation that parsed the same JSON would write it
(Python parses ``9100000000000000000`` as an int). Ints beyond the double range, NaN and
the infinities raise ``ValueError``, as do lone surrogates in strings (not I-JSON).
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring
from typing import Any

_MAX_SAFE = 2**53
# The standard library's (C) JSON string escaper writes exactly what ECMAScript's
# JSON.stringify writes for well-formed strings: the short escapes for " \\ \b \f \n \r \t,
# lower-case \u00xx for other controls, and every other character as itself. Lone
# surrogates are refused afterwards, when the text is encoded as UTF-8.
_string = encode_basestring


def canonicalize(value: Any) -> bytes:
    """The JCS form of ``value`` as UTF-8 bytes."""
    return canonical_text(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """The JCS form of ``value`` as text."""
    out: list[str] = []
    _write(value, out)
    text = "".join(out)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate") from None
    return text


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        if abs(value) <= _MAX_SAFE:
            out.append(str(value))
        else:
            try:
                out.append(number(float(value)))
            except OverflowError:
                raise ValueError("integer out of the IEEE 754 double's range") from None
    elif isinstance(value, float):
        out.append(number(value))
    elif isinstance(value, dict):
        ascii_only = True
        for key in value:
            if not isinstance(key, str):
                raise ValueError("object member names must be strings")
            ascii_only = ascii_only and key.isascii()
        # Code point order is UTF-16 code unit order for ASCII names (the usual case).
        names = sorted(value) if ascii_only else sorted(value, key=_utf16_key)
        out.append("{")
        for i, key in enumerate(names):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise ValueError(f"not a JSON value: {type(value).__name__}")


def _utf16_key(name: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as the sequence of code units does.
    return name.encode("utf-16-be", "surrogatepass")


def number(value: float) -> str:
    """ECMAScript ``Number.prototype.toString`` for a finite double."""
    if not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires.
    text = repr(abs(value))
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    point = len(int_part) + exponent  # value = 0.<digits> * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = f"e+{e}" if e >= 0 else f"e-{-e}"
        body = digits + exp if k == 1 else digits[0] + "." + digits[1:] + exp
    return sign + body
