"""Our vocabulary: its context on every origin, reading documents that spell it
differently, and the objects we build."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fediverse_skills.federation import jsonld, vocabulary

from .test_jsonld import no_network  # noqa: F401  (fixture)

ALICE = "https://a.example/users/alice"
CAROL = "https://c.example/users/carol"


def _endorsement(**changes: object) -> dict[str, object]:
    doc = vocabulary.endorsement(
        base_url="https://c.example",
        id="https://c.example/users/carol/endorsements/1",
        endorser=CAROL,
        owner=ALICE,
        skill=vocabulary.skill_uri(f"{ALICE}/skills", "c++"),
        key="c++",
        name="C++",
        comment_html="<p>Good</p>",
        published=datetime(2026, 11, 26, tzinfo=UTC),
        followers=f"{CAROL}/followers",
    )
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("https://a.example/ns/skills/v1", True),
        ("http://127.0.0.1:8000/ns/skills/v1", True),
        ("https://a.example/ns/skills/v1?x=1", False),
        ("https://a.example/ns/skills/v2", False),
        ("https://user@a.example/ns/skills/v1", False),
        ("file:///ns/skills/v1", False),
        ("https://a.example/other/ns/skills/v1", False),
        (None, False),
    ],
)
def test_our_context_is_known_on_any_origin(url: object, ours: bool) -> None:
    assert jsonld.is_skills_context(url) is ours


def test_skill_uri_encodes_the_key() -> None:
    assert vocabulary.skill_uri(f"{ALICE}/skills", "c++") == f"{ALICE}/skills/c%2B%2B"
    assert vocabulary.skill_uri(f"{ALICE}/skills", "node.js") == f"{ALICE}/skills/node.js"


@pytest.mark.usefixtures("no_network")
def test_known_contexts_take_the_fast_path() -> None:
    doc = _endorsement()
    assert vocabulary.normalised(doc) is doc
    claim = vocabulary.read_endorsement(doc)
    assert (claim.endorser, claim.owner, claim.key) == (CAROL, ALICE, "c++")


@pytest.mark.usefixtures("no_network")
def test_other_spellings_are_compacted_with_the_bundled_contexts() -> None:
    doc = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"s": vocabulary.NAMESPACE},
        ],
        "id": "https://c.example/users/carol/endorsements/1",
        "type": "s:Endorsement",
        "attributedTo": CAROL,
        "s:about": {"id": ALICE},
        "target": vocabulary.skill_uri(f"{ALICE}/skills", "c++"),
        "s:skillKey": "c++",
    }
    claim = vocabulary.read_endorsement(doc)
    assert (claim.endorser, claim.owner, claim.key) == (CAROL, ALICE, "c++")


@pytest.mark.usefixtures("no_network")
def test_unknown_contexts_are_refused_without_fetching() -> None:
    doc = _endorsement(**{"@context": ["https://evil.example/context.jsonld"]})
    with pytest.raises(vocabulary.VocabularyError):
        vocabulary.read_endorsement(doc)


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "Note"},
        {"about": 5},
        {"target": "javascript:alert(1)"},
        {"skillKey": None},
        {"attributedTo": None},
    ],
)
def test_malformed_endorsements_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(vocabulary.VocabularyError):
        vocabulary.read_endorsement(_endorsement(**changes))


def test_an_offer_must_be_about_its_target() -> None:
    draft = vocabulary.skill_draft(name="Rust", key="rust", about=CAROL, taxonomy=None)
    offer = vocabulary.offer(
        base_url="https://b.example",
        id="https://b.example/users/bob/suggestions/1",
        actor="https://b.example/users/bob",
        owner=ALICE,
        draft=draft,
        comment_html="",
        published=datetime(2026, 11, 26, tzinfo=UTC),
    )
    with pytest.raises(vocabulary.VocabularyError, match="someone other"):
        vocabulary.read_offer(offer)
    offer["object"]["about"] = ALICE
    assert vocabulary.read_offer(offer).owner == ALICE
