"""Parsing JSON from strangers: bounded size, depth and numbers, no duplicate keys."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BYTES = 1_048_576
MAX_DEPTH = 64
MAX_INT_DIGITS = 100

# A JSON string, or one bracket. Strings are skipped whole so that brackets inside them do
# not count. Possessive quantifiers: no backtracking on long or unterminated strings.
_STRUCTURE = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{}]', re.DOTALL)


class JsonError(ValueError):
    """The document is not acceptable JSON; the message says why."""


def _depth_ok(text: str, limit: int) -> bool:
    """Check bracket nesting before parsing, so deep input cannot exhaust the parser."""
    if text.count("{") + text.count("[") <= limit:
        return True  # cannot nest deeper than it has brackets
    depth = 0
    for match in _STRUCTURE.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # built in C; a repeated key makes it shorter than the pairs
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonError(f"duplicate key {key[:50]!r}")
            seen.add(key)
    return result


def _parse_int(digits: str) -> int:
    # Independent of sys.set_int_max_str_digits: a huge integer is refused, never converted.
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonError(f"integer with {len(digits)} digits")
    return int(digits)


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def loads_object(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """Parse untrusted ``data`` whose top level must be an object, or raise JsonError.

    Refused: more than ``max_bytes``, invalid UTF-8 or JSON, nesting deeper than
    ``max_depth``, duplicate keys, NaN/Infinity, integers of more than
    :data:`MAX_INT_DIGITS` digits, and strings holding a NUL or a lone surrogate.
    """
    if len(data) > max_bytes:
        raise JsonError("document too large")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise JsonError("the body is not UTF-8") from None
    if not _depth_ok(text, max_depth):
        raise JsonError(f"JSON nested deeper than {max_depth}")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
        )
    except JsonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonError(f"invalid JSON: {str(exc)[:200]}") from None
    if not isinstance(value, dict):
        raise JsonError("the JSON top level is not an object")
    if "\\u" in text:  # only an escape can make a NUL or a lone surrogate
        problem = unstorable(value)
        if problem is not None:
            raise JsonError(problem)
    return value


def unstorable(value: Any) -> str | None:
    """Why a parsed document holds a string no database takes, or None. JSON escapes can
    spell a NUL (``\\u0000``, refused by PostgreSQL) or a lone surrogate (``\\ud800``,
    which no UTF-8 encoder takes); so can the raw bytes ``json.loads`` decodes with
    surrogatepass."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return (
                    "a string holds a NUL character (\\u0000): control characters cannot be stored"
                )
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds a lone surrogate (\\ud800-\\udfff escape)"
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
