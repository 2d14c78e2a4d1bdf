"""The world the fuzz tests run in: the real app (lifespan included, over ASGI), two real
remote actors on 127.0.0.1 and 127.0.0.2 that sign with the project's own signers, local
users with a bearer token, and seeded state for the handlers to find (a skill and its note,
an "ask" post, a posting, our Follow of the remote actor and our Offer to it).

Every error the app logs with an exception (the inbox's "inbox POST failed", the web's
"unhandled error", the worker's "processing ... failed") is captured, and
:meth:`World.check_no_crash` turns it into a test failure.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import text

from fediverse_skills.config import Settings
from fediverse_skills.services import accounts, actors, blocks, inbox, tokens
from fediverse_skills.store.db import Database
from tests.fuzz.strategies import InboxPost, Json
from tests.security.conftest import App, running_app
from tests.security.remote import (
    BASE,
    RemoteActor,
    RemoteServer,
    body_of,
    public_pem,
    rsa_key,
    signed_headers,
)

ALICE = f"{BASE}/users/alice"
# What the inbox may answer (429: a rate limit, if one is configured).
INBOX_STATUSES = {202, 400, 401, 403, 404, 413, 415, 429}


class CrashLog(logging.Handler):
    """Collects every record logged with an exception under ``fediverse_skills``."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.crashes: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.crashes.append(record)

    def take(self) -> list[str]:
        found = [
            f"{r.name}: {r.getMessage()}\n" + "".join(traceback.format_exception(*r.exc_info))
            for r in self.crashes
            if r.exc_info and r.exc_info[0] is not None
        ]
        self.crashes.clear()
        return found


