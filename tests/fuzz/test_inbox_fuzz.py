"""Fuzzed inbox POSTs through the real app: signed by a real remote actor (so they reach
the parser and the handlers), unsigned, garbled or not JSON at all.

The property: the answer is 202 or a 4xx with a JSON ``error``, never a 5xx; nothing the
app logs carries an exception; and the inbox worker (``services.inbox.process_due``)
processes whatever was accepted without an exception either.
"""

from __future__ import annotations

import httpx
from hypothesis import given

from tests.fuzz.harness import INBOX_STATUSES, World
from tests.fuzz.profiles import fuzz, record
from tests.fuzz.strategies import InboxPost, inbox_posts


async def check_answer(world: World, post: InboxPost, answer: httpx.Response) -> None:
    assert answer.status_code in INBOX_STATUSES, (
        f"{answer.status_code} {answer.text[:500]} for {post!r:.2000}"
    )
    payload = answer.json()
    if answer.status_code == 202:
        assert isinstance(payload.get("id"), str)
    else:
        assert isinstance(payload.get("error"), str) and payload["error"], payload
    world.check_no_crash()
    await world.drain()


@fuzz(short=60, long=8_000)
@given(post=inbox_posts("signed"))
async def test_signed_activities_get_202_or_4xx_and_process_cleanly(
    world: World, backend: str, post: InboxPost
) -> None:
    answer = await world.post_inbox(post)
    record(f"inbox signed ({backend})", answer.status_code)
    await check_answer(world, post, answer)


@fuzz(short=40, long=12_000)
@given(post=inbox_posts("unsigned", "garbled", "raw"))
async def test_unsigned_garbled_and_raw_posts_get_4xx(
    world: World, backend: str, post: InboxPost
) -> None:
    answer = await world.post_inbox(post)
    record(f"inbox unsigned/garbled/raw ({backend})", answer.status_code)
    await check_answer(world, post, answer)
    if post.transport == "unsigned" and answer.status_code == 202:
        # Only a Delete of an actor by itself, never seen here, is taken without a
        # signature (there is nothing to delete, and nothing is fetched).
        doc = post.document
        obj = doc.get("object")
        target = obj.get("id") if isinstance(obj, dict) else obj
        assert doc.get("type") == "Delete" and target == doc.get("actor"), doc
