"""Two instances of our server, real processes talking real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PostgresServer, _require_postgres
from tests.instances import Instance, eventually

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def pair(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer | None
) -> Iterator[tuple[Instance, Instance]]:
    """Instance A (alice) and B (bob). On PostgreSQL each has two worker processes."""
    if request.param == "sqlite":
        a, b = Instance(tmp_path / "a"), Instance(tmp_path / "b")
    else:
        server = _require_postgres(postgres_server)
        a = Instance(tmp_path / "a", database_url=server.create("fst_a"), workers=2)
        b = Instance(tmp_path / "b", database_url=server.create("fst_b"), workers=2)
    a.setup("alice")
    b.setup("bob")
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()
        for inst in (a, b):
            if inst.database_url and postgres_server is not None:
                postgres_server.drop(inst.database_url)


def test_follow_accept_publish_receive(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice = f"{a.url}/users/alice"
    bob = f"{b.url}/users/bob"

    # bob@B follows alice@A by handle: WebFinger, actor fetch, signed Follow.
    followed = b.api("bob", "/api/v1/follows", {"target": f"alice@{a.host}"})
    assert followed.status_code == 201, followed.text
    assert followed.json() == {"target": alice, "state": "pending"}

    # A verifies, accepts automatically, and B records the Accept.
    eventually(
        lambda: b.query("SELECT state FROM follows WHERE follower=:f", f=bob) == [("accepted",)],
        what=f"B sees the follow accepted\n{a.logs()}\n{b.logs()}",
    )
    followers = a.get_as("/users/alice/followers?page=1").json()
    assert followers["orderedItems"] == [bob]
    following = b.get_as("/users/bob/following?page=1").json()
    assert following["orderedItems"] == [alice]

    # alice publishes; bob's server receives the Create over a signed POST.
    posted = a.api("alice", "/api/v1/notes", {"content": "Hello <fediverse> & friends"})
    assert posted.status_code == 201, posted.text
    note_uri = posted.json()["uri"]
    rows = eventually(
        lambda: b.query("SELECT content, actor FROM remote_objects WHERE uri=:u", u=note_uri),
        what="B stores alice's note",
    )
    assert rows == [("<p>Hello &lt;fediverse&gt; &amp; friends</p>", alice)]

    # The note and its Create are served at their ids; the outbox lists it.
    note = a.get_as(note_uri)
    assert note.status_code == 200
    assert note.headers["content-type"].startswith("application/activity+json")
    assert note.json()["attributedTo"] == alice
    outbox = a.get_as("/users/alice/outbox?page=1").json()
    assert outbox["orderedItems"][0]["object"]["id"] == note_uri

    # Every delivery A queued went out once, and nothing is left pending.
    states = a.query("SELECT state, count(*) FROM deliveries GROUP BY state")
    assert states == [("done", 2)]  # the Accept, then the Create
    assert b.query("SELECT state FROM inbox_items ORDER BY id") == [("done",), ("done",)]