@dataclass
class World:
    app: App
    actor: RemoteActor  # signs what the fuzzer sends
    other: RemoteActor  # a second remote actor, on another origin
    auth: dict[str, str]  # alice's bearer token
    names: dict[str, str] = field(default_factory=dict)
    crash_log: CrashLog = field(default_factory=CrashLog)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def http(self) -> httpx.AsyncClient:
        return self.app.http

    def resolve(self, value: Json) -> Json:
        """``value`` with every placeholder replaced (``%N%`` by a fresh number)."""
        if isinstance(value, str):
            if "%" not in value:
                return value
            for name, real in self.names.items():
                value = value.replace(name, real)
            while "%N%" in value:
                value = value.replace("%N%", str(next(self._numbers)), 1)
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        return value

    async def heal(self) -> None:
        """Undo what a fuzzed Delete or Update of the signing actor did to its cache entry
        (deleted, or another key), so that later inputs are verified again."""
        rows = await self.app.rows(
            "SELECT deleted_at, public_key_pem FROM remote_actors WHERE uri = :uri",
            uri=self.actor.uri,
        )
        if not rows or (rows[0][0] is None and rows[0][1] == self._pem):
            return
        await actors.store_document(self.app.fed, self.actor.document())
        async with self.app.db.transaction() as conn:
            await conn.execute(
                text("UPDATE remote_actors SET deleted_at = NULL WHERE uri = :uri"),
                {"uri": self.actor.uri},
            )
        self.app.fed.forget_keys_of(self.actor.uri)

    @property
    def _pem(self) -> str:
        return self.names["%ACTOR_PEM%"]

    def check_no_crash(self) -> None:
        crashes = self.crash_log.take()
        assert not crashes, "the app logged an exception:\n" + "\n".join(crashes)

    async def drain(self) -> int:
        """Run the inbox worker's step (``services.inbox.process_due``) until nothing is
        due; any exception it logs fails the test."""
        total = 0
        for _ in range(20):
            handled = await inbox.process_due(self.app.fed, "fuzz")
            total += handled
            if handled == 0:
                break
        self.check_no_crash()
        await self.heal()
        return total

    # ------------------------------------------------------------------------- inbox

    def _prove(self, document: Json) -> Json:
        """``document`` with the actor's eddsa-jcs-2022 proof, if it can be canonicalised."""
        if not isinstance(document, dict):
            return document
        try:
            return self.actor.sign_object({k: v for k, v in document.items() if k != "proof"})
        except (ValueError, TypeError, OverflowError, UnicodeError):
            return document  # the sender could not sign it either

    def inbox_request(self, post: InboxPost) -> tuple[str, bytes, dict[str, str]]:
        """The path, body and headers of ``post``, signed as it says."""
        doc = self.resolve(post.document)
        if post.proof == "activity":
            doc = self._prove(doc)
        elif post.proof == "object" and isinstance(doc.get("object"), dict):
            doc["object"] = self._prove(doc["object"])
        if post.transport == "raw":
            body = post.raw
        else:
            text = json.dumps(doc, ensure_ascii=post.ascii)
            body = text.encode("utf-8", "surrogatepass")
        path = post.path
        if post.transport == "unsigned":
            return path, body, {"Content-Type": post.content_type}
        signer, key_id = self.actor, self.actor.key_id
        garble = post.garble if post.transport == "garbled" else None
        if garble and garble[0] == "signer":
            if garble[1] == "other":
                signer, key_id = self.other, self.other.key_id
            else:
                key_id = f"{ALICE}#main-key"
        headers = signed_headers(
            body,
            key_id=key_id,
            key=signer.key,
            path=path,
            scheme=post.scheme,
            content_type=post.content_type,
        )
        if garble and garble[0] == "drop":
            headers.pop(garble[1], None)
        elif garble and garble[0] == "replace":
            headers[garble[1]] = self.resolve(garble[2])
        elif garble and garble[0] == "flip" and body:
            at = garble[1] % len(body)
            body = body[:at] + bytes([body[at] ^ 0x20]) + body[at + 1 :]
        return path, body, headers

    async def post_inbox(self, post: InboxPost) -> httpx.Response:
        path, body, headers = self.inbox_request(post)
        return await self.http.post(path, content=body, headers=headers)

    async def deliver(self, activity: dict[str, Any]) -> httpx.Response:
        body = body_of(activity)
        headers = signed_headers(body, key_id=self.actor.key_id, key=self.actor.key)
        return await self.http.post("/users/alice/inbox", content=body, headers=headers)

    async def renew_token(self) -> None:
        """A new token for alice, after a fuzzed request revoked hers."""
        issued = await tokens.create_token(self.app.db, "alice")
        self.auth = {"Authorization": f"Bearer {issued.token}"}

    # ------------------------------------------------------------------------- seeding

    async def api(self, method: str, path: str, body: Json = None) -> httpx.Response:
        return await self.http.request(method, path, json=body, headers=self.auth)

    async def seed(self, db: Database) -> None:
        """Things for the handlers to find, made through the API like a user would."""
        names = self.names
        names.update(
            {
                "%ACTOR_KEY%": self.actor.key_id,
                "%ACTOR_PEM%": public_pem(self.actor.key),
                "%ACTOR%": self.actor.uri,
                "%ORIGIN%": self.actor.origin,
                "%OTHER_ORIGIN%": self.other.origin,
                "%OTHER%": self.other.uri,
                "%FOLLOWERS%": f"{self.actor.uri}/followers",
                "%ALICE_FOLLOWERS%": f"{ALICE}/followers",
                "%ALICE_KEY%": f"{ALICE}#main-key",
                "%ALICE%": ALICE,
                "%CAROL%": f"{BASE}/users/carol",
                "%BASE%": BASE,
                "%SKILL%": f"{ALICE}/skills/rust",
            }
        )
        # The remote actor follows alice (so "followers" policies let it in).
        follow = self.actor.activity("Follow", ALICE)
        assert (await self.deliver(follow)).status_code == 202
        await self.drain()
        assert (await self.api("POST", "/api/v1/skills", {"skill": "Rust"})).status_code == 201
        ask = await self.api("POST", "/api/v1/asks", {"text": "What am I good at? #ask"})
        names["%ASK%"] = ask.json()["uri"]
        posting = await self.api(
            "POST",
            "/api/v1/opportunities",
            {"title": "Rust dev", "description": "Parsers", "required_skills": ["Rust"]},
        )
        names["%POSTING%"] = posting.json()["uri"]
        names["%POSTING_ID%"] = posting.json()["id"]
        followed = await self.api("POST", "/api/v1/follows", {"target": self.actor.uri})
        assert followed.status_code == 201, followed.text
        offered = await self.api(
            "POST", "/api/v1/suggestions", {"to": self.actor.uri, "skill": "Go"}
        )
        assert offered.status_code == 201, offered.text
        names["%OUR_OFFER%"] = offered.json()["uri"]
        carol = {"Authorization": f"Bearer {(await tokens.create_token(db, 'carol')).token}"}
        suggested = await self.http.post(
            "/api/v1/suggestions", json={"to": "alice", "skill": "Zig"}, headers=carol
        )
        names["%SUGGESTION_ID%"] = suggested.json().get("id", "x")
        referred = await self.api(
            "POST", "/api/v1/referrals", {"opportunity": posting.json()["id"], "candidate": "carol"}
        )
        names["%REFERRAL_ID%"] = str(referred.json().get("id", "x"))
        for uri, kind in await self.app.rows("SELECT uri, type FROM outgoing_activities"):
            if kind == "Follow":
                names["%OUR_FOLLOW%"] = str(uri)
        for (public_id,) in await self.app.rows("SELECT public_id FROM notes WHERE kind = 'skill'"):
            names["%SKILL_NOTE%"] = f"{ALICE}/notes/{public_id}"
        for name in ("%OUR_FOLLOW%", "%SKILL_NOTE%"):
            assert name in names, f"seeding made no {name}"
        self.check_no_crash()


@contextlib.asynccontextmanager
async def open_world(settings: Settings, db: Database) -> AsyncIterator[World]:
    """The app with its peers, users and seeded state; torn down in order."""
    near = await RemoteServer(("127.0.0.1",)).start()
    far = await RemoteServer(("127.0.0.2",)).start()
    crash_log = CrashLog()
    logger = logging.getLogger("fediverse_skills")
    logger.addHandler(crash_log)
    try:
        actor = RemoteActor(
            near, "/users/bob", rsa_key(0), proof_key=ed25519.Ed25519PrivateKey.generate()
        )
        actor.publish()
        other = RemoteActor(
            far, "/users/mallory", rsa_key(1), proof_key=ed25519.Ed25519PrivateKey.generate()
        )
        other.publish()
        await accounts.create_user(db, "alice")
        await accounts.create_user(db, "carol")
        issued = await tokens.create_token(db, "alice")
        # A blocked domain, so that every IRI goes through the domain-block checks.
        await blocks.block(db, "blocked.invalid")
        # No rate limits: the fuzzer is one very busy client.
        fuzz_settings = settings.replace(
            allow_private_addresses=True, inbox_rate_limit=0, api_rate_limit=0
        )
        async with running_app(fuzz_settings, db) as app:
            world = World(
                app=app,
                actor=actor,
                other=other,
                auth={"Authorization": f"Bearer {issued.token}"},
                crash_log=crash_log,
            )
            await world.seed(db)
            yield world
    finally:
        logger.removeHandler(crash_log)
        await near.stop()
        await far.stop()
