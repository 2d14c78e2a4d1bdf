"""Work opportunities on the wire: a ``Note`` Mastodon shows well, carrying the structured
posting for skills-aware servers.

The Note's ``content`` is Mastodon-safe HTML: the title, kind, place, the description,
the skills as hashtags, ``#hiring``, and a link back. Its ``opportunity`` property (our
vocabulary) holds the same posting as data::

    "opportunity": {"type": "Opportunity", "name": TITLE, "opportunityKind": "job",
                    "requiredSkills": [{"type": "Skill", "name": "Rust", "skillKey": "rust"}],
                    "niceSkills": [...], "remote": true, "place": "Berlin", "pay": "...",
                    "contactUrl": "https://...", "status": "open"}

with ``endTime`` on the Note for the expiry. FEP-0837's ``Proposal`` is the nearest
standard; it models market offers rather than postings that need people, so we keep our
own term and say so in FEDERATION.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain import opportunities as rules
from ..domain import skills as skill_rules
from ..domain.skills import InvalidSkill
from . import markup
from .activities import PUBLIC, ref, timestamp
from .media import AS_CONTEXT
from .vocabulary import context_url, normalised_or_none

HIRING = "hiring"


@dataclass(frozen=True)
class WireSkill:
    key: str
    name: str
    required: bool


def _skill_json(skill: WireSkill) -> dict[str, Any]:
    return {"type": "Skill", "name": skill.name, "skillKey": skill.key}


def _content(
    base_url: str,
    *,
    title: str,
    kind: str,
    remote: bool,
    place: str,
    pay: str,
    description: str,
    skills: list[WireSkill],
    url: str,
    state: str,
    expires_at: datetime | None,
) -> str:
    where = ", ".join(x for x in (("remote" if remote else ""), place) if x)
    facts = " · ".join(x for x in (kind.capitalize(), where, pay) if x)
    head = markup.paragraph(
        markup.text(("[Closed] " if state == rules.State.CLOSED else "") + title),
    )
    parts = [head]
    if facts:
        parts.append(markup.paragraph(markup.text(facts)))
    for block in description.split("\n\n"):
        if block.strip():
            parts.append(markup.paragraph(markup.text(block.strip())))
    needed = [s for s in skills if s.required]
    nice = [s for s in skills if not s.required]

    def tags(listed: list[WireSkill]) -> list[str]:
        out: list[str] = []
        for i, s in enumerate(listed):
            if i:
                out.append(markup.text(" "))
            tag = skill_rules.hashtag(s.name)
            out.append(markup.hashtag_link(base_url, tag) if tag else markup.text(s.name))
        return out

    parts.append(markup.paragraph(markup.text("Needs: "), *tags(needed)))
    if nice:
        parts.append(markup.paragraph(markup.text("Nice to have: "), *tags(nice)))
    closing = [markup.hashtag_link(base_url, HIRING), markup.text(" ")]
    if expires_at is not None and state == rules.State.OPEN:
        closing.append(markup.text(f"Open until {expires_at.date().isoformat()}. "))
    closing.append(markup.link(url, "Details and referrals"))
    parts.append(markup.paragraph(*closing))
    return "".join(parts)


def note(
    *,
    base_url: str,
    id: str,
    url: str,
    actor: str,
    followers: str,
    title: str,
    description: str,
    kind: str,
    remote: bool,
    place: str,
    pay: str,
    contact_url: str,
    skills: list[WireSkill],
    state: str,
    published: datetime,
    updated: datetime | None,
    expires_at: datetime | None,
) -> dict[str, Any]:
    """The posting as a Note with its ``@context`` (embed it in a Create or Update)."""
    hashtags = {HIRING: markup.hashtag_tag(base_url, HIRING)}
    for s in skills:
        tag = skill_rules.hashtag(s.name)
        if tag and tag.casefold() not in {t.casefold() for t in hashtags}:
            hashtags[tag] = markup.hashtag_tag(base_url, tag)
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, context_url(base_url)],
        "id": id,
        "type": "Note",
        "attributedTo": actor,
        "to": [PUBLIC],
        "cc": [followers],
        "url": url,
        "published": timestamp(published),
        "content": _content(
            base_url,
            title=title,
            kind=kind,
            remote=remote,
            place=place,
            pay=pay,
            description=description,
            skills=skills,
            url=url,
            state=state,
            expires_at=expires_at,
        ),
        "tag": list(hashtags.values()),
        "opportunity": {
            "type": "Opportunity",
            "name": title,
            "opportunityKind": kind,
            "requiredSkills": [_skill_json(s) for s in skills if s.required],
            "niceSkills": [_skill_json(s) for s in skills if not s.required],
            "remote": remote,
            "status": state,
            **({"place": place} if place else {}),
            **({"pay": pay} if pay else {}),
            **({"contactUrl": contact_url} if contact_url else {}),
        },
    }
    if updated is not None:
        doc["updated"] = timestamp(updated)
    if expires_at is not None:
        doc["endTime"] = timestamp(expires_at)
    return doc


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ReceivedPosting:
    """A posting read from another server's Note (skills normalised by our own rules)."""

    uri: str
    author: str
    title: str
    description: str
    kind: str
    remote: bool
    place: str
    pay: str
    contact_url: str
    state: str
    skills: tuple[WireSkill, ...]
    expires_at: datetime | None


def _str(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _skills(value: Any, *, required: bool, limit: int) -> list[WireSkill]:
    found: dict[str, WireSkill] = {}
    for item in value if isinstance(value, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            continue
        try:
            made = skill_rules.make(name)
        except InvalidSkill:
            continue
        found.setdefault(made.key, WireSkill(made.key, made.name, required))
        if len(found) >= limit:
            break
    return list(found.values())


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def read(obj: dict[str, Any]) -> ReceivedPosting | None:
    """The posting in a received Note, or None when it carries none (an ordinary post).

    Oversized lists are cut to our own limits (a remote server's posting is shown, not
    edited); a posting without any usable required skill is not a posting."""
    doc = normalised_or_none(obj)
    if doc is None:
        return None
    data = doc.get("opportunity")
    uri = ref(doc)
    author = ref(doc.get("attributedTo"))
    if not isinstance(data, dict) or data.get("type") != "Opportunity" or not uri or not author:
        return None
    required = _skills(data.get("requiredSkills"), required=True, limit=rules.MAX_REQUIRED)
    if not required:
        return None
    wanted = {s.key for s in required}
    nice = [
        s
        for s in _skills(data.get("niceSkills"), required=False, limit=rules.MAX_NICE)
        if s.key not in wanted
    ]
    kind = data.get("opportunityKind")
    status = data.get("status")
    contact = _str(data.get("contactUrl"), rules.MAX_URL)
    return ReceivedPosting(
        uri=uri,
        author=author,
        title=_str(data.get("name"), rules.MAX_TITLE) or "(untitled)",
        description=markup.plain_text(str(doc.get("content") or ""))[: rules.MAX_DESCRIPTION],
        kind=kind if isinstance(kind, str) and kind in set(rules.Kind) else rules.Kind.JOB.value,
        remote=data.get("remote") is True,
        place=_str(data.get("place"), rules.MAX_PLACE),
        pay=_str(data.get("pay"), rules.MAX_PAY),
        contact_url=contact if contact.startswith(("https://", "http://")) else "",
        state=rules.State.CLOSED.value if status == "closed" else rules.State.OPEN.value,
        skills=(*required, *nice),
        expires_at=_time(doc.get("endTime")),
    )
