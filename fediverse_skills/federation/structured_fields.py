"""Structured Field Values for HTTP (RFC 8941), as far as signatures and digests need them.

``Signature-Input``, ``Signature`` (RFC 9421) and ``Content-Digest`` (RFC 9530) are
Dictionaries whose members are Items or Inner Lists with Parameters. Strings may contain
commas, semicolons and parentheses, so they must be tokenised, never split with a regex.
Parsing is strict: any deviation from the grammar raises :class:`StructuredFieldError`.
Dates and Display Strings (RFC 9651) are not supported.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "BareItem",
    "InnerList",
    "Item",
    "Member",
    "Params",
    "StructuredFieldError",
    "Token",
    "is_key",
    "parse_dictionary",
    "parse_item",
    "parse_list",
    "serialize_inner_list",
    "serialize_item",
]


class StructuredFieldError(ValueError):
    """The field value does not follow RFC 8941."""


class Token(str):
    """An sf-token, kept apart from an sf-string (``foo`` is not ``"foo"``)."""

    __slots__ = ()


BareItem = bool | int | Decimal | str | bytes  # str includes Token
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


Member = Item | InnerList

_LCALPHA = frozenset(string.ascii_lowercase)
_KEY_FIRST = _LCALPHA | {"*"}
_KEY_CHARS = _LCALPHA | frozenset(string.digits) | {"_", "-", ".", "*"}
_TCHAR = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_TOKEN_CHARS = _TCHAR | {":", "/"}
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "+/=")
_MAX_INT = 999_999_999_999_999


def is_key(text: str) -> bool:
    """Whether ``text`` is a valid sf key (lowercase letters, digits, ``_-.*``)."""
    return bool(text) and text[0] in _KEY_FIRST and all(c in _KEY_CHARS for c in text)


class _Parser:
    def __init__(self, text: str) -> None:
        # RFC 8941 §4.2: leading and trailing SP are discarded before parsing.
        self.s = text.strip(" ")
        self.i = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at offset {self.i}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def done(self) -> bool:
        return self.i >= len(self.s)

    def skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def expect_end(self) -> None:
        if not self.done():
            raise self.fail("unexpected trailing characters")

    def member(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: list[Item] = []
        while not self.done():
            self.skip(" ")
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ')' in inner list")
        raise self.fail("unterminated inner list")

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.i += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        start = self.i
        if self.peek() not in _KEY_FIRST or self.done():
            raise self.fail("expected a key")
        while not self.done() and self.s[self.i] in _KEY_CHARS:
            self.i += 1
        return self.s[start : self.i]

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == "-" or (c and c in string.digits):
            return self.number()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if c and (c in string.ascii_letters or c == "*"):
            return self.token()
        raise self.fail("expected an item")

    def number(self) -> int | Decimal:
        start = self.i
        if self.peek() == "-":
            self.i += 1
        digits_start = self.i
        self.skip(string.digits)
        int_digits = self.i - digits_start
        if int_digits == 0:
            raise self.fail("expected a digit")
        if self.peek() != ".":
            if int_digits > 15:
                raise self.fail("integer too long")
            return int(self.s[start : self.i])
        if int_digits > 12:
            raise self.fail("decimal too long")
        self.i += 1
        frac_start = self.i
        self.skip(string.digits)
        if not 1 <= self.i - frac_start <= 3:
            raise self.fail("decimal needs 1 to 3 fractional digits")
        return Decimal(self.s[start : self.i])

    def string(self) -> str:
        self.i += 1  # opening quote
        out: list[str] = []
        while not self.done():
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\") or not nxt:
                    raise self.fail("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not " " <= c <= "~":
                raise self.fail("invalid character in string")
            else:
                out.append(c)
        raise self.fail("unterminated string")

    def token(self) -> Token:
        start = self.i
        self.i += 1
        while not self.done() and self.s[self.i] in _TOKEN_CHARS:
            self.i += 1
        return Token(self.s[start : self.i])

    def byte_sequence(self) -> bytes:
        end = self.s.find(":", self.i + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        text = self.s[self.i + 1 : end]
        if any(c not in _B64_CHARS for c in text):
            raise self.fail("invalid base64 in byte sequence")
        self.i = end + 1
        try:
            # RFC 8941 §4.2.7: parsers SHOULD accept missing padding.
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise self.fail("invalid base64 in byte sequence") from None

    def boolean(self) -> bool:
        value = self.s[self.i + 1 : self.i + 2]
        if value not in ("0", "1"):
            raise self.fail("invalid boolean")
        self.i += 2
        return value == "1"


def parse_item(text: str) -> Item:
    p = _Parser(text)
    result = p.item()
    p.expect_end()
    return result


def parse_list(text: str) -> list[Member]:
    p = _Parser(text)
    members: list[Member] = []
    while not p.done():
        members.append(p.member())
        p.skip(" \t")
        if p.done():
            break
        if p.peek() != ",":
            raise p.fail("expected ','")
        p.i += 1
        p.skip(" \t")
        if p.done():
            raise p.fail("trailing comma")
    return members


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a Dictionary; a repeated key keeps its first position and its last value."""
    p = _Parser(text)
    members: dict[str, Member] = {}
    while not p.done():
        key = p.key()
        if p.peek() == "=":
            p.i += 1
            members[key] = p.member()
        else:
            members[key] = Item(True, p.params())
        p.skip(" \t")
        if p.done():
            break
        if p.peek() != ",":
            raise p.fail("expected ','")
        p.i += 1
        p.skip(" \t")
        if p.done():
            raise p.fail("trailing comma")
    return members


def _serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > _MAX_INT:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, Decimal):
        rounded = value.quantize(Decimal("0.001"))
        text = format(rounded, "f").rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, Token):
        if not value or value[0] not in _TCHAR or any(c not in _TOKEN_CHARS for c in value):
            raise StructuredFieldError("invalid token")
        return str(value)
    if isinstance(value, str):
        if any(not " " <= c <= "~" for c in value):
            raise StructuredFieldError("invalid character in string")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def _serialize_params(params: Params) -> str:
    out: list[str] = []
    for key, value in params.items():
        if not is_key(key):
            raise StructuredFieldError(f"invalid key {key!r}")
        out.append(f";{key}" if value is True else f";{key}={_serialize_bare_item(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return _serialize_bare_item(item.value) + _serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    """Serialise ``(item item);param=...``, the form of ``@signature-params``."""
    items = " ".join(serialize_item(i) for i in inner.items)
    return f"({items}){_serialize_params(inner.params)}"
