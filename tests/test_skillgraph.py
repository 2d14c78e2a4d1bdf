"""The SVG skill graph: layout, caps, accessibility and safety of user-supplied text."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from fediverse_skills.domain import skillgraph
from fediverse_skills.domain.skillgraph import GraphSkill, Voucher, render_svg

NS = "{http://www.w3.org/2000/svg}"
OWNER = "@alice@a.example"

BOB = ("@bob@b.example", "https://b.example/users/bob")
CAROL = ("@carol@c.example", "https://c.example/@carol")
DAN = ("@dan@d.example", "http://d.example/users/dan")


def small_graph() -> list[GraphSkill]:
    return [
        GraphSkill("Rust", 4, (Voucher(*BOB, "signed"), Voucher(*CAROL, "attested"))),
        GraphSkill("C++", 2, (Voucher(*BOB, "suggested"), Voucher(*DAN, "attested"))),
    ]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{NS}svg"
    return root


def nodes(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == cls]


def edges(root: ET.Element) -> list[tuple[str, ET.Element]]:
    """(kind, path) for every vouching edge."""
    return [
        (group.get("data-kind", ""), path)
        for group in nodes(root, "edges")
        for path in group.iter(f"{NS}path")
    ]


def title_of(node: ET.Element) -> str:
    title = node.find(f"{NS}title")
    assert title is not None
    return title.text or ""


def rect_of(node: ET.Element) -> ET.Element:
    rect = node.find(f".//{NS}rect")
    assert rect is not None
    return rect


def shown_texts(node: ET.Element) -> list[str]:
    return [t.text or "" for t in node.iter(f"{NS}text")]


def all_text(root: ET.Element) -> str:
    return " ".join(root.itertext())


def person_by_handle(root: ET.Element, handle: str) -> list[ET.Element]:
    return [g for g in nodes(root, "person") if title_of(g).split(" — ")[0] == handle]


# --- structure ----------------------------------------------------------------------------------


def test_small_graph_has_its_nodes_and_one_edge_per_voucher_pair() -> None:
    root = parse(render_svg(OWNER, small_graph()))
    people = nodes(root, "person")
    skills = nodes(root, "skill")
    assert len(people) == 3
    assert len(skills) == 2
    assert len(nodes(root, "owner")) == 1
    assert OWNER in shown_texts(nodes(root, "owner")[0])
    found = edges(root)
    assert len(found) == 4  # bob-Rust, carol-Rust, bob-C++, dan-C++
    people_ids = {g.get("data-p") for g in people}
    skill_ids = {g.get("data-s") for g in skills}
    pairs = {(path.get("data-p"), path.get("data-s")) for _kind, path in found}
    assert len(pairs) == 4
    assert {p for p, _s in pairs} == people_ids
    assert {s for _p, s in pairs} == skill_ids
    # Every edge is a real curve from the people column to the skills column.
    for _kind, path in found:
        d = path.get("d", "")
        assert d.startswith(f"M{skillgraph.PERSON_X + skillgraph.PERSON_W} ")
        assert f" {skillgraph.SKILL_X} " in d


def test_one_person_vouching_for_two_skills_is_one_node_with_two_edges() -> None:
    root = parse(render_svg(OWNER, small_graph()))
    bobs = person_by_handle(root, "@bob@b.example")
    assert len(bobs) == 1
    bob = bobs[0]
    assert "@bob@b.example" in shown_texts(bob)
    assert "vouches for 2 skills" in title_of(bob)
    bob_edges = [
        (kind, path) for kind, path in edges(root) if path.get("data-p") == bob.get("data-p")
    ]
    assert sorted((path.get("data-s"), kind) for kind, path in bob_edges) == [
        ("0", "signed"),
        ("1", "suggested"),
    ]
    # Bob vouches for the most skills, so he comes first.
    assert bob.get("data-p") == "0"


def test_a_second_voucher_by_the_same_person_keeps_the_strongest_kind() -> None:
    skills = [
        GraphSkill("Go", 3, (Voucher(*BOB, "suggested"), Voucher(*BOB, "signed"))),
    ]
    root = parse(render_svg(OWNER, skills))
    assert len(nodes(root, "person")) == 1
    assert [kind for kind, _path in edges(root)] == ["signed"]
    assert "1 person (1 signed)" in title_of(nodes(root, "skill")[0])


def test_edge_kinds_have_their_line_styles_and_a_legend_in_words() -> None:
    root = parse(render_svg(OWNER, small_graph()))
    groups = {g.get("data-kind"): g for g in nodes(root, "edges")}
    assert set(groups) == {"signed", "attested", "suggested"}
    assert groups["signed"].get("stroke-dasharray") is None  # solid
    assert groups["attested"].get("stroke-dasharray") == "6 4"  # dashed
    dots = groups["suggested"].get("stroke-dasharray", "")
    dash, gap = (float(v) for v in dots.split())
    assert dash < 1 < gap and groups["suggested"].get("stroke-linecap") == "round"  # dotted
    assert {kind: len(list(g)) for kind, g in groups.items()} == {
        "signed": 1,
        "attested": 2,
        "suggested": 1,
    }

    legend = nodes(root, "legend")
    assert len(legend) == 1
    items = {g.get("data-kind"): g for g in legend[0].findall(f"{NS}g")}
    assert len(items) == 3
    words = {kind: " ".join(shown_texts(item)) for kind, item in items.items()}
    assert words["signed"].startswith("solid line: signed")
    assert words["attested"].startswith("dashed line: attested")
    assert words["suggested"].startswith("dotted line: suggested")
    for kind, item in items.items():
        sample = item.find(f"{NS}path")
        assert sample is not None
        for attr in ("stroke", "stroke-dasharray", "stroke-linecap", "stroke-width"):
            assert sample.get(attr) == groups[kind].get(attr), (kind, attr)


def test_skill_order_is_kept() -> None:
    names = ["Zig", "Ada", "Rust", "COBOL"]
    skills = [
        GraphSkill(name, level, (Voucher(*BOB, "signed"),))
        for name, level in zip(names, [1, 5, 0, 3], strict=True)
    ]
    root = parse(render_svg(OWNER, skills))
    drawn = nodes(root, "skill")
    assert [shown_texts(g)[0] for g in drawn] == names
    assert [g.get("data-s") for g in drawn] == ["0", "1", "2", "3"]
    ys = [float(rect_of(g).get("y", "")) for g in drawn]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    assert [g.get("data-level") for g in drawn] == ["1", "5", "0", "3"]


def test_level_is_shown_readably_and_clamped() -> None:
    skills = [
        GraphSkill("High", 9, ()),
        GraphSkill("Low", -2, ()),
        GraphSkill("Mid", 3, ()),
    ]
    root = parse(render_svg(OWNER, skills))
    drawn = nodes(root, "skill")
    assert [shown_texts(g)[1] for g in drawn] == ["5/5", "0/5", "3/5"]
    fills = [rect_of(g).get("fill") for g in drawn]
    assert fills == [skillgraph.LEVEL_COLOURS[i][0] for i in (5, 0, 3)]
    assert len(set(fills)) == 3
    assert "nobody vouches yet" in title_of(drawn[0])


def test_unknown_voucher_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Voucher("@x@x.example", "https://x.example", "liked")


def test_bad_caps_are_refused() -> None:
    with pytest.raises(ValueError, match="max_skills"):
        render_svg(OWNER, small_graph(), max_skills=0)


# --- caps -------------------------------------------------------------------------------------


def crowd(n_skills: int, n_people: int) -> list[GraphSkill]:
    """Person i vouches for skills 0..(i % n_skills), so lower-numbered skills have more people."""
    people = [
        (f"@p{i:02d}@s{i % 7}.example", f"https://s{i % 7}.example/users/p{i:02d}")
        for i in range(n_people)
    ]
    kinds = skillgraph.KINDS
    return [
        GraphSkill(
            f"Skill {s:02d}",
            5 - s * 5 // n_skills,
            tuple(
                Voucher(*people[i], kinds[(i + s) % 3])
                for i in range(n_people)
                if s <= i % n_skills
            ),
        )
        for s in range(n_skills)
    ]


def test_caps_draw_at_most_the_limits_and_say_how_many_more() -> None:
    skills = crowd(15, 30)
    root = parse(render_svg(OWNER, skills, max_skills=12, max_people=24))
    drawn_skills = nodes(root, "skill")
    assert [shown_texts(g)[0] for g in drawn_skills] == [f"Skill {s:02d}" for s in range(12)]
    assert len(nodes(root, "person")) == 24
    texts = all_text(root)
    assert "and 3 more skills" in texts
    # Everyone vouches for skill 0, so 30 people vouch for a drawn skill; 6 are left out.
    assert "and 6 more people" in texts
    # Edges only join drawn nodes.
    for _kind, path in edges(root):
        assert 0 <= int(path.get("data-p", "")) < 24
        assert 0 <= int(path.get("data-s", "")) < 12


def test_people_are_ordered_by_how_many_drawn_skills_they_vouch_for_then_handle() -> None:
    skills = crowd(15, 30)
    root = parse(render_svg(OWNER, skills, max_skills=12, max_people=24))
    drawn = [title_of(g).split(" — ")[0] for g in nodes(root, "person")]
    counts: dict[str, int] = {}
    for skill in skills[:12]:
        for voucher in skill.vouchers:
            counts[voucher.handle] = counts.get(voucher.handle, 0) + 1
    expected = sorted(counts, key=lambda h: (-counts[h], h))[:24]
    assert drawn == expected
    assert counts[drawn[0]] == 12 and counts[drawn[-1]] <= counts[drawn[0]]
    for g, handle in zip(nodes(root, "person"), drawn, strict=True):
        n = counts[handle]
        assert f"vouches for {n} skill" in title_of(g)
        assert sum(1 for _k, p in edges(root) if p.get("data-p") == g.get("data-p")) == n


def test_small_caps_and_singular_wording() -> None:
    root = parse(render_svg(OWNER, small_graph(), max_skills=1, max_people=1))
    assert len(nodes(root, "skill")) == 1
    assert len(nodes(root, "person")) == 1
    texts = all_text(root)
    assert "and 1 more skill" in texts and "and 1 more skills" not in texts
    assert "and 1 more person" in texts  # carol vouches for Rust but is not drawn
    assert len(edges(root)) == 1


def test_nothing_left_out_says_no_more() -> None:
    assert " more " not in all_text(parse(render_svg(OWNER, small_graph())))


def test_empty_input_says_there_are_no_skills_yet() -> None:
    svg = render_svg(OWNER, [])
    root = parse(svg)
    assert "no skills yet" in " ".join(shown_texts(root))
    assert "no skills yet" in (root.findtext(f"{NS}desc") or "")
    assert root.findtext(f"{NS}title")
    assert int(root.get("width", "")) <= 400 and int(root.get("height", "")) <= 100
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert not nodes(root, "skill") and not nodes(root, "person")
    assert len(svg) < 1000


# --- safety -----------------------------------------------------------------------------------

HOSTILE_SKILL = '<script>alert("x")</script>&amp; "onload="alert(1)'
HOSTILE_HANDLES = [
    ('@evil"onmouseover="alert(1)@x.example', "javascript:alert(1)"),
    ("@ctrl\x00\x07\x1b\x7f\x9b@x.example", "JaVaScRiPt:alert(1)"),
    ("@\u202egnp.exe\u202c@x.example", "data:text/html,<script>alert(1)</script>"),
    ("@tab\tnew\nline@x.example", " https://x.example/space"),
    ("@a'b&c<d>@x.example", "https://x.example/?a=1&b='2'\"<>"),
    ("@rtl\u200f\u05d0\u05d1@x.example", "vbscript:msgbox"),
    ("@nohost@x.example", "https:///path"),
    ("@newline@x.example", "https://x.example/\nInjected"),
]


def hostile_graph() -> list[GraphSkill]:
    return [
        GraphSkill(
            HOSTILE_SKILL,
            3,
            tuple(Voucher(handle, url, "signed") for handle, url in HOSTILE_HANDLES),
        ),
        GraphSkill("</text><foreignObject>x</foreignObject>", 1, ()),
    ]


def test_hostile_text_is_escaped_and_hostile_urls_dropped() -> None:
    svg = render_svg('@owner"><script>@x.example', hostile_graph())
    root = parse(svg)
    for element in root.iter():
        local = element.tag.removeprefix(NS)
        assert local not in ("script", "foreignObject", "iframe", "image", "use", "style")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (local, name)
            assert name != "style"
            assert "url(" not in value
    hrefs = [a.get("href", "") for a in root.iter(f"{NS}a")]
    # Only the one plain https URL survives, exactly as given (ampersands and quotes decoded).
    assert hrefs == ["https://x.example/?a=1&b='2'\"<>"]
    assert all(href.startswith(("http://", "https://")) for href in hrefs)
    assert "javascript:" not in svg.lower() and "vbscript:" not in svg.lower()
    assert "data:" not in svg
    # The raw output never contains the markup, only its escaped form.
    assert "<script" not in svg and "<foreignObject" not in svg
    # The hostile name survives as visible, harmless text.
    skill_titles = [title_of(g) for g in nodes(root, "skill")]
    assert skill_titles[0].startswith(HOSTILE_SKILL)
    assert skill_titles[1].startswith("</text><foreignObject>x</foreignObject>")
    assert '"><script>' in (root.findtext(f"{NS}title") or "")


def test_control_and_bidi_override_characters_are_removed() -> None:
    svg = render_svg(OWNER, hostile_graph())
    root = parse(svg)
    for char in "\x00\x07\x1b\x7f\x9b\u202e\u202c\t":
        assert char not in svg, repr(char)
    handles = [title_of(g).split(" — ")[0] for g in nodes(root, "person")]
    assert "@ctrl@x.example" in handles
    assert "@gnp.exe@x.example" in handles
    assert "@tab new line@x.example" in handles
    # Ordinary right-to-left text and marks stay.
    assert "@rtl\u200f\u05d0\u05d1@x.example" in handles


def test_clean_and_safe_url_directly() -> None:
    assert skillgraph.clean("  a\x00b\r\n c\u2066d\u2069 ") == "ab cd"
    assert skillgraph.clean("\ud800x\uffff") == "x"
    assert skillgraph.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    assert skillgraph.safe_url("https://a.example/u/1") == "https://a.example/u/1"
    assert skillgraph.safe_url("HTTP://A.example") == "HTTP://A.example"
    for bad in [
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "//a.example/x",
        "ftp://a.example",
        "https://",
        "https://a.example/\u202e",
        "https://[::1",
        "",
        "https://a.example/" + "x" * 3000,
    ]:
        assert skillgraph.safe_url(bad) is None, bad


# --- labels -----------------------------------------------------------------------------------


def test_long_labels_are_truncated_with_the_full_text_in_a_title() -> None:
    long_skill = "Distributed systems engineering for extremely large federated networks"
    long_handle = "@a_person_with_an_exceptionally_long_username@a.very.long.instance.example"
    long_owner = "@the_owner_of_this_profile_has_a_long_name@instance.example"
    skills = [
        GraphSkill(long_skill, 5, (Voucher(long_handle, "https://x.example/u", "signed"),)),
        GraphSkill("Go", 1, (Voucher(*BOB, "attested"),)),
    ]
    root = parse(render_svg(long_owner, skills))
    skill = nodes(root, "skill")[0]
    shown = shown_texts(skill)[0]
    assert shown.endswith("…") and len(shown) < len(long_skill)
    assert long_skill.startswith(shown[:-1])
    assert title_of(skill).startswith(long_skill)

    person = person_by_handle(root, long_handle)[0]
    shown = shown_texts(person)[0]
    assert shown.endswith("…") and long_handle.startswith(shown[:-1])

    owner = nodes(root, "owner")[0]
    shown = shown_texts(owner)[0]
    assert shown.endswith("…") and long_owner.startswith(shown[:-1])
    assert title_of(owner) == long_owner

    # Short labels are left alone.
    assert shown_texts(nodes(root, "skill")[1])[0] == "Go"
    assert shown_texts(person_by_handle(root, BOB[0])[0]) == [BOB[0]]


def test_labels_fit_inside_their_boxes() -> None:
    wide = [
        GraphSkill(
            "W" * 40, 5, (Voucher("@" + "M" * 40 + "@x.example", "https://x.example", "signed"),)
        ),
        GraphSkill("日本語" * 10, 0, (Voucher("@" + "漢" * 30, "https://y.example", "suggested"),)),
        GraphSkill("e\u0301" * 60, 2, ()),
    ]
    root = parse(render_svg("@" + "W" * 50, wide))
    for cls in ("person", "skill", "owner"):
        for g in nodes(root, cls):
            rect = rect_of(g)
            left = float(rect.get("x", ""))
            right = left + float(rect.get("width", ""))
            texts = list(g.iter(f"{NS}text"))
            label = texts[0]
            size = skillgraph.FONT_SIZE * (skillgraph.BOLD if label.get("font-weight") else 1)
            width = skillgraph.text_width(label.text or "", size)
            start = float(label.get("x", ""))
            assert left < start and start + width <= right
            if len(texts) == 2:  # a skill's level, right-aligned
                level = texts[1]
                level_w = skillgraph.text_width(level.text or "", size * skillgraph.BOLD)
                assert start + width <= float(level.get("x", "")) - level_w


def test_truncation_keeps_combined_characters_whole() -> None:
    text = "e\u0301" * 40
    cut = skillgraph.fit(text, 100, 13)
    assert cut.endswith("…")
    assert cut[:-1] == "e\u0301" * (len(cut[:-1]) // 2)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    cut = skillgraph.fit(family * 20, 100, 13)
    assert cut[:-1] == family * (len(cut[:-1]) // len(family))
    assert skillgraph.fit("short", 100, 13) == "short"


def test_rows_and_columns_do_not_overlap_and_height_follows_rows() -> None:
    root = parse(render_svg(OWNER, crowd(12, 24)))
    for cls in ("person", "skill"):
        tops = sorted(float(rect_of(g).get("y", "")) for g in nodes(root, cls))
        assert all(b - a >= skillgraph.NODE_H + 4 for a, b in itertools.pairwise(tops))
    assert skillgraph.PERSON_X + skillgraph.PERSON_W < skillgraph.SKILL_X
    assert skillgraph.SKILL_X + skillgraph.SKILL_W < skillgraph.OWNER_X
    assert skillgraph.OWNER_X + skillgraph.OWNER_W < skillgraph.WIDTH

    heights = [int(parse(render_svg(OWNER, crowd(n, n))).get("height", "")) for n in (1, 3, 6, 12)]
    assert heights == sorted(heights) and len(set(heights)) == 4
    assert heights[3] - heights[2] == 6 * skillgraph.ROW
    # Everything drawn lies inside the picture.
    big = parse(render_svg(OWNER, crowd(12, 30)))
    height = float(big.get("height", ""))
    for text in big.iter(f"{NS}text"):
        assert 0 < float(text.get("y", "")) < height


# --- accessibility ------------------------------------------------------------------------------


def test_root_is_an_accessible_image_of_known_size() -> None:
    root = parse(render_svg(OWNER, small_graph()))
    assert root.get("role") == "img"
    assert root.get("font-family") == "system-ui, sans-serif"
    ids = (root.get("aria-labelledby") or "").split()
    assert len(ids) == 2
    title, desc = root[0], root[1]
    assert title.tag == f"{NS}title" and desc.tag == f"{NS}desc"
    assert [title.get("id"), desc.get("id")] == ids
    assert title.text == f"Skills of {OWNER} and who vouches for them"
    width, height = int(root.get("width", "")), int(root.get("height", ""))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert width > 0 and height > 0


def test_desc_summarises_in_words() -> None:
    root = parse(render_svg(OWNER, small_graph()))
    assert root.findtext(f"{NS}desc") == (
        f"Skills of {OWNER} and who vouches for them: "
        "Rust, level 4 of 5 — 2 people (1 signed, 1 attested); "
        "C++, level 2 of 5 — 2 people (1 attested, 1 suggested)."
    )
    capped = parse(render_svg(OWNER, crowd(15, 30)))
    desc = capped.findtext(f"{NS}desc") or ""
    assert desc.count(" — ") == 12
    assert "Skill 00, level 5 of 5 — 30 people (10 signed, 10 attested, 10 suggested)" in desc
    assert desc.endswith("And 3 more skills. 6 more people vouch.")


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_contrast_at_least_4_5_to_1() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    for fill, ink in skillgraph.LEVEL_COLOURS:
        assert contrast(fill, ink) >= 4.5, (fill, ink)
    skills = [GraphSkill(f"L{n}", n, (Voucher(*BOB, "signed"),)) for n in range(6)]
    root = parse(render_svg(OWNER, skills, max_skills=5))
    background = root.find(f"{NS}rect")
    assert background is not None and background.get("width") == root.get("width")
    checked = 0
    for element in root.iter():
        backdrop = background.get("fill", "")
        for child in element:
            if child.tag == f"{NS}rect":
                backdrop = child.get("fill", "")
            if child.tag == f"{NS}text":
                assert contrast(child.get("fill", ""), backdrop) >= 4.5, child.text
                checked += 1
    assert checked >= 12


# --- determinism and size -----------------------------------------------------------------------


def test_same_input_gives_the_same_bytes() -> None:
    skills = crowd(12, 24)
    first = render_svg(OWNER, skills)
    assert render_svg(OWNER, list(skills)) == first
    # The order of vouchers within a skill does not matter either.
    shuffled = [GraphSkill(s.name, s.level, tuple(reversed(s.vouchers))) for s in skills]
    assert render_svg(OWNER, shuffled) == first
    parse(first)


def test_twelve_skills_and_twenty_four_people_with_all_edges_stay_small() -> None:
    people = [
        (
            f"@someone_number_{i:02d}@mastodon{i}.example",
            f"https://mastodon{i}.example/users/someone_number_{i:02d}",
        )
        for i in range(24)
    ]
    skills = [
        GraphSkill(
            f"A skill called number {s:02d}",
            5 - s // 3,
            tuple(Voucher(*p, skillgraph.KINDS[(i + s) % 3]) for i, p in enumerate(people)),
        )
        for s in range(12)
    ]
    svg = render_svg(OWNER, skills)
    root = parse(svg)
    assert len(edges(root)) == 12 * 24
    assert len(nodes(root, "person")) == 24
    assert len(svg.encode()) < 40_000
