"""Plain Mastodon, Misskey and Pleroma accounts take part in skills profiles.

Every payload here is shaped as those servers send it (docs/interop.md, "What Mastodon
sends" and "Vocabulary mapping"): Mastodon's ``Create{Note}`` with its ``@context`` array of
inline terms, ``atomUri``, ``conversation``, ``contentMap``, ``Mention`` and ``Hashtag``
tags and an LD ``signature``; its ``Like`` (id ``<actor>#likes/<n>``), ``Undo{Like}``
embedding the Like and ``Delete{Tombstone}``; Misskey's Note (``_misskey_content``,
``source``, lower-cased hashtag names) and its reaction ``Like``; Pleroma's Note
(``context``/``conversation``) and ``EmojiReact``.

The app runs for real over ASGI (tests/security/conftest.py), the accounts live on real HTTP
servers on 127.0.0.0/8 that serve their actor documents and record what they receive, and
every inbox POST carries a real HTTP signature. Like everything built on ``db``, each test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from fediverse_skills.services import deliveries, tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, StartServer
from tests.security.remote import (
    AS2,
    AS_CONTEXT,
    BASE,
    SECURITY_V1,
    RemoteActor,
    RemoteServer,
    Reply,
    rsa_key,
)

ALICE = f"{BASE}/users/alice"
ALICE_PROFILE = f"{BASE}/@alice"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACCEPT_AS2 = {"Accept": "application/activity+json"}
PUBLISHED = "2026-03-01T10:00:00Z"

_serial = itertools.count(113_456_789_012_345_678)  # Mastodon's ids are snowflakes

# ----------------------------------------------------------------------------- Mastodon

# What Mastodon 4.x puts in the @context of a Create of a status (ActivityPub::Adapter).
MASTODON_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "Hashtag": "as:Hashtag",
    },
]


def _ld_signature(creator: str) -> dict[str, str]:
    """The RsaSignature2017 Mastodon adds to public activities (we do not trust it: the
    inbox strips it and relies on the HTTP signature)."""
    return {
        "type": "RsaSignature2017",
        "creator": creator,
        "created": PUBLISHED,
        "signatureValue": "c2lnbmF0dXJlIHdlIGRvIG5vdCB0cnVzdA==",
    }


@dataclass
class Fediverse:
    """An account on a :class:`RemoteServer` that behaves like one software or another."""

    actor: RemoteActor
    username: str
    likes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def uri(self) -> str:
        return self.actor.uri

    @property
    def origin(self) -> str:
        return self.actor.origin

    @property
    def host(self) -> str:
        return self.origin.split("://", 1)[1]

    @property
    def shared_inbox(self) -> str:
        return self.actor.server.url("/inbox")


@dataclass
class Mastodon(Fediverse):
    def publish(self) -> None:
        """The actor document as Mastodon serves it, shared inbox and profile URL included."""
        self.actor.publish(
            **{
                "@context": [AS_CONTEXT, SECURITY_V1, {"toot": "http://joinmastodon.org/ns#"}],
                "preferredUsername": self.username,
                "name": self.username.title(),
                "url": self.actor.server.url(f"/@{self.username}"),
                "outbox": f"{self.uri}/outbox",
                "following": f"{self.uri}/following",
                "manuallyApprovesFollowers": False,
                "discoverable": True,
                "published": "2024-01-01T00:00:00Z",
                "endpoints": {"sharedInbox": self.shared_inbox},
            }
        )
        # Our deliveries (the direct reply) land here; Mastodon answers 202.
        self.actor.server.routes["/inbox"] = Reply(202)

    def mention_html(self) -> str:
        return (
            f'<span class="h-card" translate="no"><a href="{ALICE_PROFILE}" '
            'class="u-url mention">@<span>alice</span></a></span>'
        )

    def hashtag_html(self, name: str) -> str:
        return (
            f'<a href="{self.origin}/tags/{name.lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{name}</span></a>'
        )

    def hashtag_tag(self, name: str) -> dict[str, str]:
        # HashtagSerializer: the name as written, the href lower-cased (Tag#to_param).
        return {"type": "Hashtag", "href": f"{self.origin}/tags/{name.lower()}", "name": f"#{name}"}

    def note(
        self,
        text: str,
        *,
        hashtags: Sequence[str] = (),
        mention_alice: bool = True,
        in_reply_to: str | None = None,
    ) -> dict[str, Any]:
        """A public status as ActivityPub::NoteSerializer renders it."""
        serial = next(_serial)
        uri = f"{self.uri}/statuses/{serial}"
        parts = [self.mention_html()] if mention_alice else []
        parts.append(text)
        parts += [self.hashtag_html(name) for name in hashtags]
        html = "<p>" + " ".join(parts) + "</p>"
        tags: list[dict[str, str]] = []
        if mention_alice:
            tags.append({"type": "Mention", "href": ALICE, "name": "@alice@testserver"})
        tags += [self.hashtag_tag(name) for name in hashtags]
        cc = [f"{self.uri}/followers"] + ([ALICE] if mention_alice else [])
        return {
            "id": uri,
            "type": "Note",
            "summary": None,
            "inReplyTo": in_reply_to,
            "published": PUBLISHED,
            "url": self.actor.server.url(f"/@{self.username}/{serial}"),
            "attributedTo": self.uri,
            "to": [PUBLIC],
            "cc": cc,
            "sensitive": False,
            "atomUri": uri,
            "inReplyToAtomUri": in_reply_to,
            "conversation": f"tag:{self.host},2026-03-01:objectId={serial}:objectType=Conversation",
            "content": html,
            "contentMap": {"en": html},
            "attachment": [],
            "tag": tags,
            "replies": {
                "id": f"{uri}/replies",
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": f"{uri}/replies?only_other_accounts=true&page=true",
                    "partOf": f"{uri}/replies",
                    "items": [],
                },
            },
            "likes": {"id": f"{uri}/likes", "type": "Collection", "totalItems": 0},
            "shares": {"id": f"{uri}/shares", "type": "Collection", "totalItems": 0},
        }

    def create(self, note: dict[str, Any]) -> dict[str, Any]:
        return {
            "@context": MASTODON_CONTEXT,
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": self.uri,
            "published": PUBLISHED,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
            "signature": _ld_signature(f"{self.uri}#main-key"),
        }

    def like(self, obj: str) -> dict[str, Any]:
        """ActivityPub::LikeSerializer: the id is the actor's URI with ``#likes/<id>``."""
        return {
            "@context": AS_CONTEXT,
            "id": f"{self.uri}#likes/{next(self.likes)}",
            "type": "Like",
            "actor": self.uri,
            "object": obj,
        }

    def undo_like(self, like: dict[str, Any], *, actor: str | None = None) -> dict[str, Any]:
        """ActivityPub::UndoLikeSerializer: the Like embedded (without its @context)."""
        return {
            "@context": AS_CONTEXT,
            "id": f"{actor or self.uri}#likes/{like['id'].rsplit('/', 1)[1]}/undo",
            "type": "Undo",
            "actor": actor or self.uri,
            "object": {k: v for k, v in like.items() if k != "@context"},
        }

    def delete(self, note_uri: str) -> dict[str, Any]:
        """ActivityPub::DeleteSerializer: a Tombstone with its atomUri."""
        return {
            "@context": [
                AS_CONTEXT,
                {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"},
            ],
            "id": f"{note_uri}#delete",
            "type": "Delete",
            "actor": self.uri,
            "to": [PUBLIC],
            "object": {"id": note_uri, "type": "Tombstone", "atomUri": note_uri},
            "signature": _ld_signature(f"{self.uri}#main-key"),
        }


# ----------------------------------------------------------------------------- Misskey

# ApRendererService.addContext (Misskey 2024.x), shortened to the terms these payloads use.
MISSKEY_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_V1,
    {
        "Key": "sec:Key",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "quoteUrl": "as:quoteUrl",
        "toot": "http://joinmastodon.org/ns#",
        "Emoji": "toot:Emoji",
        "misskey": "https://misskey-hub.net/ns#",
        "_misskey_content": "misskey:_misskey_content",
        "_misskey_quote": "misskey:_misskey_quote",
        "_misskey_reaction": "misskey:_misskey_reaction",
        "_misskey_summary": "misskey:_misskey_summary",
        "isCat": "misskey:isCat",
    },
]


