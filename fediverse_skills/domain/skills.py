"""Skill names: what may be a skill, which names are the same skill, and its hashtag.

A person writes "C++", "node.js" or "Machine learning". We keep that display form, compare
skills by a case-folded key, and derive the hashtag Mastodon can show (hashtags hold only
word characters: ``#CPlusPlus``, ``#NodeJS``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 64

# Symbols that carry meaning in skill names, spelled out in hashtags.
_SPELLED = {"+": "Plus", "#": "Sharp", "&": "And", "@": "At"}
_TAXONOMY = re.compile(
    r"https?://(?:data\.europa\.eu/esco/(?:skill|occupation)/[0-9a-f-]{36}"
    r"|www\.wikidata\.org/(?:entity|wiki)/Q[1-9][0-9]{0,11})"
)
# Bidirectional overrides and isolates: they can make a name display as another one.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Scripts whose letters look alike: a word mixing two of them is a look-alike of another
# word (UTS #39 "mixed script" for the scripts people confuse in practice).
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER TSE")."""
    name = unicodedata.name(char, "")
    for script in _CONFUSABLE_SCRIPTS:
        if name.startswith(script + " "):
            return script
    return None


def _mixes_scripts(name: str) -> bool:
    for word in name.split():
        scripts = {_script(c) for c in word if c.isalpha()} - {None}
        if len(scripts) > 1:
            return True
    return False


class InvalidSkill(ValueError):
    """The name cannot be a skill; the message says why."""


@dataclass(frozen=True)
class Skill:
    name: str  # the display form, as its owner wrote it (normalised)
    key: str  # identity: two names with the same key are one skill
    hashtag: str | None  # the Mastodon hashtag, without "#", or None if none can be made
    taxonomy: str | None = None  # an ESCO or Wikidata URI


def normalise(raw: str) -> str:
    """NFKC, trimmed, inner white space collapsed; refuses what cannot be a skill name."""
    if not isinstance(raw, str):
        raise InvalidSkill("a skill name must be text")
    if len(raw) > MAX_LENGTH * 4:
        raise InvalidSkill(f"a skill name has at most {MAX_LENGTH} characters")
    for char in raw:
        if char in _BIDI_CONTROLS:
            raise InvalidSkill("a skill name cannot contain text-direction controls")
        category = unicodedata.category(char)
        if category == "Cc" and char not in " \t":
            raise InvalidSkill("a skill name cannot contain control characters")
        if category in ("Cf", "Co", "Cs", "Cn"):
            raise InvalidSkill("a skill name cannot contain invisible or unassigned characters")
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name:
        raise InvalidSkill("a skill name cannot be empty")
    if len(name) > MAX_LENGTH:
        raise InvalidSkill(f"a skill name has at most {MAX_LENGTH} characters")
    if any(c in name for c in "<>"):
        raise InvalidSkill("a skill name cannot contain < or >")
    if _mixes_scripts(name):
        raise InvalidSkill("a word in a skill name cannot mix Latin, Cyrillic or Greek letters")
    if any(unicodedata.category(c) == "Mn" and 0x0334 <= ord(c) <= 0x0338 for c in name):
        raise InvalidSkill("a skill name cannot contain overlay marks")
    return name


def key(name: str) -> str:
    """The identity of a skill: case-folded, so "Rust", "RUST" and "rust" are one."""
    return normalise(name).casefold()


def hashtag(name: str) -> str | None:
    """The hashtag form: words joined in CamelCase, symbols spelled out.

    ``C++`` → ``CPlusPlus``, ``node.js`` → ``NodeJS``, ``Machine learning`` →
    ``MachineLearning``. Short trailing parts (``js``, ``io``) are upper-cased, as people
    write them. None when nothing usable is left, or only digits (Mastodon needs a letter).
    """
    spelled = "".join(f" {_SPELLED[c]} " if c in _SPELLED else c for c in normalise(name))
    parts = [p for p in re.split(r"[\W_]+", spelled) if p]
    if not parts:
        return None
    words = [parts[0][:1].upper() + parts[0][1:]]
    for part in parts[1:]:
        words.append(part.upper() if len(part) <= 2 else part[:1].upper() + part[1:])
    tag = "".join(words)
    if tag.isdigit() or len(tag) > 100:
        return None
    return tag


def taxonomy_uri(uri: str | None) -> str | None:
    """An ESCO skill/occupation URI or a Wikidata item URI, or None; anything else is
    refused."""
    if uri is None or uri == "":
        return None
    if not _TAXONOMY.fullmatch(uri):
        raise InvalidSkill("the taxonomy link must be an ESCO or a Wikidata URI")
    return uri


def make(raw: str, taxonomy: str | None = None) -> Skill:
    name = normalise(raw)
    return Skill(
        name=name, key=name.casefold(), hashtag=hashtag(name), taxonomy=taxonomy_uri(taxonomy)
    )


def display_for_hashtag(tag: str, known: list[Skill]) -> str:
    """The display form a hashtag stands for: a known skill with that hashtag (case
    ignored), else the tag itself."""
    wanted = tag.lstrip("#").casefold()
    for skill in known:
        if skill.hashtag is not None and skill.hashtag.casefold() == wanted:
            return skill.name
    return tag.lstrip("#")
