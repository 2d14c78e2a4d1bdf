"""Hypothesis strategies for ActivityStreams documents and JSON API bodies, well and badly
formed.

The IRIs of the running test world (the remote actor's port, the local posting's id, ...)
are not known when strategies are built, so documents name them with placeholders
(``%ACTOR%``, ``%POSTING%``, ...) that :func:`tests.fuzz.harness.World.resolve` replaces;
``%N%`` becomes a fresh number each time, so that ids do not repeat by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

Json = Any
Strategy = st.SearchStrategy

AS = "https://www.w3.org/ns/activitystreams"
SKILLS_CONTEXT = [AS, "https://w3id.org/security/data-integrity/v1", "%ORIGIN%/ns/skills/v1"]
PUBLIC = AS + "#Public"

# Placeholders, replaced by World.resolve. The first ones are origins and actors, the rest
# are things the world seeds (our Follow of the actor, our Offer to it, alice's skill, ...).
ACTOR = "%ACTOR%"  # the signing remote actor
ORIGIN = "%ORIGIN%"  # its server
OTHER = "%OTHER%"  # a second remote actor, on another server
ALICE = "%ALICE%"  # the local user whose inbox is fuzzed
PLACEHOLDERS = (
    ACTOR,
    ORIGIN,
    OTHER,
    "%OTHER_ORIGIN%",
    ALICE,
    "%BASE%",
    "%CAROL%",
    "%SKILL%",
    "%SKILL_NOTE%",
    "%ASK%",
    "%POSTING%",
    "%POSTING_ID%",
    "%OUR_FOLLOW%",
    "%OUR_OFFER%",
    "%FOLLOWERS%",
    "%ALICE_FOLLOWERS%",
    "%ALICE_KEY%",
    "%ACTOR_KEY%",
)

# ----------------------------------------------------------------------------- scalars

ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid JSON (as an escape), not valid UTF-8
    "\udfff tail",
    "\u202etxt.exe",
    "\u200b",
    "\ufeff",
    "\r\n\t",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "<p>Great work on the <b>parser</b></p>",
    "#SuggestSkill #Rust #CPlusPlus",
    "#SuggestSkill @alice@testserver #Go",
    "C++",
    "node.js",
    "\u216b \ufb01 \uff21\uff22\uff23",  # NFKC changes these (fullwidth ABC, ...)
    "ǅ ß ẞ İ",  # case folding oddities
    "💥" * 300,
    "A" * 70_000,
    "é" * 3000,
    "%ACTOR%",
    "1e999",
    "null",
    "true",
    "-0",
    "9" * 400,
]

huge_int = st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30])  # longer ones: raw_bodies
text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=12),  # surrogates too
    st.sampled_from(ODD_STRINGS),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_int,
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
keys = st.one_of(
    st.sampled_from(
        [
            "id",
            "type",
            "actor",
            "object",
            "target",
            "to",
            "cc",
            "content",
            "name",
            "attributedTo",
            "inReplyTo",
            "tag",
            "href",
            "about",
            "skillKey",
            "proof",
            "signature",
            "@context",
            "@id",
            "@type",
            "result",
            "opportunity",
            "publicKey",
        ]
    ),
    st.text(max_size=12),
)
any_json: Strategy[Json] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=12,
)


def weighted(right: Strategy[Json], wrong: Strategy[Json], odds: int) -> Strategy[Json]:
    """``right`` ``odds`` times as often as ``wrong``. (``st.one_of`` picks among distinct
    branches evenly, so repeating a branch there does not weigh it.)"""
    return st.integers(0, odds).flatmap(lambda i: wrong if i == 0 else right)


def mostly(right: Strategy[Json], *, wrong: Strategy[Json] | None = None) -> Strategy[Json]:
    """Usually a value of the right shape, sometimes anything at all."""
    return weighted(right, wrong if wrong is not None else any_json, 3)


def rarely_wrong(right: Strategy[Json], *, wrong: Strategy[Json]) -> Strategy[Json]:
    """Nearly always a value of the right shape (for what gates everything else)."""
    return weighted(right, wrong, 20)


# ----------------------------------------------------------------------------- IRIs

SUFFIXES = [
    "",
    "/",
    "/notes/%N%",
    "/activities/%N%",
    "/endorsements/%N%",
    "/followers",
    "/inbox",
    "/skills/rust",
    "/skills/C%2B%2B",
    "/opportunities/%N%",
    "#main-key",
    "#ed25519-key",
    "?page=1",
    "/../../admin",
    "/%2e%2e/x",
]
WEIRD_IRIS = [
    "",
    "not a uri",
    "javascript:alert(1)",
    "data:text/html,<b>hi</b>",
    "mailto:a@b.example",
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "http://",
    "https://",
    "http:///x",
    "http://[::1",
    "http://[::1]:1/x",
    "http://exa mple.example/x",
    "http://127.0.0.1:1/x",
    "http://localhost:1/x",
    "http://169.254.169.254/latest/meta-data",
    "https://例え.テスト/ユーザー",
    "https://xn--.example/",
    "HTTP://TESTSERVER/USERS/ALICE",
    "http://testserver:80/users/alice",
    "http://testserver/users/alice/",
    "http://testserver/users/nobody",
    "http://testserver/users/alice/notes/nope",
    "http://testserver/users/alice/skills/nope",
    "http://user:pass@%ORIGIN%/x".replace("%ORIGIN%", "127.0.0.1:1"),
    "//testserver/users/alice",
    "ftp://files.example/x",
    "https://blocked.invalid/users/x",
    "https://x.invalid/" + "a" * 3000,
]

known_iri = st.sampled_from((*PLACEHOLDERS, PUBLIC, "as:Public", "Public"))
derived_iri = st.builds(
    lambda base, tail: base + tail,
    st.sampled_from([ACTOR, ORIGIN, OTHER, ALICE, "%BASE%", "%OTHER_ORIGIN%"]),
    st.sampled_from(SUFFIXES),
)
iri: Strategy[str] = weighted(st.one_of(known_iri, derived_iri), st.sampled_from(WEIRD_IRIS), 4)
audience = st.one_of(iri, st.lists(iri, max_size=4))

# ----------------------------------------------------------------------------- objects

OBJECT_TYPES = [
    "Note",
    "Article",
    "Question",
    "Skill",
    "Endorsement",
    "Opportunity",
    "Person",
    "Service",
    "Tombstone",
    "Image",
    "Follow",
    "Offer",
    "Invite",
    "Like",
    "Create",
]
ACTIVITY_TYPES = [
    "Follow",
    "Accept",
    "Reject",
    "TentativeAccept",
    "Undo",
    "Create",
    "Update",
    "Delete",
    "Like",
    "EmojiReact",
    "Announce",
    "Flag",
    "Offer",
    "Invite",
    "Add",
    "Remove",
    "Block",
    "Move",
]
kind = mostly(
    st.one_of(st.sampled_from(OBJECT_TYPES)),
    wrong=st.one_of(
        st.lists(st.sampled_from(OBJECT_TYPES), min_size=1, max_size=3),
        text,
        st.integers(),
        st.none(),
    ),
)
contexts = st.sampled_from(
    [
        AS,
        [AS, "https://w3id.org/security/v1"],
        [AS, "https://w3id.org/security/data-integrity/v1", "%ORIGIN%/ns/skills/v1"],
        [AS, "%BASE%/ns/skills/v1"],
        [AS, {"fsk": "https://w3id.org/fediverse-skills/ns#", "Skill": "fsk:Skill"}],
        [AS, {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}],
        [AS, "https://unknown-context.invalid/ctx"],
        {"@vocab": "https://www.w3.org/ns/activitystreams#"},
        [],
        None,
        "http://127.0.0.1:1/context",
    ]
)

tag = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Mention"), "href": mostly(st.sampled_from([ALICE, "%CAROL%"]))},
        optional={"name": st.sampled_from(["@alice", "@alice@testserver", "@carol"])},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("Hashtag"),
            "name": mostly(st.sampled_from(["#Rust", "#SuggestSkill", "#hiring", "#CPlusPlus"])),
        },
        optional={"href": iri},
    ),
    st.fixed_dictionaries({"type": st.just("Emoji"), "name": text, "icon": any_json}),
    any_json,
)
tags = st.one_of(st.lists(tag, max_size=5), tag)

skill_draft = st.fixed_dictionaries(
    {"type": mostly(st.just("Skill"))},
    optional={
        "name": mostly(st.sampled_from(["Rust", "Go", "C++", "Kubernetes", "node.js"]) | text),
        "skillKey": mostly(st.sampled_from(["rust", "go", "c++"]) | text),
        "about": mostly(st.sampled_from([ALICE, "%CAROL%", ACTOR])),
        "taxonomy": mostly(
            st.sampled_from(
                [
                    "http://data.europa.eu/esco/skill/abc",
                    "https://www.wikidata.org/wiki/Q575650",
                    "javascript:x",
                ]
            )
        ),
        "id": iri,
    },
)

posting = st.fixed_dictionaries(
    {"type": mostly(st.just("Opportunity"))},
    optional={
        "name": text,
        "opportunityKind": mostly(st.sampled_from(["job", "contract", "volunteer", "gig"])),
        "requiredSkills": mostly(st.lists(skill_draft, max_size=25)),
        "niceSkills": mostly(st.lists(skill_draft, max_size=3)),
        "remote": mostly(st.booleans()),
        "place": text,
        "pay": text,
        "contactUrl": iri,
        "status": mostly(st.sampled_from(["open", "closed", "expired"])),
    },
)

DATES = [
    "2026-11-26T08:00:00Z",
    "2026-12-26T10:00:00+01:00",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-00-00",
    "2026-02-30T00:00:00Z",
    "yesterday",
]
date = mostly(st.sampled_from(DATES))
proof_value = st.fixed_dictionaries(
    {
        "type": mostly(st.just("DataIntegrityProof")),
        "cryptosuite": mostly(st.sampled_from(["eddsa-jcs-2022", "eddsa-rdfc-2022", "x"])),
        "verificationMethod": iri,
        "proofPurpose": mostly(st.just("assertionMethod")),
        "proofValue": mostly(st.sampled_from(["z", "z3x", "zzzzzz", "not-multibase"]) | text),
    },
    optional={"created": date},
)


def _objects(inner: Strategy[Json]) -> Strategy[Json]:
    """An AS object of any type: known properties, often of the right type, and extras."""
    return st.fixed_dictionaries(
        {},
        optional={
            "@context": contexts,
            "id": mostly(iri),
            "type": kind,
            "attributedTo": mostly(st.sampled_from([ACTOR, OTHER, ALICE]) | iri),
            "content": mostly(text),
            "name": text,
            "summary": text,
            "inReplyTo": mostly(
                st.sampled_from(["%SKILL_NOTE%", "%ASK%", "%POSTING%"]) | iri,
                wrong=inner,
            ),
            "to": audience,
            "cc": audience,
            "tag": tags,
            "published": date,
            "endTime": date,
            "url": iri,
            "about": mostly(st.sampled_from([ALICE, "%CAROL%"]) | iri),
            "target": mostly(st.sampled_from(["%SKILL%", ALICE]) | iri),
            "skillKey": mostly(st.sampled_from(["rust", "go"]) | text),
            "opportunity": mostly(posting, wrong=inner),
            "object": inner,
            "actor": iri,
            "proof": st.one_of(proof_value, st.lists(proof_value, max_size=2), any_json),
            "signature": any_json,
            "publicKey": any_json,
            "extra": any_json,
        },
    )


objects: Strategy[Json] = st.recursive(
    st.one_of(iri, scalars),
    lambda inner: _objects(inner) | st.lists(inner, max_size=3),
    max_leaves=6,
)

# Shapes that reach deep into the handlers: what each activity type expects, with the
# parts it checks sometimes wrong.
note = st.fixed_dictionaries(
    {
        "id": mostly(st.sampled_from(["%ACTOR%/notes/%N%", "%ACTOR%/opportunities/%N%"]) | iri),
        "type": mostly(st.sampled_from(["Note", "Article", "Question"])),
        "attributedTo": mostly(st.just(ACTOR) | iri),
    },
    optional={
        "content": mostly(st.sampled_from(ODD_STRINGS[10:20]) | text),
        "inReplyTo": mostly(st.sampled_from(["%SKILL_NOTE%", "%ASK%", "%POSTING%"]) | iri),
        "tag": tags,
        "to": mostly(st.sampled_from([[PUBLIC], [ALICE], ["%FOLLOWERS%"]]), wrong=audience),
        "cc": audience,
        "opportunity": mostly(posting),
        "endTime": date,
        "published": date,
        "url": iri,
    },
)
endorsement = st.fixed_dictionaries(
    {
        "id": mostly(st.just("%ACTOR%/endorsements/%N%") | iri),
        "type": mostly(st.just("Endorsement")),
        "attributedTo": mostly(st.just(ACTOR) | iri),
        "about": mostly(st.just(ALICE) | iri),
        "target": mostly(st.just("%SKILL%") | iri),
        "skillKey": mostly(st.sampled_from(["rust", "go"]) | text),
    },
    optional={
        "@context": contexts,
        "name": text,
        "content": text,
        "published": date,
        "to": audience,
        "cc": audience,
    },
)
actor_document = st.fixed_dictionaries(
    {
        "id": mostly(st.just(ACTOR) | iri),
        "type": mostly(st.sampled_from(["Person", "Service", "Application", "Group"])),
    },
    optional={
        "inbox": iri,
        "outbox": iri,
        "followers": iri,
        "preferredUsername": text,
        "name": text,
        "summary": text,
        "publicKey": st.one_of(
            st.fixed_dictionaries(
                {"id": iri, "owner": iri, "publicKeyPem": mostly(st.just("%ACTOR_PEM%"))}
            ),
            any_json,
        ),
        "endpoints": any_json,
        "openToWork": any_json,
        "tag": tags,
        "icon": any_json,
        "manuallyApprovesFollowers": any_json,
    },
)
follow = st.fixed_dictionaries(
    {"type": st.just("Follow"), "object": mostly(st.sampled_from([ALICE, "%CAROL%"]) | iri)},
    optional={"id": mostly(st.sampled_from(["%OUR_FOLLOW%", "%ACTOR%/follows/%N%"]) | iri)},
)
offer_inner = st.fixed_dictionaries(
    {
        "type": st.just("Offer"),
        "id": mostly(st.sampled_from(["%OUR_OFFER%", "%ACTOR%/suggestions/%N%"]) | iri),
    },
    optional={"actor": iri, "object": skill_draft, "target": iri},
)


def _with(kind_: Strategy[Json], **fields: Strategy[Json]) -> Strategy[dict[str, Json]]:
    return st.fixed_dictionaries({"type": kind_}, optional=fields)


def _act(
    kind_: Strategy[Json], required: dict[str, Strategy[Json]], **optional: Strategy[Json]
) -> Strategy[dict[str, Json]]:
    return st.fixed_dictionaries({"type": kind_, **required}, optional=optional)


invite = st.fixed_dictionaries(
    {
        "type": st.just("Invite"),
        "id": mostly(st.just("%OTHER%/activities/%N%") | iri),
        "actor": mostly(st.just(OTHER) | iri),
        "object": mostly(st.just("%POSTING%") | iri),
        "target": mostly(st.just(ACTOR) | iri),
    },
    optional={"proof": proof_value, "content": text},
)
shaped_activity: Strategy[dict[str, Json]] = st.one_of(
    _act(st.just("Follow"), {"object": follow.map(lambda f: f["object"])}),
    _act(
        st.sampled_from(["Accept", "Reject"]),
        {
            "object": st.one_of(
                st.sampled_from(["%OUR_FOLLOW%", "%OUR_OFFER%"]),
                follow.map(lambda f: {**f, "actor": ALICE, "object": ACTOR}),
                offer_inner,
                invite,
                iri,
            )
        },
        result=mostly(st.just("%SKILL%") | iri),
        to=audience,
    ),
    _act(
        st.just("Undo"),
        {
            "object": st.one_of(
                follow.map(lambda f: {**f, "actor": ACTOR}),
                _act(
                    st.sampled_from(["Like", "EmojiReact"]),
                    {"object": mostly(st.just("%SKILL_NOTE%") | iri)},
                    actor=iri,
                    id=iri,
                ),
                offer_inner,
                endorsement,
                iri,
            )
        },
    ),
    _act(st.just("Create"), {"object": st.one_of(note, endorsement, objects)}),
    _act(st.just("Update"), {"object": st.one_of(actor_document, note, objects)}),
    _act(
        st.just("Delete"),
        {
            "object": st.one_of(
                st.sampled_from([ACTOR, "%ACTOR%/notes/%N%", "%SKILL_NOTE%", "%POSTING%"]),
                st.fixed_dictionaries({"id": iri, "type": st.just("Tombstone")}),
                iri,
            )
        },
    ),
    _act(
        st.sampled_from(["Like", "EmojiReact"]),
        {"object": mostly(st.sampled_from(["%SKILL_NOTE%", "%ASK%", "%POSTING%"]) | iri)},
        content=st.sampled_from(["⭐", ":blobcat:", "", "x" * 500]),
        tag=tags,
    ),
    _act(st.just("Announce"), {"object": st.one_of(iri, note)}, to=audience),
    _act(
        st.just("Flag"),
        {"object": st.one_of(st.lists(iri, max_size=60), iri, any_json)},
        content=text,
    ),
    _act(
        st.just("Offer"),
        {
            "object": mostly(skill_draft),
            "target": mostly(st.just(ALICE) | iri),
            "to": mostly(st.just([ALICE]), wrong=audience),
        },
        content=text,
        published=date,
    ),
    _act(
        st.just("Invite"),
        {
            "object": mostly(st.just("%POSTING%") | iri),
            "target": mostly(st.just(ALICE) | iri),
            "to": mostly(st.just([ALICE]), wrong=audience),
        },
        content=text,
    ),
)
any_activity: Strategy[dict[str, Json]] = _with(
    mostly(st.sampled_from(ACTIVITY_TYPES), wrong=kind),
    object=objects,
    target=objects,
    to=audience,
    cc=audience,
    content=text,
    result=any_json,
    instrument=any_json,
)

# ----------------------------------------------------------------------------- inbox POSTs

Transport = Literal["signed", "unsigned", "garbled", "raw"]
Proof = Literal["none", "activity", "object"]

CONTENT_TYPES = [
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/ld+json",
    "application/json",
    "text/plain",
    "",
    "application/activity+json; charset=latin-1",
    "multipart/form-data; boundary=x",
]
INBOX_PATHS = [
    "/users/alice/inbox",
    "/users/alice/inbox",
    "/inbox",
    "/users/carol/inbox",
    "/users/nobody/inbox",
    "/actor/inbox",
    "/users/ALICE/inbox",
    "/users/alice/inbox?x=1",
]
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
# What "garbled" does to a correctly signed request.
garbling = st.one_of(
    st.tuples(
        st.just("drop"),
        st.sampled_from(["Signature", "Signature-Input", "Date", "Digest", "Content-Digest"]),
    ),
    st.tuples(
        st.just("replace"),
        st.sampled_from(["Signature", "Signature-Input", "Date", "Digest", "Content-Digest"]),
        st.one_of(
            printable,
            st.sampled_from(
                [
                    'keyId="%ACTOR_KEY%",algorithm="rsa-sha256",headers="date",signature="AAAA"',
                    'keyId="%ALICE_KEY%",headers="(request-target) host date digest",'
                    'signature="eA=="',
                    'keyId="http://127.0.0.1:1/k",signature="!!"',
                    'sig1=("@method" "@target-uri");created=1;keyid="%ACTOR_KEY%"',
                    "sig1=:AAAA:",
                    "SHA-256=" + "A" * 44,
                    "sha-256=:AAAA:",
                    'keyId="' + "a" * 5000 + '"',
                    "Tue, 01 Jan 1980 00:00:00 GMT",
                ]
            ),
        ),
    ),
    st.tuples(st.just("flip"), st.integers(min_value=0)),  # one body byte
    st.tuples(st.just("signer"), st.sampled_from(["other", "alice-key"])),
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"[{}]",
            b'"x"',
            b"{",
            b"{}",
            b'{"id": "x", "id": "y"}',
            b'{"a": NaN}',
            b'{"a": Infinity}',
            b'{"a": 1' + b"0" * 5000 + b"}",
            b"[" * 10_000,
            b'{"a":' * 70 + b"1" + b"}" * 70,
            b"\xff\xfe{\x00}",
            b'{"id": "\xc3\x28"}',
            b"\xef\xbb\xbf{}",
            b" " * 1_048_577,
        ]
    ),
)


@dataclass(frozen=True)
class InboxPost:
    """One inbox POST: the document, how it is signed and sent, and what goes wrong."""

    document: dict[str, Json]
    transport: Transport
    scheme: Literal["cavage", "rfc9421"]
    proof: Proof
    path: str
    content_type: str
    ascii: bool
    garble: tuple[Any, ...] | None
    raw: bytes


def _document(activity: dict[str, Json], envelope: dict[str, Json]) -> dict[str, Json]:
    return {**envelope, **activity}


envelope = st.fixed_dictionaries(
    {
        "id": rarely_wrong(
            st.sampled_from(["%ACTOR%/activities/%N%", "%ACTOR%/activities/%N%#x"]),
            wrong=st.one_of(iri, any_json, st.just("%OTHER%/activities/%N%")),
        ),
        "actor": rarely_wrong(
            st.just(ACTOR),
            wrong=st.one_of(
                iri,
                st.just({"id": ACTOR, "type": "Person"}),
                st.just([ACTOR]),
                st.just([ACTOR, OTHER]),
                any_json,
            ),
        ),
    },
    optional={
        "@context": mostly(st.just(SKILLS_CONTEXT), wrong=contexts),
        "published": date,
        "to": audience,
        "cc": audience,
    },
)


def inbox_posts(*transports: Transport) -> Strategy[InboxPost]:
    """Inbox POSTs sent in one of ``transports``: ``signed`` by the actor the activity
    names, ``unsigned``, ``garbled`` (signed, then a header or a byte changed, or signed by
    someone else) or ``raw`` (a body that may not be JSON at all)."""
    return _inbox_posts(st.sampled_from(transports))


def _inbox_posts(transports: Strategy[Transport]) -> Strategy[InboxPost]:
    return st.builds(
        InboxPost,
        document=st.builds(
            _document, st.one_of(shaped_activity, shaped_activity, any_activity), envelope
        ),
        transport=transports,
        scheme=st.sampled_from(["cavage", "rfc9421"]),
        proof=st.sampled_from(["none", "activity", "object"]),
        path=rarely_wrong(st.sampled_from(INBOX_PATHS[:3]), wrong=st.sampled_from(INBOX_PATHS)),
        content_type=rarely_wrong(st.just(CONTENT_TYPES[0]), wrong=st.sampled_from(CONTENT_TYPES)),
        ascii=st.booleans(),
        garble=st.none() | garbling,
        raw=raw_bodies,
    )


# ----------------------------------------------------------------------------- JSON API

handle = st.one_of(
    st.sampled_from(
        [
            "carol",
            "@carol@testserver",
            "carol@testserver",
            "http://testserver/users/carol",
            "%ACTOR%",
            "@alice@testserver",
            "nobody@testserver",
            "@bob@127.0.0.1:1",
            "@@",
            "@x@y@z",
        ]
    ),
    iri,
    text,
)
skill_name = st.one_of(st.sampled_from(["Rust", "Go", "C++", "rust", " Rust ", "Kubernetes"]), text)
audience_policy = mostly(st.sampled_from(["anyone", "followers", "following", "nobody"]))
skill_list = mostly(st.lists(skill_name, max_size=22))


def _body(required: dict[str, Strategy[Json]], **optional: Strategy[Json]) -> Strategy[Json]:
    """A JSON body: the fields, often right, sometimes missing, extra or of a wrong type."""
    exact = st.fixed_dictionaries(
        {name: mostly(s) for name, s in required.items()},
        optional={name: mostly(s) for name, s in optional.items()},
    )
    fields = {**required, **optional}
    loose = st.fixed_dictionaries(
        {}, optional={**{n: mostly(s) for n, s in fields.items()}, "junk": any_json}
    )
    return weighted(exact, st.one_of(loose, any_json), 3)


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str
    body: Json
    params: dict[str, str]


_ids = st.one_of(
    st.sampled_from(["%POSTING_ID%", "%SUGGESTION_ID%", "%REFERRAL_ID%", "remote", "0", "x"]),
    st.text(
        st.characters(
            min_codepoint=33,
            max_codepoint=0x2FF,
            exclude_categories=["Cc", "Cs"],  # httpx refuses control characters in a URL
            exclude_characters="/?#%",
        ),
        min_size=1,
        max_size=20,
    ),
)
api_calls: Strategy[ApiCall] = st.one_of(
    st.builds(
        ApiCall,
        st.just("PATCH"),
        st.just("/api/v1/profile"),
        _body(
            {},
            display_name=text,
            summary=text,
            manually_approves_followers=st.booleans(),
            suggest_policy=audience_policy,
            endorse_policy=audience_policy,
            auto_accept_suggestions=st.booleans(),
            open_to_work=st.booleans(),
            show_open_to_work=st.booleans(),
        ),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/notes"),
        _body({"content": text}, in_reply_to=st.sampled_from(["%SKILL_NOTE%", "%POSTING%"]) | iri),
        st.just({}),
    ),
    st.builds(
        ApiCall, st.just("POST"), st.just("/api/v1/follows"), _body({"target": handle}), st.just({})
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.sampled_from(["/api/v1/follow_requests/authorize", "/api/v1/follow_requests/reject"]),
        _body({"actor": handle}),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/skills"),
        _body({"skill": skill_name}, taxonomy=iri),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("DELETE"),
        st.builds(lambda k: "/api/v1/skills/" + k, st.sampled_from(["rust", "go", "c%2B%2B", "x"])),
        st.none(),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/suggestions"),
        _body({"to": handle, "skill": skill_name}, comment=text, taxonomy=iri),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.builds(
            lambda i, a: f"/api/v1/suggestions/{i}/{a}",
            _ids,
            st.sampled_from(["accept", "reject", "withdraw", "x"]),
        ),
        st.none(),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/endorsements"),
        _body({"to": handle, "skill": skill_name}, comment=text),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("DELETE"),
        st.builds(lambda i: "/api/v1/endorsements/" + i, _ids),
        st.none(),
        st.just({}),
    ),
    st.builds(
        ApiCall, st.just("POST"), st.just("/api/v1/asks"), _body({"text": text}), st.just({})
    ),
    st.builds(
        ApiCall, st.just("POST"), st.just("/api/v1/blocks"), _body({"account": handle}), st.just({})
    ),
    st.builds(
        ApiCall,
        st.just("DELETE"),
        st.just("/api/v1/blocks"),
        st.none(),
        st.fixed_dictionaries({}, optional={"account": st.one_of(handle, printable)}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/opportunities"),
        _body(
            {"title": text, "description": text, "required_skills": skill_list},
            nice_skills=skill_list,
            kind=st.sampled_from(["job", "contract", "volunteer", "gig"]),
            remote=st.booleans(),
            place=text,
            pay=text,
            contact_url=iri,
            expires_at=date,
        ),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("PATCH"),
        st.builds(lambda i: "/api/v1/opportunities/" + i, _ids),
        _body(
            {},
            title=text,
            description=text,
            required_skills=skill_list,
            nice_skills=skill_list,
            kind=st.sampled_from(["job", "contract", "volunteer", "gig"]),
            remote=st.booleans(),
            place=text,
            pay=text,
            contact_url=iri,
            expires_at=date,
            state=st.sampled_from(["open", "closed", "expired"]),
        ),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("DELETE"),
        st.builds(lambda i: "/api/v1/opportunities/" + i, _ids),
        st.none(),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.builds(lambda i: f"/api/v1/opportunities/{i}/interest", _ids),
        _body({}, comment=text, include_profile=st.booleans(), opportunity=iri),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.just("/api/v1/referrals"),
        _body(
            {
                "opportunity": st.sampled_from(["%POSTING_ID%", "%POSTING%"]) | iri,
                "candidate": handle,
            },
            comment=text,
        ),
        st.just({}),
    ),
    st.builds(
        ApiCall,
        st.just("POST"),
        st.builds(
            lambda i, a: f"/api/v1/referrals/{i}/{a}",
            _ids,
            st.sampled_from(["accept", "decline", "x"]),
        ),
        st.none(),
        st.just({}),
    ),
)