@dataclass
class Misskey(Fediverse):
    """Misskey's serializers (ApRendererService), from their source, since interop.md only
    names ``_misskey_reaction`` and the lower-cased hashtags."""

    def publish(self) -> None:
        self.actor.publish(
            **{
                "@context": MISSKEY_CONTEXT,
                "preferredUsername": self.username,
                "url": self.actor.server.url(f"/@{self.username}"),
                "endpoints": {"sharedInbox": self.shared_inbox},
                "isCat": False,
            }
        )
        self.actor.server.routes["/inbox"] = Reply(202)

    def note(
        self, text: str, *, hashtags: list[str], in_reply_to: str | None = None
    ) -> dict[str, Any]:
        """renderNote: MFM source in ``_misskey_content`` and ``source``, HTML in
        ``content``, hashtag names normalised to lower case (note.tags), mentions as
        ``@user@host`` links without the h-card span."""
        note_id = f"9k{next(_serial):x}"
        uri = self.actor.server.url(f"/notes/{note_id}")
        tags = [t.lower() for t in hashtags]
        mfm = "@alice@testserver " + text + "".join(f" #{t}" for t in hashtags)
        html = (
            f'<p><a href="{ALICE_PROFILE}" class="u-url mention">@alice@testserver</a> {text}'
            + "".join(f' <a href="{self.origin}/tags/{t}">#{t}</a>' for t in hashtags)
            + "</p>"
        )
        return {
            "id": uri,
            "type": "Note",
            "attributedTo": self.uri,
            "summary": None,
            "content": html,
            "_misskey_content": mfm,
            "source": {"content": mfm, "mediaType": "text/x.misskeymarkdown"},
            "_misskey_quote": None,
            "quoteUrl": None,
            "published": PUBLISHED,
            "to": [PUBLIC],
            "cc": [f"{self.uri}/followers", ALICE],
            "inReplyTo": in_reply_to,
            "attachment": [],
            "sensitive": False,
            "tag": [
                {"type": "Mention", "href": ALICE, "name": "@alice@testserver"},
                *(
                    {"type": "Hashtag", "href": f"{self.origin}/tags/{t}", "name": f"#{t}"}
                    for t in tags
                ),
            ],
        }

    def create(self, note: dict[str, Any]) -> dict[str, Any]:
        return {
            "@context": MISSKEY_CONTEXT,
            "id": f"{note['id']}/activity",
            "actor": self.uri,
            "type": "Create",
            "published": PUBLISHED,
            "object": note,
            "to": note["to"],
            "cc": note["cc"],
        }

    def like(
        self, obj: str, reaction: str = "👍", emoji: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """renderLike: a reaction is a Like whose ``content`` and ``_misskey_reaction``
        carry the emoji; a custom emoji also comes as an ``Emoji`` tag."""
        return {
            "@context": MISSKEY_CONTEXT,
            "type": "Like",
            "id": self.actor.server.url(f"/likes/9r{next(_serial):x}"),
            "actor": self.uri,
            "object": obj,
            "content": reaction,
            "_misskey_reaction": reaction,
            **({"tag": [emoji]} if emoji else {}),
        }

    def undo(self, inner: dict[str, Any]) -> dict[str, Any]:
        """renderUndo: id ``<object id>/undo``, the object embedded."""
        return {
            "@context": MISSKEY_CONTEXT,
            "type": "Undo",
            "id": f"{inner['id']}/undo",
            "actor": self.uri,
            "object": {k: v for k, v in inner.items() if k != "@context"},
            "published": PUBLISHED,
        }


# ----------------------------------------------------------------------------- Pleroma


@dataclass
class Pleroma(Fediverse):
    """Pleroma/Akkoma's shapes, from its Transmogrifier and Builder (interop.md only names
    ``EmojiReact`` and ``context``/``conversation``): UUID ids under /objects and
    /activities, a ``context`` IRI repeated as ``conversation``, the LitePub context."""

    uuids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def publish(self) -> None:
        self.actor.publish(
            **{
                "@context": self.context(),
                "preferredUsername": self.username,
                "url": self.uri,
                "endpoints": {"sharedInbox": self.shared_inbox},
            }
        )
        self.actor.server.routes["/inbox"] = Reply(202)

    def context(self) -> list[Any]:
        return [AS_CONTEXT, f"{self.origin}/schemas/litepub-0.1.jsonld", {"@language": "und"}]

    def uuid(self) -> str:
        return f"a1b2c3d4-0000-4000-8000-{next(self.uuids):012d}"

    def note(
        self, text: str, *, hashtags: list[str], in_reply_to: str | None = None
    ) -> dict[str, Any]:
        uri = f"{self.origin}/objects/{self.uuid()}"
        conversation = f"{self.origin}/contexts/{self.uuid()}"
        # Pleroma's formatter stores hashtags in lower case (as far as we know its
        # Formatter/Hashtag code); the content keeps them as written.
        html = (
            f'<span class="h-card"><a class="u-url mention" data-user="9xYz" '
            f'href="{ALICE_PROFILE}" rel="ugc">@<span>alice</span></a></span> {text}'
            + "".join(
                f' <a class="hashtag" data-tag="{t.lower()}" href="{self.origin}/tag/{t.lower()}" '
                f'rel="tag ugc">#{t}</a>'
                for t in hashtags
            )
        )
        return {
            "id": uri,
            "type": "Note",
            "actor": self.uri,
            "attributedTo": self.uri,
            "content": html,
            "context": conversation,
            "conversation": conversation,
            "published": PUBLISHED,
            "sensitive": False,
            "summary": "",
            "source": {"content": f"@alice@testserver {text}", "mediaType": "text/plain"},
            "attachment": [],
            "inReplyTo": in_reply_to,
            "tag": [
                {"href": ALICE, "name": "@alice@testserver", "type": "Mention"},
                *(
                    {
                        "href": f"{self.origin}/tags/{t.lower()}",
                        "name": f"#{t.lower()}",
                        "type": "Hashtag",
                    }
                    for t in hashtags
                ),
            ],
            "to": [PUBLIC, ALICE],
            "cc": [f"{self.uri}/followers"],
        }

    def create(self, note: dict[str, Any]) -> dict[str, Any]:
        return {
            "@context": self.context(),
            "actor": self.uri,
            "cc": note["cc"],
            "context": note["context"],
            "directMessage": False,
            "id": f"{self.origin}/activities/{self.uuid()}",
            "object": note,
            "published": PUBLISHED,
            "to": note["to"],
            "type": "Create",
        }

    def emoji_react(self, obj: str, emoji: str = "🔥") -> dict[str, Any]:
        return {
            "@context": self.context(),
            "actor": self.uri,
            "cc": [PUBLIC],
            "content": emoji,
            "context": f"{self.origin}/contexts/{self.uuid()}",
            "id": f"{self.origin}/activities/{self.uuid()}",
            "object": obj,
            "tag": [],
            "to": [ALICE, f"{self.uri}/followers"],
            "type": "EmojiReact",
        }

    def undo(self, inner: dict[str, Any]) -> dict[str, Any]:
        """Builder.undo: ``object`` is the undone activity's id, not the activity."""
        return {
            "@context": self.context(),
            "actor": self.uri,
            "cc": [PUBLIC],
            "context": inner["context"],
            "id": f"{self.origin}/activities/{self.uuid()}",
            "object": inner["id"],
            "to": inner["to"],
            "type": "Undo",
        }


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
async def alice_api(db: Database, alice: User) -> dict[str, str]:
    issued = await tokens.create_token(db, "alice")
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def kim(remote: RemoteServer) -> Mastodon:
    account = Mastodon(RemoteActor(remote, "/users/kim", rsa_key(0)), "kim")
    account.publish()
    return account


@pytest.fixture
async def lee(servers: StartServer) -> Mastodon:
    """Another Mastodon account, on another instance."""
    server = await servers("127.0.0.3")
    account = Mastodon(RemoteActor(server, "/users/lee", rsa_key(1)), "lee")
    account.publish()
    return account


@pytest.fixture
async def mika(servers: StartServer) -> Misskey:
    server = await servers("127.0.0.4")
    account = Misskey(RemoteActor(server, "/users/9kq1a2b3c4", rsa_key(2)), "mika")
    account.publish()
    return account


@pytest.fixture
async def pat(servers: StartServer) -> Pleroma:
    server = await servers("127.0.0.5")
    account = Pleroma(RemoteActor(server, "/users/pat", rsa_key(3)), "pat")
    account.publish()
    return account


# ----------------------------------------------------------------------------- helpers


async def send(app: App, sender: Fediverse, activity: dict[str, Any], path: str = "/inbox") -> None:
    """Deliver as the sender's server would (shared inbox for posts, the personal inbox for
    likes), then run the inbox worker."""
    answer = await app.deliver(sender.actor, activity, path=path)
    assert answer.status_code == 202, answer.text
    assert await app.process() >= 1
    [(state, error)] = await app.rows(
        "SELECT state, last_error FROM inbox_items WHERE activity_uri = :u", u=activity["id"]
    )
    assert (state, error) == ("done", None)


async def skill_note(app: App, alice_api: dict[str, str], name: str) -> str:
    """Declare a skill through the API; the URI of the public Note followers get about it."""
    made = await app.http.post("/api/v1/skills", json={"skill": name}, headers=alice_api)
    assert made.status_code == 201, made.text
    [(public_id,)] = await app.rows(
        "SELECT public_id FROM notes WHERE kind = 'skill' AND skill_key = :k", k=made.json()["key"]
    )
    return f"{ALICE}/notes/{public_id}"


async def suggestion_rows(app: App) -> list[tuple[Any, ...]]:
    return await app.rows(
        "SELECT name, key, author, state, attestation, via, subject FROM suggestions ORDER BY id"
    )


async def endorsement_rows(app: App) -> list[tuple[Any, ...]]:
    return await app.rows(
        "SELECT endorser, skill_key, kind, attestation, comment, uri, subject "
        "FROM endorsements ORDER BY id"
    )


async def notification_rows(app: App) -> list[tuple[str, str]]:
    return [
        (str(kind), str(actor))
        for kind, actor in await app.rows("SELECT kind, actor FROM notifications ORDER BY id")
    ]


async def direct_replies(app: App) -> list[tuple[dict[str, Any], list[str]]]:
    """The Creates of direct Notes we queued, with the inboxes they go to."""
    found = []
    for activity_id, body in await app.rows(
        "SELECT id, body FROM outgoing_activities WHERE type = 'Create' ORDER BY id"
    ):
        create = json.loads(body)
        if create["object"].get("cc") == [] and PUBLIC not in create["object"]["to"]:
            inboxes = [
                str(i)
                for (i,) in await app.rows(
                    "SELECT inbox FROM deliveries WHERE activity_id = :a ORDER BY inbox",
                    a=activity_id,
                )
            ]
            found.append((create, inboxes))
    return found


def assert_direct_reply(
    create: dict[str, Any], inboxes: list[str], to: Fediverse, in_reply_to: str
) -> dict[str, Any]:
    """A direct Note from alice to one person, mentioning them, answering their post."""
    note = create["object"]
    assert create["actor"] == ALICE and note["attributedTo"] == ALICE
    assert note["type"] == "Note"
    assert note["to"] == [to.uri] and note["cc"] == []
    assert create["to"] == [to.uri] and create["cc"] == []
    assert note["inReplyTo"] == in_reply_to
    assert {"type": "Mention", "href": to.uri, "name": f"@{to.username}@{to.host}"} in note["tag"]
    assert f"@<span>{to.username}</span>" in note["content"]
    assert inboxes == [to.shared_inbox]
    return note


async def delivered(app: App, server: RemoteServer, path: str = "/inbox") -> list[dict[str, Any]]:
    """Run the delivery worker; the signed POSTs ``server`` received at ``path``."""
    for _ in range(10):
        if await deliveries.deliver_due(app.fed, "skills-test") == 0:
            break
    got = [seen for seen in server.requests if seen.method == "POST" and seen.path == path]
    for seen in got:
        assert "signature" in seen.headers or "signature-input" in seen.headers
        assert seen.headers["content-type"].startswith(AS2)
    return [json.loads(seen.body) for seen in got]


class HtmlTags(HTMLParser):
    """Every start tag in a fragment, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


MASTODON_SAFE_ATTRIBUTES = {
    "p": set(),
    "br": set(),
    "a": {"href", "class", "rel", "translate"},
    "span": {"class", "translate"},
}
MASTODON_SAFE_CLASSES = {"mention", "hashtag", "h-card", "u-url"}


def assert_mastodon_safe(html: str) -> HtmlTags:
    parsed = HtmlTags()
    parsed.feed(html)
    parsed.close()
    assert parsed.tags, html
    for tag, attrs in parsed.tags:
        assert tag in MASTODON_SAFE_ATTRIBUTES, f"<{tag}> in {html}"
        assert set(attrs) <= MASTODON_SAFE_ATTRIBUTES[tag], f"<{tag} {attrs}> in {html}"
        classes = set((attrs.get("class") or "").split())
        assert classes <= MASTODON_SAFE_CLASSES, f"class {classes} in {html}"
        if tag == "a":
            assert (attrs.get("href") or "").startswith(("http://", "https://")), html
    # No script, style or img element, no event handler: the allow-lists above say so, and
    # so does the parser's view of every element (escaped text may mention them freely).
    assert not {"script", "style", "img"} & {tag for tag, _ in parsed.tags}
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    return parsed


# ----------------------------------------------------------------------------- 1. mentions


async def test_mastodon_mention_with_suggestskill_suggests_each_hashtag_and_answers(
    app: App, alice_api: dict[str, str], kim: Mastodon, remote: RemoteServer
) -> None:
    note = kim.note("you are great at these", hashtags=["SuggestSkill", "Rust", "CPlusPlus"])
    await send(app, kim, kim.create(note))

    # alice has no "C++" yet, so #CPlusPlus has no display form to map back to: the
    # suggestion is named after the tag (domain/skills.display_for_hashtag).
    assert await suggestion_rows(app) == [
        ("Rust", "rust", kim.uri, "pending", "server", note["id"], ALICE),
        ("CPlusPlus", "cplusplus", kim.uri, "pending", "server", note["id"], ALICE),
    ]
    listed = await app.http.get("/api/v1/suggestions?status=pending", headers=alice_api)
    assert listed.status_code == 200
    assert sorted(
        (s["skill"]["name"], s["from"], s["attestation"], s["via"], s["status"])
        for s in listed.json()["suggestions"]
    ) == [
        ("CPlusPlus", kim.uri, "server", note["id"], "pending"),
        ("Rust", kim.uri, "server", note["id"], "pending"),
    ]
    # Nothing shows on the profile until alice decides.
    assert (await app.http.get("/users/alice/skills", headers=ACCEPT_AS2)).json()["totalItems"] == 0
    assert await notification_rows(app) == [("suggestion", kim.uri), ("suggestion", kim.uri)]

    # kim gets a direct answer: to kim only, mentioning kim, in reply to the post.
    [(create, inboxes)] = await direct_replies(app)
    reply = assert_direct_reply(create, inboxes, kim, note["id"])
    assert "#<span>Rust</span>" in reply["content"]
    assert "#<span>CPlusPlus</span>" in reply["content"]
    assert_mastodon_safe(reply["content"])
    # ... and the worker really delivers it to kim's server, signed.
    [received] = await delivered(app, remote)
    assert received["type"] == "Create" and received["object"]["id"] == reply["id"]
    assert received["object"]["to"] == [kim.uri]
    assert received["object"]["inReplyTo"] == note["id"]

    # The same post again (a redelivery) suggests nothing new and answers nothing new.
    again = kim.create(note)
    again["id"] = f"{note['id']}/activity-redelivered"
    await send(app, kim, again)
    assert len(await suggestion_rows(app)) == 2
    assert len(await direct_replies(app)) == 1


async def test_hashtag_maps_back_to_the_display_name_alice_already_has(
    app: App, alice_api: dict[str, str], kim: Mastodon
) -> None:
    await skill_note(app, alice_api, "C++")
    note = kim.note("", hashtags=["SuggestSkill", "CPlusPlus", "Rust"])
    await send(app, kim, kim.create(note))
    # #CPlusPlus is alice's "C++" (already on her profile): not a new "CPlusPlus" skill.
    assert await suggestion_rows(app) == [
        ("Rust", "rust", kim.uri, "pending", "server", note["id"], ALICE)
    ]
    [(create, inboxes)] = await direct_replies(app)
    reply = assert_direct_reply(create, inboxes, kim, note["id"])
    assert "#<span>Rust</span>" in reply["content"] and "CPlusPlus" not in reply["content"]

    # A hashtag for a skill alice has, in any case, maps to her display form too.
    await skill_note(app, alice_api, "node.js")
    lower = kim.note("", hashtags=["suggestskill", "nodejs"])
    await send(app, kim, kim.create(lower))
    assert len(await suggestion_rows(app)) == 1  # "node.js" is already hers


async def test_mention_without_suggestskill_suggests_nothing(
    app: App, alice_api: dict[str, str], kim: Mastodon
) -> None:
    plain = kim.note("just saying hi", hashtags=["Rust", "CPlusPlus"])
    await send(app, kim, kim.create(plain))
    # #SuggestSkill without a Mention of alice: nothing either.
    unaddressed = kim.note("to nobody", hashtags=["SuggestSkill", "Rust"], mention_alice=False)
    await send(app, kim, kim.create(unaddressed))

    assert await suggestion_rows(app) == []
    assert await notification_rows(app) == []
    assert await direct_replies(app) == []
    # The posts themselves were taken in (stored), just not as suggestions.
    stored = {str(u) for (u,) in await app.rows("SELECT uri FROM remote_objects")}
    assert stored == {plain["id"], unaddressed["id"]}


async def test_misskey_mention_with_lower_cased_hashtags_suggests(
    app: App, alice_api: dict[str, str], mika: Misskey, servers: StartServer
) -> None:
    await skill_note(app, alice_api, "Go")
    note = mika.note("すごい", hashtags=["SuggestSkill", "Rust", "Go", "Typescript"])
    assert [t["name"] for t in note["tag"][1:]] == ["#suggestskill", "#rust", "#go", "#typescript"]
    await send(app, mika, mika.create(note))
    # Misskey lower-cases hashtag names: the suggestion keeps that form ("rust"), unless
    # alice already has the skill ("Go" is hers: #go maps back to it and is skipped).
    assert await suggestion_rows(app) == [
        ("rust", "rust", mika.uri, "pending", "server", note["id"], ALICE),
        ("typescript", "typescript", mika.uri, "pending", "server", note["id"], ALICE),
    ]
    assert await notification_rows(app) == [("suggestion", mika.uri)] * 2
    [(create, inboxes)] = await direct_replies(app)
    assert_direct_reply(create, inboxes, mika, note["id"])


async def test_pleroma_mention_with_context_suggests(
    app: App, alice_api: dict[str, str], pat: Pleroma
) -> None:
    note = pat.note("knows her stuff", hashtags=["SuggestSkill", "Elixir"])
    await send(app, pat, pat.create(note))
    assert await suggestion_rows(app) == [
        ("elixir", "elixir", pat.uri, "pending", "server", note["id"], ALICE)
    ]
    [(create, inboxes)] = await direct_replies(app)
    assert_direct_reply(create, inboxes, pat, note["id"])


# ----------------------------------------------------------------------------- 2. asks


async def test_reply_to_an_ask_suggests_its_hashtags_linked_to_the_conversation(
    app: App, alice_api: dict[str, str], kim: Mastodon, lee: Mastodon
) -> None:
    ask = await app.http.post(
        "/api/v1/asks", json={"text": "What would you say I'm good at?"}, headers=alice_api
    )
    assert ask.status_code == 201, ask.text
    ask_uri = ask.json()["uri"]
    shown = await app.http.get(ask_uri.removeprefix(BASE), headers=ACCEPT_AS2)
    assert shown.status_code == 200 and shown.json()["id"] == ask_uri

    answer = kim.note("easy:", hashtags=["Python", "Teaching"], in_reply_to=ask_uri)
    assert answer["inReplyToAtomUri"] == ask_uri
    await send(app, kim, kim.create(answer))
    assert await suggestion_rows(app) == [
        ("Python", "python", kim.uri, "pending", "server", ask_uri, ALICE),
        ("Teaching", "teaching", kim.uri, "pending", "server", ask_uri, ALICE),
    ]
    assert await notification_rows(app) == [("suggestion", kim.uri)] * 2
    [(create, inboxes)] = await direct_replies(app)
    assert_direct_reply(create, inboxes, kim, answer["id"])

    # A second person's answer in the same conversation is theirs.
    other = lee.note("", hashtags=["Python"], in_reply_to=ask_uri)
    await send(app, lee, lee.create(other))
    rows = await suggestion_rows(app)
    assert rows[2:] == [("Python", "python", lee.uri, "pending", "server", ask_uri, ALICE)]

    # A reply with hashtags to an ordinary note of alice's is not a suggestion.
    plain = await app.http.post(
        "/api/v1/notes", json={"content": "Lovely weather"}, headers=alice_api
    )
    assert plain.status_code == 201
    chat = kim.note("", hashtags=["Rust"], in_reply_to=plain.json()["uri"])
    await send(app, kim, kim.create(chat))
    assert len(await suggestion_rows(app)) == 3


# ----------------------------------------------------------------------------- 3. likes


async def test_mastodon_like_of_a_skill_note_endorses_and_undo_withdraws(
    app: App, alice_api: dict[str, str], kim: Mastodon, lee: Mastodon
) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    like = kim.like(note_uri)
    assert like["id"].startswith(f"{kim.uri}#likes/")
    await send(app, kim, like, path="/users/alice/inbox")
    assert await endorsement_rows(app) == [
        (kim.uri, "rust", "like", "server", "", like["id"], ALICE)
    ]
    assert await notification_rows(app) == [("endorsement", kim.uri)]
    assert await direct_replies(app) == []  # a like gets no answer

    # The same like again is one endorsement.
    await send(app, kim, kim.like(note_uri), path="/users/alice/inbox")
    assert len(await endorsement_rows(app)) == 1

    # Someone else cannot undo kim's like, even with kim's Like embedded.
    forged = kim.undo_like(like, actor=lee.uri)
    await send(app, lee, forged, path="/users/alice/inbox")
    assert len(await endorsement_rows(app)) == 1

    await send(app, kim, kim.undo_like(like), path="/users/alice/inbox")
    assert await endorsement_rows(app) == []


async def test_like_of_anything_but_a_skill_note_endorses_nothing(
    app: App, alice_api: dict[str, str], kim: Mastodon
) -> None:
    plain = await app.http.post("/api/v1/notes", json={"content": "hello"}, headers=alice_api)
    await send(app, kim, kim.like(plain.json()["uri"]), path="/users/alice/inbox")
    await send(app, kim, kim.like(f"{ALICE}/notes/nope"), path="/users/alice/inbox")
    assert await endorsement_rows(app) == []
    assert await notification_rows(app) == []


async def test_misskey_reaction_is_a_like_and_its_undo_withdraws(
    app: App, alice_api: dict[str, str], mika: Misskey
) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    reaction = mika.like(note_uri, "🦀")
    assert reaction["_misskey_reaction"] == reaction["content"] == "🦀"
    await send(app, mika, reaction, path="/users/alice/inbox")
    assert await endorsement_rows(app) == [
        (mika.uri, "rust", "like", "server", "", reaction["id"], ALICE)
    ]
    await send(app, mika, mika.undo(reaction), path="/users/alice/inbox")
    assert await endorsement_rows(app) == []

    # A custom-emoji reaction, with its Emoji tag, counts the same.
    emoji = {
        "id": mika.actor.server.url("/emojis/blobcat"),
        "type": "Emoji",
        "name": ":blobcat:",
        "updated": PUBLISHED,
        "icon": {
            "type": "Image",
            "mediaType": "image/png",
            "url": mika.actor.server.url("/files/blobcat.png"),
        },
    }
    custom = mika.like(note_uri, ":blobcat:", emoji)
    await send(app, mika, custom, path="/users/alice/inbox")
    assert [(r[0], r[2], r[5]) for r in await endorsement_rows(app)] == [
        (mika.uri, "like", custom["id"])
    ]


async def test_pleroma_emoji_react_is_a_like_and_its_undo_withdraws(
    app: App, alice_api: dict[str, str], pat: Pleroma
) -> None:
    note_uri = await skill_note(app, alice_api, "Elixir")
    react = pat.emoji_react(note_uri)
    await send(app, pat, react, path="/users/alice/inbox")
    assert await endorsement_rows(app) == [
        (pat.uri, "elixir", "like", "server", "", react["id"], ALICE)
    ]
    assert await notification_rows(app) == [("endorsement", pat.uri)]
    # Pleroma's Undo names the EmojiReact by id only.
    await send(app, pat, pat.undo(react), path="/users/alice/inbox")
    assert await endorsement_rows(app) == []


# ----------------------------------------------------------------------------- 4. replies


async def test_reply_to_a_skill_note_endorses_with_its_comment_and_delete_withdraws(
    app: App, alice_api: dict[str, str], kim: Mastodon, lee: Mastodon, remote: RemoteServer
) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    reply = kim.note("She rewrote our parser in Rust &amp; it flies", in_reply_to=note_uri)
    await send(app, kim, kim.create(reply))
    # The comment is the text after the leading @mention, entities decoded.
    assert await endorsement_rows(app) == [
        (
            kim.uri,
            "rust",
            "reply",
            "server",
            "She rewrote our parser in Rust & it flies",
            reply["id"],
            ALICE,
        )
    ]
    assert await notification_rows(app) == [("endorsement", kim.uri)]
    [(create, inboxes)] = await direct_replies(app)
    answer = assert_direct_reply(create, inboxes, kim, reply["id"])
    assert_mastodon_safe(answer["content"])
    [received] = await delivered(app, remote)
    assert received["object"]["id"] == answer["id"]

    # Only its author can delete the reply (lee's Delete names kim's note: refused).
    forged = lee.delete(reply["id"])
    forged["id"] = f"{lee.uri}/statuses/1#delete"
    await send(app, lee, forged)
    assert len(await endorsement_rows(app)) == 1

    await send(app, kim, kim.delete(reply["id"]))
    assert await endorsement_rows(app) == []


async def test_reply_after_a_like_replaces_the_like(
    app: App, alice_api: dict[str, str], kim: Mastodon
) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    await send(app, kim, kim.like(note_uri), path="/users/alice/inbox")
    reply = kim.note("Mentored me through my first borrow-checker fight", in_reply_to=note_uri)
    await send(app, kim, kim.create(reply))
    assert await endorsement_rows(app) == [
        (
            kim.uri,
            "rust",
            "reply",
            "server",
            "Mentored me through my first borrow-checker fight",
            reply["id"],
            ALICE,
        )
    ]
    # A like after the comment does not replace it; a second reply does not add one.
    await send(app, kim, kim.like(note_uri), path="/users/alice/inbox")
    second = kim.note("Also great at reviews", in_reply_to=note_uri)
    await send(app, kim, kim.create(second))
    assert [(r[2], r[5]) for r in await endorsement_rows(app)] == [("reply", reply["id"])]


# ----------------------------------------------------------------------------- 5. profile


async def test_profile_shows_server_attested_endorsements_apart_from_proofs(
    app: App, db: Database, alice_api: dict[str, str], kim: Mastodon, pat: Pleroma
) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    like = kim.like(note_uri)
    await send(app, kim, like, path="/users/alice/inbox")
    reply = pat.note("fixed my build", hashtags=[], in_reply_to=note_uri)
    await send(app, pat, pat.create(reply))
    # A local person endorses with an object proof.
    await create_user(db, "carol")
    carol = {"Authorization": f"Bearer {(await tokens.create_token(db, 'carol')).token}"}
    made = await app.http.post(
        "/api/v1/endorsements",
        json={"to": "alice@testserver", "skill": "Rust", "comment": "Paired on it"},
        headers=carol,
    )
    assert made.status_code == 201, made.text

    shown = await app.http.get("/api/v1/profiles/alice@testserver", headers=alice_api)
    assert shown.status_code == 200, shown.text
    [rust] = shown.json()["skills"]
    assert rust["name"] == "Rust"
    by = {e["by"]: e for e in rust["endorsements"]}
    assert set(by) == {kim.uri, pat.uri, f"{BASE}/users/carol"}
    assert (by[kim.uri]["kind"], by[kim.uri]["verified"], by[kim.uri]["signer"]) == (
        "like",
        "server",
        kim.origin,
    )
    assert by[kim.uri]["id"] == like["id"]
    assert (by[pat.uri]["kind"], by[pat.uri]["verified"], by[pat.uri]["signer"]) == (
        "reply",
        "server",
        pat.origin,
    )
    assert by[pat.uri]["comment"] == "fixed my build"
    proof = by[f"{BASE}/users/carol"]
    assert (proof["kind"], proof["verified"], proof["signer"]) == (
        "endorsement",
        "proof",
        f"{BASE}/users/carol",
    )
    assert rust["counts"] == {"proof": 1, "server": 2, "failed": 0, "total": 3}


# ----------------------------------------------------------------------------- 6. the Note


async def test_skill_note_is_what_mastodon_can_show(app: App, alice_api: dict[str, str]) -> None:
    note_uri = await skill_note(app, alice_api, "Rust")
    got = await app.http.get(note_uri.removeprefix(BASE), headers=ACCEPT_AS2)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith(AS2)
    note = got.json()
    assert note["@context"] == AS_CONTEXT
    assert note["id"] == note_uri and note["type"] == "Note"
    assert note["attributedTo"] == ALICE
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [f"{ALICE}/followers"]
    assert note["tag"] == [{"type": "Hashtag", "href": f"{BASE}/tags/Rust", "name": "#Rust"}]
    parsed = assert_mastodon_safe(note["content"])
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert [(a["href"], a["class"]) for a in links] == [(f"{BASE}/tags/Rust", "mention hashtag")]
    assert "".join(parsed.text) == "alice added #Rust to their skills. Like or reply to endorse it."

    # The Create that carried it to followers carries the same Note, publicly addressed.
    [(body,)] = await app.rows("SELECT body FROM outgoing_activities WHERE type = 'Create'")
    create = json.loads(body)
    assert create["object"] == {k: v for k, v in note.items() if k != "@context"}
    assert create["to"] == [PUBLIC] and create["cc"] == [f"{ALICE}/followers"]


async def test_hostile_skill_names_are_refused_or_escaped(
    app: App, alice_api: dict[str, str]
) -> None:
    refused = await app.http.post(
        "/api/v1/skills", json={"skill": 'Rust & <b>"Go"</b>'}, headers=alice_api
    )
    assert refused.status_code == 400
    assert "< or >" in refused.json()["error"]
    assert await app.rows("SELECT id FROM notes") == []
    assert await app.rows("SELECT id FROM skills") == []

    note_uri = await skill_note(app, alice_api, "R&D")
    note = (await app.http.get(note_uri.removeprefix(BASE), headers=ACCEPT_AS2)).json()
    content = note["content"]
    parsed = assert_mastodon_safe(content)
    assert "R&amp;D" in content
    assert "R&D" not in content  # never a raw ampersand in the HTML
    assert "".join(parsed.text).startswith("alice added R&D (#RAndD) to their skills")
    assert note["tag"] == [{"type": "Hashtag", "href": f"{BASE}/tags/RAndD", "name": "#RAndD"}]


async def test_hostile_display_name_cannot_inject_html_into_skill_notes(
    app: App, alice_api: dict[str, str]
) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="y"> & "co"'
    patched = await app.http.patch(
        "/api/v1/profile", json={"display_name": hostile}, headers=alice_api
    )
    assert patched.status_code == 200, patched.text
    note_uri = await skill_note(app, alice_api, "C++")
    note = (await app.http.get(note_uri.removeprefix(BASE), headers=ACCEPT_AS2)).json()
    parsed = assert_mastodon_safe(note["content"])
    # The name shows as the text it is; only the hashtag link is markup.
    assert "".join(parsed.text).startswith(f"{hostile} added C++ (#CPlusPlus) to their skills")
    assert [tag for tag, _ in parsed.tags] == ["p", "a", "span"]


async def test_hashtag_maps_to_the_name_other_people_here_use(
    app: App, db: Database, alice_api: dict[str, str], kim: Mastodon
) -> None:
    """alice has no C++ yet, but dan on this instance does: #CPlusPlus suggests "C++"."""
    await create_user(db, "dan")
    dan = {"Authorization": f"Bearer {(await tokens.create_token(db, 'dan')).token}"}
    made = await app.http.post("/api/v1/skills", json={"skill": "C++"}, headers=dan)
    assert made.status_code == 201
    note = kim.note("", hashtags=["SuggestSkill", "CPlusPlus"])
    await send(app, kim, kim.create(note))
    assert [row[:2] for row in await suggestion_rows(app)] == [("C++", "c++")]
