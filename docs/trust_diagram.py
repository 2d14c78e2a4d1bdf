"""Draw docs/trust-example.svg: a small network, the trust each person gets from "you",
and the scores of alice's skills, all computed by fediverse_skills.domain.trust.

    .venv/bin/python docs/trust_diagram.py        (rewrites docs/trust-example.svg)

tests/test_docs.py checks that the committed picture is what this script draws.
"""

from __future__ import annotations

import html
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fediverse_skills.domain.trust import (  # noqa: E402
    Endorsement,
    Signal,
    TrustGraph,
    skill_scores,
)

OUT = ROOT / "docs" / "trust-example.svg"


def actor(name: str) -> str:
    server = "sybil.example" if name.startswith("fake") else "a.example"
    if name in ("bob", "carol"):
        server = "b.example"
    return f"https://{server}/users/{name}"


# (x, y) on the canvas for each person
PLACES = {
    "you": (90, 200),
    "dana": (250, 110),
    "eve": (250, 290),
    "carol": (420, 110),
    "bob": (420, 290),
    "alice": (600, 200),
    "gina": (600, 360),
    **{f"fake{i}": (790 + 70 * (i % 2), 90 + 55 * i) for i in range(6)},
}

FOLLOWS = [("you", "dana"), ("you", "eve"), ("dana", "carol"), ("eve", "bob"),
           ("eve", "gina"), ("alice", "dana"), ("gina", "eve"), ("bob", "eve"),
           ("carol", "dana"), ("bob", "carol"), ("bob", "fake0")]  # fmt: skip
ENDORSEMENTS = [
    ("carol", "alice", "rust", "reviewed every PR"),
    ("bob", "alice", "rust", "paired on the parser"),
    ("gina", "alice", "go", "we trade endorsements"),
    ("alice", "gina", "go", ""),  # alice endorses gina back: a reciprocal pair
    *((f"fake{i}", "alice", "go", "") for i in range(6)),
]
SYBIL_LINKS = [(f"fake{i}", f"fake{j}") for i in range(6) for j in range(6) if i != j]


def compute() -> tuple[dict[str, float], dict[str, float]]:
    signals = [Signal(actor(a), actor(b), "follow") for a, b in FOLLOWS + SYBIL_LINKS]
    signals += [Signal(actor(a), actor(b), "endorsement", s) for a, b, s, _ in ENDORSEMENTS]
    graph = TrustGraph.build(signals)
    vector = graph.trust([actor("you")])
    trust = {name: float(vector[graph.index[actor(name)]]) for name in PLACES}
    about_alice = [
        Endorsement(actor(a), s, "endorsement", c) for a, b, s, c in ENDORSEMENTS if b == "alice"
    ]
    endorsed_by_alice = frozenset(actor(b) for a, b, _, _ in ENDORSEMENTS if a == "alice")
    scores = skill_scores(
        actor("alice"),
        about_alice,
        {actor(n): t for n, t in trust.items()},
        endorsed_by_alice,
    )
    return trust, {skill: s.score for skill, s in scores.items()}


def _arrow(a: str, b: str, colour: str, dashed: bool = False) -> str:
    (x1, y1), (x2, y2) = PLACES[a], PLACES[b]
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    sx, sy, ex, ey = x1 + ux * 26, y1 + uy * 26, x2 - ux * 30, y2 - uy * 30
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (
        f'<line x1="{sx:.0f}" y1="{sy:.0f}" x2="{ex:.0f}" y2="{ey:.0f}" stroke="{colour}" '
        f'stroke-width="2"{dash} marker-end="url(#arrow-{colour.lstrip("#")})"/>'
    )


def draw() -> str:
    trust, scores = compute()
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="1060" height="470" '
        'viewBox="0 0 1060 470" font-family="sans-serif" font-size="13">',
        '<rect width="1060" height="470" fill="#ffffff"/>',
        "<defs>",
    ]
    for colour in ("#888888", "#2a7ab0", "#c0392b"):
        parts.append(
            f'<marker id="arrow-{colour.lstrip("#")}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    parts.append(
        '<rect x="755" y="60" width="175" height="350" rx="12" fill="#fdecea" stroke="#c0392b"/>'
    )
    parts.append('<text x="842" y="432" text-anchor="middle" fill="#c0392b">sybil.example: '
                 "fake accounts</text>")  # fmt: skip
    for a, b in FOLLOWS:
        attack = b.startswith("fake")
        parts.append(_arrow(a, b, "#c0392b" if attack else "#888888", attack))
    for a, b, _, _ in ENDORSEMENTS:
        if not a.startswith("fake"):
            parts.append(_arrow(a, b, "#2a7ab0"))
    for i in range(6):
        parts.append(_arrow(f"fake{i}", "alice", "#c0392b"))
    for name, (x, y) in PLACES.items():
        radius = 12 + 4 * math.sqrt(max(trust[name], 0.0))
        fill = "#f5b7b1" if name.startswith("fake") else "#d6eaf8"
        if name == "you":
            fill = "#abebc6"
        parts.append(f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="{fill}" stroke="#34495e"/>')
        label = "" if name.startswith("fake") else html.escape(name)
        parts.append(f'<text x="{x}" y="{y + radius + 15:.0f}" text-anchor="middle">'
                     f"{label} {trust[name]:.2f}</text>")  # fmt: skip
    parts.append(
        '<text x="20" y="30" font-size="15">Trust each person gets from "you" (circle size), '
        "follows grey, endorsements blue</text>"
    )
    parts.append(
        f'<text x="20" y="455" font-size="15">alice\'s skills as "you" see them: Rust '
        f"{scores.get('rust', 0):.2f}, Go {scores.get('go', 0):.2f} (gina, whom she endorses back, "
        "counts 0.4; six fake accounts reach her only through bob's one follow)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    OUT.write_text(draw(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
