"""Pure rules of co-created skills: names, hashtags, suggestion states, policies,
endorsements."""

from __future__ import annotations

import pytest

from fediverse_skills.domain import endorsements, policies, skills, suggestions
from fediverse_skills.domain.suggestions import Role, State


@pytest.mark.parametrize(
    ("raw", "name", "tag"),
    [
        ("C++", "C++", "CPlusPlus"),
        ("node.js", "node.js", "NodeJS"),
        ("  Machine   learning ", "Machine learning", "MachineLearning"),
        ("C#", "C#", "CSharp"),
        ("\uff32\uff55\uff53\uff54", "Rust", "Rust"),  # full-width letters, NFKC
        ("socket.io", "socket.io", "SocketIO"),
        ("Über-Skill", "Über-Skill", "ÜberSkill"),
        ("Программирование", "Программирование", "Программирование"),
        ("2024", "2024", None),  # Mastodon needs a non-digit in a hashtag
        ("+++", "+++", "PlusPlusPlus"),
        ("...", "...", None),
    ],
)
def test_names_and_hashtags(raw: str, name: str, tag: str | None) -> None:
    skill = skills.make(raw)
    assert skill.name == name
    assert skill.hashtag == tag
    assert skill.key == name.casefold()


def test_identity_ignores_case_but_keeps_the_display_form() -> None:
    assert skills.key("Rust") == skills.key("RUST") == skills.key(" rust ")
    assert skills.make("PostgreSQL").name == "PostgreSQL"
    assert skills.key("Straße") == skills.key("STRASSE")  # full case folding


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 65, "at most 64"),
        ("x" * 10_000, "at most 64"),
        ("Rust\u202egnp.exe", "text-direction"),
        ("Ru\u200bst", "invisible"),
        ("Rust\x00", "control"),
        ("line\nbreak", "control"),
        ("<script>alert(1)</script>", "< or >"),
        ("R\u0446st", "mix Latin"),  # Cyrillic tse among Latin letters: looks like "Rust"
        ("\u0391pple", "mix Latin"),  # Greek capital alpha
        ("Ru\u0336st", "overlay"),
    ],
)
def test_hostile_names_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(skills.InvalidSkill, match=reason):
        skills.make(raw)


@pytest.mark.parametrize("raw", ["Руст", "Ελληνικά", "Rust и Go", "café", "日本語"])
def test_words_in_one_script_are_allowed(raw: str) -> None:
    assert skills.make(raw).name == raw


def test_taxonomy_links() -> None:
    esco = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
    assert skills.make("Rust", esco).taxonomy == esco
    assert skills.make("Rust", "https://www.wikidata.org/wiki/Q575650").taxonomy
    assert skills.make("Rust", None).taxonomy is None
    for bad in ("http://127.0.0.1/x", "javascript:alert(1)", "https://www.wikidata.org/wiki/X1"):
        with pytest.raises(skills.InvalidSkill, match="ESCO or a Wikidata"):
            skills.make("Rust", bad)


def test_hashtag_maps_back_to_the_display_form() -> None:
    known = [skills.make("C++"), skills.make("node.js")]
    assert skills.display_for_hashtag("#cplusplus", known) == "C++"
    assert skills.display_for_hashtag("NodeJS", known) == "node.js"
    assert skills.display_for_hashtag("#Rust", known) == "Rust"


def test_suggestion_states() -> None:
    assert suggestions.transition(State.PENDING, State.ACCEPTED, Role.SUBJECT) is State.ACCEPTED
    assert suggestions.transition(State.PENDING, State.REJECTED, Role.SUBJECT) is State.REJECTED
    assert suggestions.transition(State.PENDING, State.WITHDRAWN, Role.AUTHOR) is State.WITHDRAWN
    # Repeating a decision changes nothing.
    assert suggestions.transition(State.ACCEPTED, State.ACCEPTED, Role.SUBJECT) is State.ACCEPTED
    for current, wanted, by in [
        (State.PENDING, State.ACCEPTED, Role.AUTHOR),  # an Accept by the wrong party
        (State.PENDING, State.ACCEPTED, Role.OTHER),
        (State.PENDING, State.WITHDRAWN, Role.SUBJECT),
        (State.REJECTED, State.ACCEPTED, Role.SUBJECT),
        (State.WITHDRAWN, State.ACCEPTED, Role.SUBJECT),
        (State.ACCEPTED, State.PENDING, Role.SUBJECT),
    ]:
        with pytest.raises(suggestions.NotAllowed):
            suggestions.transition(current, wanted, by)
    assert [s for s in State if suggestions.is_public(s)] == [State.ACCEPTED]


@pytest.mark.parametrize(
    ("audience", "relation", "allowed"),
    [
        (policies.Audience.ANYONE, policies.Relation(), True),
        (policies.Audience.FOLLOWERS, policies.Relation(), False),
        (policies.Audience.FOLLOWERS, policies.Relation(follows_owner=True), True),
        (policies.Audience.FOLLOWING, policies.Relation(follows_owner=True), False),
        (policies.Audience.FOLLOWING, policies.Relation(followed_by_owner=True), True),
        (
            policies.Audience.NOBODY,
            policies.Relation(follows_owner=True, followed_by_owner=True),
            False,
        ),
        (policies.Audience.ANYONE, policies.Relation(blocked=True), False),
        (policies.Audience.ANYONE, policies.Relation(is_owner=True), False),
    ],
)
def test_interaction_policy(
    audience: policies.Audience, relation: policies.Relation, allowed: bool
) -> None:
    policy = policies.Policy(suggest=audience, endorse=audience)
    assert policies.may_suggest(policy, relation) is allowed
    assert policies.may_endorse(policy, relation) is allowed


def test_endorsement_rules() -> None:
    key = endorsements.EndorsementKey(
        "https://c.example/u/carol", "https://a.example/u/alice", "rust"
    )
    endorsements.check_new(key, set(), "reviewed every PR")
    with pytest.raises(endorsements.InvalidEndorsement, match="already"):
        endorsements.check_new(key, {key}, "")
    own = endorsements.EndorsementKey(
        "https://a.example/u/alice", "https://a.example/u/alice", "rust"
    )
    with pytest.raises(endorsements.InvalidEndorsement, match="own skills"):
        endorsements.check_new(own, set(), "")
    with pytest.raises(endorsements.InvalidEndorsement, match="at most"):
        endorsements.check_new(key, set(), "x" * 1001)
    endorsements.check_withdrawal(key, "https://c.example/u/carol")
    with pytest.raises(endorsements.InvalidEndorsement, match="only its author"):
        endorsements.check_withdrawal(key, "https://b.example/u/bob")
