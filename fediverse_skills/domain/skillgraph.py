"""A server-side SVG picture of who vouches for which of a person's skills.

Layout, left to right: the people who vouch (one node each, however many skills they vouch
for), the skills in the order given (strongest first, fill darker with the level, the level
written as "n/5"), and the owner. Each person has one edge to each skill they vouch for; the
line style says how: solid = signed, dashed = attested, dotted = suggested. A legend says so in
words. Everything is computed from the input alone, so the same input gives the same bytes.

Everything user-supplied is cleaned (control and bidi-override characters removed) and escaped;
the only outward references are `<a href>` around people whose URL is http(s).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("signed", "attested", "suggested")  # strongest first
MAX_LEVEL = 5
MAX_TITLE = 300  # characters kept in a <title>, a safety net against absurd input
MAX_URL = 2048

FONT_FAMILY = "system-ui, sans-serif"
FONT_SIZE = 13
BOLD = 1.15  # how much wider bold text is, generously

# Geometry (px).
MARGIN = 16
PERSON_W = 260
EDGE_GAP = 110
SKILL_W = 240
OWNER_GAP = 70
OWNER_W = 200
ROW = 32
NODE_H = 24
TEXT_PAD = 10
GRAPH_TOP = 72
LEGEND_ROW = 20

PERSON_X = MARGIN
SKILL_X = PERSON_X + PERSON_W + EDGE_GAP
OWNER_X = SKILL_X + SKILL_W + OWNER_GAP
WIDTH = OWNER_X + OWNER_W + MARGIN

# Colours; every text colour has at least 4.5:1 contrast against the fill it sits on.
BACKGROUND = "#ffffff"
INK = "#0f172a"
MUTED = "#475569"
PERSON_FILL = "#ffffff"
PERSON_STROKE = "#64748b"
OWNER_FILL = "#0f172a"
OWNER_INK = "#ffffff"
CONNECTOR = "#94a3b8"
# (fill, text) per level 0..5, the fill darkening with the level.
LEVEL_COLOURS = (
    ("#f1f5f9", "#0f172a"),
    ("#dbeafe", "#0f172a"),
    ("#bfdbfe", "#0f172a"),
    ("#93c5fd", "#0f172a"),
    ("#2563eb", "#ffffff"),
    ("#1e3a8a", "#ffffff"),
)
# kind -> (stroke, width, dash array or None, legend text)
EDGE_STYLES: dict[str, tuple[str, str, str | None, str]] = {
    "signed": ("#1d4ed8", "2", None, "solid line: signed, an endorsement with their own proof"),
    "attested": ("#6d28d9", "1.5", "6 4", "dashed line: attested, only their server vouches"),
    "suggested": ("#475569", "1.5", "0.5 4", "dotted line: suggested, they suggested the skill"),
}


@dataclass(frozen=True)
class Voucher:
    handle: str  # e.g. "@bob@b.example"
    url: str  # their profile/actor URL; linked only when http(s)
    kind: str  # "signed", "attested" or "suggested"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of voucher {self.kind!r}; one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class GraphSkill:
    name: str  # display name, e.g. "Rust" or "C++"
    level: int  # 0..5; values outside are clamped
    vouchers: tuple[Voucher, ...]


# ---------------------------------------------------------------------------------------------
# Text: cleaning, escaping, width estimates and truncation.

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
_CONTROL = ("Cc", "Cs")


def clean(text: str) -> str:
    """Remove control, surrogate, non-XML and bidi embedding/override/isolate characters;
    collapse whitespace. Bidi marks (LRM, RLM, ALM) and joiners stay."""
    kept: list[str] = []
    for char in text:
        if char in _WHITESPACE_CONTROLS:
            kept.append(" ")
        elif char in _BIDI_CONTROLS or char in "\ufffe\uffff":
            continue
        elif unicodedata.category(char) not in _CONTROL:
            kept.append(char)
    return " ".join("".join(kept).split())


def escape(text: str) -> str:
    """Escape for XML text and for attribute values in either kind of quotes."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def safe_url(url: str) -> str | None:
    """The URL when it is a plain absolute http(s) URL, else None."""
    if not url or len(url) > MAX_URL or url != url.strip():
        return None
    if any(c.isspace() or c in _BIDI_CONTROLS or unicodedata.category(c) in _CONTROL for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _joins_previous(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == "\u200d"  # zero-width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
    )


def _clusters(text: str) -> list[str]:
    """Split into user-perceived characters, closely enough not to cut one in half."""
    clusters: list[str] = []
    for char in text:
        if clusters and (_joins_previous(char) or clusters[-1].endswith("\u200d")):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _char_em(char: str) -> float:
    """A width estimate in em, generous enough for wide fallback faces such as DejaVu Sans, so
    that text estimated to fit does fit."""
    if _joins_previous(char) or unicodedata.category(char) == "Cf":
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.05
    if char in "il.,:;'|!j`·":
        return 0.35
    if char in "mwMW@%&…—":
        return 1.0
    if char.isupper():
        return 0.8
    if char == " ":
        return 0.35
    return 0.65


def _cluster_em(cluster: str) -> float:
    # A joined sequence (e.g. a family emoji) may fall back to one glyph per part: count all.
    return sum(_char_em(char) for char in cluster)


def text_width(text: str, font_size: float) -> float:
    """Estimated width in px of `text` at `font_size`, on the generous side."""
    return sum(_char_em(char) for char in text) * font_size


def fit(text: str, max_px: float, font_size: float) -> str:
    """`text` itself when it fits in `max_px`, else as much as fits followed by an ellipsis."""
    if text_width(text, font_size) <= max_px:
        return text
    budget = max_px - _char_em("…") * font_size
    kept = ""
    used = 0.0
    for cluster in _clusters(text):
        width = _cluster_em(cluster) * font_size
        if used + width > budget:
            break
        kept += cluster
        used += width
    return kept.rstrip() + "…"


def _title_text(text: str) -> str:
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


# ---------------------------------------------------------------------------------------------
# The graph's model: drawn skills, drawn people, edges.


@dataclass(frozen=True)
class _Person:
    handle: str  # as given, the person's identity
    url: str | None  # http(s) only
    count: int  # how many of the drawn skills they vouch for


def _strongest(vouchers: Sequence[Voucher]) -> dict[str, Voucher]:
    """One voucher per handle, keeping the strongest kind (and the first one of that kind)."""
    best: dict[str, Voucher] = {}
    for voucher in vouchers:
        current = best.get(voucher.handle)
        if current is None or KINDS.index(voucher.kind) < KINDS.index(current.kind):
            best[voucher.handle] = voucher
    return best


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _skill_summary(name: str, level: int, by_handle: dict[str, Voucher]) -> str:
    head = f"{name}, level {level} of {MAX_LEVEL}"
    if not by_handle:
        return f"{head} — nobody vouches yet"
    kinds = [v.kind for v in by_handle.values()]
    counts = [f"{kinds.count(kind)} {kind}" for kind in KINDS if kind in kinds]
    return f"{head} — {_plural(len(by_handle), 'person', 'people')} ({', '.join(counts)})"


def _num(value: float) -> str:
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


def _spread(index: int, count: int) -> float:
    """Vertical offset of the index-th of count edge ends on one node side, centred."""
    if count <= 1:
        return 0.0
    step = min(4.0, (NODE_H - 8) / (count - 1))
    return (index - (count - 1) / 2) * step


# ---------------------------------------------------------------------------------------------
# Rendering.


def _stroke(kind: str) -> str:
    """Stroke attributes of an edge of this kind."""
    stroke, width, dash, _words = EDGE_STYLES[kind]
    attrs = f'stroke="{stroke}" stroke-width="{width}"'
    if dash:
        attrs += f' stroke-dasharray="{dash}"'
    if kind == "suggested":
        attrs += ' stroke-linecap="round"'  # round caps turn the short dashes into dots
    return attrs


def _svg_open(width: int, height: int, ident: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">'
    )


def _text(x: float, y: float, content: str, fill: str, extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" fill="{fill}"{extra}>{escape(content)}</text>'


def render_svg(
    owner: str, skills: Sequence[GraphSkill], *, max_skills: int = 12, max_people: int = 24
) -> str:
    """The skill graph of `owner` as a standalone SVG document (a string).

    At most `max_skills` skills (the first ones, in the given order) and `max_people` people are
    drawn; people are those vouching for a drawn skill, ordered by how many drawn skills they
    vouch for, then by handle. What is left out is counted in an "and N more" line.
    """
    if max_skills < 1 or max_people < 0:
        raise ValueError("max_skills must be at least 1 and max_people at least 0")
    owner_label = clean(owner) or "this person"
    ident = "sg-" + hashlib.sha256(owner.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    heading = f"Skills of {owner_label} and who vouches for them"

    if not skills:
        return _render_empty(owner_label, ident)

    drawn = list(skills[:max_skills])
    hidden_skills = len(skills) - len(drawn)
    per_skill = [_strongest(skill.vouchers) for skill in drawn]
    levels = [max(0, min(MAX_LEVEL, skill.level)) for skill in drawn]
    names = [_title_text(clean(skill.name) or "(unnamed skill)") for skill in drawn]

    counts: dict[str, int] = {}
    urls: dict[str, str | None] = {}
    for by_handle in per_skill:
        for handle, voucher in by_handle.items():
            counts[handle] = counts.get(handle, 0) + 1
            if urls.get(handle) is None:
                urls[handle] = safe_url(voucher.url)
    ranked = sorted(counts, key=lambda h: (-counts[h], h.casefold(), h))
    people = [_Person(h, urls[h], counts[h]) for h in ranked[:max_people]]
    hidden_people = len(ranked) - len(people)
    person_index = {p.handle: i for i, p in enumerate(people)}

    # Edges: (person index, skill index, kind), only between drawn nodes.
    edges = sorted(
        (person_index[handle], s, voucher.kind)
        for s, by_handle in enumerate(per_skill)
        for handle, voucher in by_handle.items()
        if handle in person_index
    )

    # Rows and vertical positions; each column centred in the graph area.
    person_rows = len(people) + (1 if hidden_people else 0)
    skill_rows = len(drawn) + (1 if hidden_skills else 0)
    rows = max(person_rows, skill_rows, 1)

    def top(column_rows: int) -> int:
        return GRAPH_TOP + (rows - column_rows) * ROW // 2

    person_top = top(person_rows)
    skill_top = top(skill_rows)
    person_y = [person_top + i * ROW for i in range(len(people))]
    skill_y = [skill_top + i * ROW for i in range(len(drawn))]
    owner_y = top(1)
    legend_top = GRAPH_TOP + rows * ROW + 12
    height = legend_top + len(KINDS) * LEGEND_ROW + MARGIN

    summary = "; ".join(
        _skill_summary(name, level, by_handle)
        for name, level, by_handle in zip(names, levels, per_skill, strict=True)
    )
    desc = f"{heading}: {summary}."
    if hidden_skills:
        desc += f" And {_plural(hidden_skills, 'more skill', 'more skills')}."
    if hidden_people:
        desc += f" {_plural(hidden_people, 'more person vouches', 'more people vouch')}."

    out = [
        _svg_open(WIDTH, height, ident),
        f'<title id="{ident}-title">{escape(_title_text(heading))}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>',
        _text(
            MARGIN,
            34,
            fit(heading, WIDTH - 2 * MARGIN, 16 * BOLD),
            INK,
            ' font-size="16" font-weight="bold"',
        ),
        _text(PERSON_X, 58, "Who vouches", MUTED, ' font-size="12"'),
        _text(SKILL_X, 58, "Skills, strongest first", MUTED, ' font-size="12"'),
        _text(OWNER_X, 58, "Profile", MUTED, ' font-size="12"'),
    ]

    # Connectors from each skill to the owner, under everything else.
    out.append(f'<g class="connectors" stroke="{CONNECTOR}" stroke-width="1" fill="none">')
    for s, y in enumerate(skill_y):
        x1, y1 = SKILL_X + SKILL_W, y + NODE_H / 2
        x2, y2 = OWNER_X, owner_y + NODE_H / 2 + _spread(s, len(drawn))
        mid = (x1 + x2) / 2
        out.append(
            f'<path d="M{_num(x1)} {_num(y1)}C{_num(mid)} {_num(y1)} '
            f'{_num(mid)} {_num(y2)} {_num(x2)} {_num(y2)}"/>'
        )
    out.append("</g>")

    # Vouching edges, one group per kind, the weakest drawn first so the strongest are on top.
    outgoing: dict[int, list[int]] = {}
    incoming: dict[int, list[int]] = {}
    for p, s, _kind in edges:
        outgoing.setdefault(p, []).append(s)
        incoming.setdefault(s, []).append(p)
    for kind in reversed(KINDS):
        out.append(f'<g class="edges" data-kind="{kind}" {_stroke(kind)} fill="none">')
        for p, s, edge_kind in edges:
            if edge_kind != kind:
                continue
            x1 = PERSON_X + PERSON_W
            y1 = person_y[p] + NODE_H / 2 + _spread(outgoing[p].index(s), len(outgoing[p]))
            x2 = SKILL_X
            y2 = skill_y[s] + NODE_H / 2 + _spread(incoming[s].index(p), len(incoming[s]))
            mid = (x1 + x2) / 2
            out.append(
                f'<path d="M{_num(x1)} {_num(y1)}C{_num(mid)} {_num(y1)} '
                f'{_num(mid)} {_num(y2)} {_num(x2)} {_num(y2)}" data-p="{p}" data-s="{s}"/>'
            )
        out.append("</g>")

    # People.
    for p, person in enumerate(people):
        y = person_y[p]
        label = clean(person.handle) or "(unnamed)"
        skills_word = _plural(person.count, "skill", "skills")
        body = (
            f'<rect x="{PERSON_X}" y="{y}" width="{PERSON_W}" height="{NODE_H}" rx="6" '
            f'fill="{PERSON_FILL}" stroke="{PERSON_STROKE}"/>'
            + _text(
                PERSON_X + TEXT_PAD,
                y + 17,
                fit(label, PERSON_W - 2 * TEXT_PAD, FONT_SIZE),
                INK,
            )
        )
        if person.url is not None:
            body = f'<a href="{escape(person.url)}">{body}</a>'
        out.append(
            f'<g class="person" data-p="{p}">'
            f"<title>{escape(_title_text(f'{label} — vouches for {skills_word}'))}</title>"
            f"{body}</g>"
        )
    if hidden_people:
        more = f"and {_plural(hidden_people, 'more person', 'more people')}"
        out.append(_text(PERSON_X + TEXT_PAD, person_top + len(people) * ROW + 17, more, MUTED))

    # Skills.
    for s, (name, level, by_handle) in enumerate(zip(names, levels, per_skill, strict=True)):
        y = skill_y[s]
        fill, ink = LEVEL_COLOURS[level]
        level_text = f"{level}/{MAX_LEVEL}"
        level_w = text_width(level_text, FONT_SIZE * BOLD)
        name_w = SKILL_W - 3 * TEXT_PAD - level_w
        title = _title_text(_skill_summary(name, level, by_handle))
        out.append(
            f'<g class="skill" data-s="{s}" data-level="{level}">'
            f"<title>{escape(title)}</title>"
            f'<rect x="{SKILL_X}" y="{y}" width="{SKILL_W}" height="{NODE_H}" rx="12" '
            f'fill="{fill}"/>'
            + _text(SKILL_X + TEXT_PAD + 2, y + 17, fit(name, name_w, FONT_SIZE), ink)
            + _text(
                SKILL_X + SKILL_W - TEXT_PAD - 2,
                y + 17,
                level_text,
                ink,
                ' text-anchor="end" font-weight="bold"',
            )
            + "</g>"
        )
    if hidden_skills:
        more = f"and {_plural(hidden_skills, 'more skill', 'more skills')}"
        out.append(_text(SKILL_X + TEXT_PAD, skill_top + len(drawn) * ROW + 17, more, MUTED))

    # The owner.
    out.append(
        f'<g class="owner"><title>{escape(_title_text(owner_label))}</title>'
        f'<rect x="{OWNER_X}" y="{owner_y}" width="{OWNER_W}" height="{NODE_H}" rx="12" '
        f'fill="{OWNER_FILL}"/>'
        + _text(
            OWNER_X + TEXT_PAD + 2,
            owner_y + 17,
            fit(owner_label, OWNER_W - 2 * TEXT_PAD - 4, FONT_SIZE * BOLD),
            OWNER_INK,
            ' font-weight="bold"',
        )
        + "</g>"
    )

    # The legend.
    out.append('<g class="legend">')
    for i, kind in enumerate(KINDS):
        y = legend_top + i * LEGEND_ROW
        out.append(
            f'<g data-kind="{kind}">'
            f'<path d="M{MARGIN} {y + 10}H{MARGIN + 40}" {_stroke(kind)} fill="none"/>'
            + _text(MARGIN + 50, y + 14, EDGE_STYLES[kind][3], MUTED)
            + "</g>"
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _render_empty(owner_label: str, ident: str) -> str:
    width, height = 360, 64
    message = f"{owner_label} has no skills yet."
    return (
        "\n".join(
            [
                _svg_open(width, height, ident),
                f'<title id="{ident}-title">'
                f"{escape(_title_text(f'Skills of {owner_label}'))}</title>",
                f'<desc id="{ident}-desc">{escape(_title_text(message))}</desc>',
                f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>',
                _text(MARGIN, 37, fit(message, width - 2 * MARGIN, FONT_SIZE), MUTED),
                "</svg>",
            ]
        )
        + "\n"
    )
