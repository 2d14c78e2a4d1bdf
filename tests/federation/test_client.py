"""The federation HTTP client, over real HTTP/1.1 on 127.0.0.1.

The peer is a small HTTP/1.1 server written on ``asyncio.start_server``: it records every
connection and request, and answers from a table of canned replies (including chunked and
close-delimited bodies, stalls and trickles that a framework would not let us produce).

Host names are mapped to addresses by an injected resolver (:class:`FakeDNS`); URLs carry
the server's port, so ``http://rebind.test:<port>/`` reaches the server when the resolver
says ``rebind.test`` is 127.0.0.1 and the client is allowed to dial it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest

from fediverse_skills.federation.client import (
    ACTIVITY_ACCEPT,
    FederationClient,
    FetchError,
    ForbiddenAddress,
    create_client,
)

AS2 = "application/activity+json"

# ----------------------------------------------------------------------------- the peer


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    framing: Literal["length", "chunked", "close"] = "length"
    delay: float = 0.0  # pause before answering at all
    trickle: float | None = None  # send the body a byte at a time, pausing this long
    close: bool = False  # Connection: close after this reply


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Route = Reply | Callable[[Seen], Reply]


class Peer:
    """A real HTTP/1.1 server on 127.0.0.1 with keep-alive."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [seen.target for seen in self.requests]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, target, _version = request_line.split(" ")
                headers: dict[str, str] = {}
                for line in lines:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = Seen(method, target, headers, body)
                self.requests.append(seen)
                route = self.routes.get(target.split("?")[0], Reply(404, body=b"not found"))
                reply = route(seen) if callable(route) else route
                if not await self._send(writer, reply):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        """Write one reply; False when the connection must close afterwards."""
        if reply.delay:
            await asyncio.sleep(reply.delay)
        keep_alive = not reply.close and reply.framing != "close"
        lines = [f"HTTP/1.1 {reply.status} Whatever"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if reply.framing == "length":
            lines.append(f"Content-Length: {len(reply.body)}")
        elif reply.framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
        if not keep_alive:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if reply.trickle is not None:
            for byte in reply.body:
                writer.write(b"1\r\n" + bytes([byte]) + b"\r\n")
                await writer.drain()
                await asyncio.sleep(reply.trickle)
        elif reply.framing == "chunked":
            step = 65_536
            for start in range(0, len(reply.body), step):
                piece = reply.body[start : start + step]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
        else:
            writer.write(reply.body)
        if reply.framing == "chunked":
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        return keep_alive


class FakeDNS:
    """An injected resolver: host -> addresses, recording every lookup."""

    def __init__(self, answers: Mapping[str, list[str]] | None = None, delay: float = 0.0):
        self.answers = dict(answers or {})
        self.calls: list[str] = []
        self.delay = delay

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if self.delay:
            await asyncio.sleep(self.delay)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def as2(document: dict[str, Any], content_type: str = AS2, **kwargs: Any) -> Reply:
    return Reply(
        headers=[("Content-Type", content_type)], body=json.dumps(document).encode(), **kwargs
    )


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, headers=[("Location", location)])


# ----------------------------------------------------------------------------- fixtures

MakeClient = Callable[..., FederationClient]


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    server = Peer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[FederationClient] = []

    def make(**kwargs: Any) -> FederationClient:
        kwargs.setdefault("base_url", "https://here.example")
        made = FederationClient(**kwargs)
        clients.append(made)
        return made

    yield make
    for made in clients:
        await made.aclose()


# ----------------------------------------------------------------------------- the guard


async def test_loopback_is_refused_before_any_connection(
    peer: Peer, make_client: MakeClient
) -> None:
    peer.routes["/actor"] = as2({"id": peer.url("/actor")})
    client = make_client(allow_private=False)
    with pytest.raises(ForbiddenAddress, match="loopback"):
        await client.fetch_document(peer.url("/actor"))
    with pytest.raises(ForbiddenAddress, match="loopback"):
        await client.post(peer.url("/inbox"), b"{}", {"Content-Type": AS2})
    assert peer.connections == 0
    assert peer.requests == []


async def test_allow_private_fetches_over_one_kept_alive_connection(
    peer: Peer, make_client: MakeClient
) -> None:
    url = peer.url("/users/alice")
    peer.routes["/users/alice"] = as2({"id": url, "type": "Person"})
    client = make_client(allow_private=True, base_url="https://here.example")

    first = await client.fetch_document(url)
    second = await client.fetch_document(url)

    assert first.final_url == url
    assert first.document == {"id": url, "type": "Person"}
    assert json.loads(first.raw) == first.document
    assert second.document == first.document
    assert peer.connections == 1
    headers = peer.requests[0].headers
    assert headers["accept"] == ACTIVITY_ACCEPT
    assert headers["user-agent"].startswith("fediverse-skills/")
    assert headers["user-agent"].endswith("(+https://here.example/)")
    assert headers["host"] == f"127.0.0.1:{peer.port}"
    assert "date" in headers


async def test_create_client_is_the_factory(peer: Peer) -> None:
    peer.routes["/a"] = as2({"id": peer.url("/a")})
    client = create_client("https://here.example", allow_private=True)
    try:
        assert (await client.fetch_document(peer.url("/a"))).final_url == peer.url("/a")
    finally:
        await client.aclose()
    refusing = create_client("https://here.example")
    try:
        with pytest.raises(ForbiddenAddress):
            await refusing.fetch_document(peer.url("/a"))
    finally:
        await refusing.aclose()


async def test_the_dialled_address_is_checked(peer: Peer, make_client: MakeClient) -> None:
    """A host name is harmless in the URL; what counts is the address it resolves to when
    we connect. The client resolves once, checks that answer and dials that answer."""
    url = peer.url("/actor", host="rebind.test")
    peer.routes["/actor"] = as2({"id": url})
    dns = FakeDNS({"rebind.test": ["127.0.0.1"]})

    refusing = make_client(allow_private=False, resolver=dns)
    with pytest.raises(ForbiddenAddress, match=r"rebind\.test resolves to .*127\.0\.0\.1"):
        await refusing.fetch_document(url)
    assert dns.calls == ["rebind.test"]
    assert peer.connections == 0

    allowing = make_client(allow_private=True, resolver=dns)
    fetched = await allowing.fetch_document(url)
    assert fetched.final_url == url
    assert peer.requests[0].headers["host"] == f"rebind.test:{peer.port}"


async def test_dns_rebinding_between_connections_is_caught(
    peer: Peer, make_client: MakeClient
) -> None:
    """A TTL-0 name first answers an address we may use, then 169.254.169.254 (cloud
    metadata, forbidden even with allow_private). Every new connection resolves again and
    checks the new answer, and the check is on the answer actually dialled: the second
    fetch never reaches any server."""
    url = peer.url("/actor", host="rebind.test")
    peer.routes["/actor"] = as2({"id": url}, close=True)  # no keep-alive: next fetch redials
    dns = FakeDNS({"rebind.test": ["127.0.0.1"]})
    client = make_client(allow_private=True, resolver=dns)

    await client.fetch_document(url)
    dns.answers["rebind.test"] = ["169.254.169.254"]
    with pytest.raises(ForbiddenAddress, match="link-local"):
        await client.fetch_document(url)

    assert dns.calls == ["rebind.test", "rebind.test"]
    assert peer.connections == 1


async def test_one_forbidden_answer_taints_the_name(peer: Peer, make_client: MakeClient) -> None:
    """A public address next to a loopback one: refused before connecting to either."""
    dns = FakeDNS({"mixed.test": ["8.8.8.8", "127.0.0.1"]})
    client = make_client(allow_private=False, resolver=dns)
    with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1"):
        await client.fetch_document(peer.url("/actor", host="mixed.test"))
    assert peer.connections == 0


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]:{port}/actor", "IPv4-mapped"),
        ("http://[::ffff:7f00:1]:{port}/actor", "IPv4-mapped"),
        ("http://0.0.0.0:{port}/actor", "unspecified"),
        ("http://127.1:{port}/actor", "non-canonical"),
        ("http://metadata.test/computeMetadata/v1/", "link-local"),
        ("http://nat64.test:{port}/actor", "NAT64"),
        ("file:///etc/passwd", "scheme"),
        ("data:application/activity+json,{{}}", "scheme|invalid URL"),
        ("http://user:secret@127.0.0.1:{port}/actor", "credentials"),
    ],
)
async def test_redirect_to_a_forbidden_destination_is_refused(
    peer: Peer, make_client: MakeClient, location: str, reason: str
) -> None:
    """The peer on 127.0.0.1 plays the public server (allow_private=True lets us reach it),
    and redirects to destinations that stay forbidden even with allow_private. The refusal
    can only come from checking the redirect hop itself -- the literal URL or the address
    its name resolves to -- since the first hop was allowed and answered.

    (A loopback target under allow_private=False cannot be shown with a local peer: the
    first hop would be refused already. The same per-hop check covers it.)"""
    dns = FakeDNS(
        {
            "public.test": ["127.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "nat64.test": ["64:ff9b::7f00:1"],
        }
    )
    peer.routes["/start"] = redirect(location.format(port=peer.port))
    client = make_client(allow_private=True, resolver=dns)
    with pytest.raises(FetchError, match=reason):
        await client.fetch_document(peer.url("/start", host="public.test"))
    assert peer.paths() == ["/start"]
    assert peer.connections == 1


async def test_redirects_are_followed_and_the_id_must_match_the_final_url(
    peer: Peer, make_client: MakeClient
) -> None:
    peer.routes["/a"] = redirect("/b", 301)
    peer.routes["/b"] = redirect(peer.url("/c"), 308)
    peer.routes["/c"] = as2({"id": peer.url("/c")})
    client = make_client(allow_private=True)
    fetched = await client.fetch_document(peer.url("/a"))
    assert fetched.final_url == peer.url("/c")
    assert peer.paths() == ["/a", "/b", "/c"]


async def test_id_of_the_first_url_is_refused_after_a_redirect(
    peer: Peer, make_client: MakeClient
) -> None:
    """A -> 302 -> B answering with id A: B must not speak for A."""
    peer.routes["/a"] = redirect("/b")
    peer.routes["/b"] = as2({"id": peer.url("/a")})
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="id does not match the URL it was fetched from"):
        await client.fetch_document(peer.url("/a"))


@pytest.mark.parametrize(
    "document",
    [
        {"id": "http://elsewhere.example/actor"},
        {"type": "Note"},
        {"id": None},
        {"id": ["{url}"]},
        {"id": "{url}/"},
        {"id": "{url}#main"},
    ],
)
async def test_id_must_equal_the_url_exactly(
    peer: Peer, make_client: MakeClient, document: dict[str, Any]
) -> None:
    url = peer.url("/note")
    text = json.dumps(document).replace("{url}", url)
    peer.routes["/note"] = Reply(headers=[("Content-Type", AS2)], body=text.encode())
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="id does not match"):
        await client.fetch_document(url)


async def test_a_redirect_loop_stops(peer: Peer, make_client: MakeClient) -> None:
    peer.routes["/loop"] = redirect("/loop")
    peer.routes["/ping"] = redirect("/pong")
    peer.routes["/pong"] = redirect("/ping")
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="redirect loop"):
        await client.fetch_document(peer.url("/loop"))
    with pytest.raises(FetchError, match="redirect loop"):
        await client.fetch_document(peer.url("/ping"))
    assert peer.paths() == ["/loop", "/ping", "/pong"]


@pytest.mark.parametrize(("redirects", "ok"), [(5, True), (6, False)])
async def test_at_most_five_redirects(
    peer: Peer, make_client: MakeClient, redirects: int, ok: bool
) -> None:
    for n in range(redirects):
        peer.routes[f"/r/{n}"] = redirect(f"/r/{n + 1}")
    peer.routes[f"/r/{redirects}"] = as2({"id": peer.url(f"/r/{redirects}")})
    client = make_client(allow_private=True)
    if ok:
        await client.fetch_document(peer.url("/r/0"))
        assert len(peer.requests) == redirects + 1
    else:
        with pytest.raises(FetchError, match="more than 5 redirects"):
            await client.fetch_document(peer.url("/r/0"))
        assert len(peer.requests) == 6


async def test_redirect_from_https_to_http_is_refused(make_client: MakeClient) -> None:
    client = make_client(allow_private=True)
    with pytest.raises(ForbiddenAddress, match="https to http"):
        client._next_hop(  # the only https-specific step; no TLS server in these tests
            httpx.URL("https://a.example/x"),
            httpx.Response(302, headers={"Location": "http://a.example/x"}),
            {"https://a.example/x"},
            0,
        )


# ----------------------------------------------------------------------------- limits

BIG = 2 * 1024 * 1024


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
async def test_bodies_over_one_megabyte_are_refused(
    peer: Peer, make_client: MakeClient, framing: Literal["length", "chunked", "close"]
) -> None:
    body = b'{"id": "x", "pad": "' + b"a" * BIG + b'"}'
    peer.routes["/big"] = Reply(headers=[("Content-Type", AS2)], body=body, framing=framing)
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="larger than 1048576 bytes"):
        await client.fetch_document(peer.url("/big"))


async def test_a_body_of_exactly_one_megabyte_is_fine(peer: Peer, make_client: MakeClient) -> None:
    url = peer.url("/exact")
    head = b'{"id": "' + url.encode() + b'", "pad": "'
    body = head + b"a" * (1_048_576 - len(head) - 2) + b'"}'
    assert len(body) == 1_048_576
    peer.routes["/exact"] = Reply(headers=[("Content-Type", AS2)], body=body, framing="chunked")
    client = make_client(allow_private=True)
    assert len((await client.fetch_document(url)).raw) == 1_048_576


async def test_gzip_is_decoded_and_a_gzip_bomb_is_refused(
    peer: Peer, make_client: MakeClient
) -> None:
    url = peer.url("/small")
    peer.routes["/small"] = Reply(
        headers=[("Content-Type", AS2), ("Content-Encoding", "gzip")],
        body=gzip.compress(json.dumps({"id": url}).encode()),
    )
    bomb = gzip.compress(b'{"id": "x", "pad": "' + b" " * (20 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000
    peer.routes["/bomb"] = Reply(
        headers=[("Content-Type", AS2), ("Content-Encoding", "gzip")], body=bomb
    )
    client = make_client(allow_private=True)
    assert (await client.fetch_document(url)).document == {"id": url}
    assert peer.requests[0].headers["accept-encoding"] == "gzip"
    with pytest.raises(FetchError, match="larger than"):
        await client.fetch_document(peer.url("/bomb"))


async def test_read_timeout(peer: Peer, make_client: MakeClient) -> None:
    peer.routes["/slow"] = as2({"id": peer.url("/slow")}, delay=5)
    client = make_client(allow_private=True, read_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="read timed out"):
        await client.fetch_document(peer.url("/slow"))
    assert time.monotonic() - started < 2


async def test_total_timeout_covers_a_trickling_body(peer: Peer, make_client: MakeClient) -> None:
    """Each byte arrives well within the read timeout; the whole call still ends."""
    peer.routes["/trickle"] = as2({"id": peer.url("/trickle")}, framing="chunked", trickle=0.05)
    client = make_client(allow_private=True, read_timeout=5, total_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.5s"):
        await client.fetch_document(peer.url("/trickle"))
    assert time.monotonic() - started < 2


async def test_connect_timeout_includes_dns(make_client: MakeClient) -> None:
    dns = FakeDNS({"slow.test": ["127.0.0.1"]}, delay=5)
    client = make_client(allow_private=True, resolver=dns, connect_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="connect timed out"):
        await client.fetch_document("http://slow.test/actor")
    assert time.monotonic() - started < 2


async def test_unresolvable_names_fail_cleanly(make_client: MakeClient) -> None:
    client = make_client(allow_private=False, resolver=FakeDNS())
    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.test"):
        await client.fetch_document("https://nowhere.test/actor")


# ----------------------------------------------------------------------------- content


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "text/html; charset=utf-8",
        "application/ld+json",
        'application/ld+json; profile="https://example.com/not-as"',
        "application/activity+jsonx",
        None,
    ],
)
async def test_only_activitystreams_content_types_are_accepted(
    peer: Peer, make_client: MakeClient, content_type: str | None
) -> None:
    url = peer.url("/doc")
    headers = [] if content_type is None else [("Content-Type", content_type)]
    peer.routes["/doc"] = Reply(headers=headers, body=json.dumps({"id": url}).encode())
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="unacceptable content type"):
        await client.fetch_document(url)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "Application/Activity+JSON; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json;charset=utf-8;profile=https://www.w3.org/ns/activitystreams",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams https://x.example/p"',
    ],
)
async def test_activitystreams_content_types(
    peer: Peer, make_client: MakeClient, content_type: str
) -> None:
    url = peer.url("/doc")
    peer.routes["/doc"] = as2({"id": url}, content_type=content_type)
    client = make_client(allow_private=True)
    assert (await client.fetch_document(url)).content_type == content_type


@pytest.mark.parametrize(
    "url",
    [
        "data:application/activity+json,%7B%22id%22%3A1%7D",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://127.0.0.1/",
        "http://user:pass@127.0.0.1:{port}/doc",
        "http://localhost.:{port}/doc",
        "/relative/path",
    ],
)
async def test_non_http_urls_are_refused(peer: Peer, make_client: MakeClient, url: str) -> None:
    client = make_client(allow_private=False)
    with pytest.raises(FetchError):
        await client.fetch_document(url.format(port=peer.port))
    with pytest.raises(FetchError):
        await client.post(url.format(port=peer.port), b"", {})
    assert peer.connections == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": "{url}", "deep": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "deeper than 64"),
        (b'{"id": "{url}", "d": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}", "deeper than"),
        (b'{"id": "{url}", "id": "{url}"}', "duplicate key 'id'"),
        (b'{"id": "{url}", "a": {"k": 1, "k": 2}}', "duplicate key 'k'"),
        (b'{"id": "{url}", "n": 1' + b"0" * 100_000 + b"}", "integer with 100001 digits"),
        (b'{"id": "{url}", "n": NaN}', "NaN is not JSON"),
        (b'["{url}"]', "top level is not an object"),
        (b'"{url}"', "top level is not an object"),
        (b'{"id": "{url}",}', "invalid JSON"),
        (b'{"id": "{url}"} trailing', "invalid JSON"),
        (b'{"id": "\xff{url}"}', "not UTF-8"),
        (b"", "invalid JSON"),
    ],
)
async def test_hostile_json_is_refused_quickly(
    peer: Peer, make_client: MakeClient, body: bytes, reason: str
) -> None:
    url = peer.url("/json")
    peer.routes["/json"] = Reply(
        headers=[("Content-Type", AS2)], body=body.replace(b"{url}", url.encode())
    )
    client = make_client(allow_private=True)
    started = time.monotonic()
    with pytest.raises(FetchError, match=reason):
        await client.fetch_document(url)
    assert time.monotonic() - started < 2


async def test_brackets_inside_strings_do_not_count_as_depth(
    peer: Peer, make_client: MakeClient
) -> None:
    url = peer.url("/strings")
    doc = {"id": url, "content": "[" * 1000 + '{"' + "\\" * 3, "n": 10**90}
    peer.routes["/strings"] = as2(doc)
    client = make_client(allow_private=True)
    assert (await client.fetch_document(url)).document == doc


# ----------------------------------------------------------------------------- signing


async def test_the_signer_signs_every_hop(peer: Peer, make_client: MakeClient) -> None:
    calls: list[tuple[str, str, dict[str, str], bytes]] = []

    def signer(method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        calls.append((method, url, dict(headers), body))
        return {"Signature": f'keyId="k",signature="sig{len(calls)}"'}

    peer.routes["/s1"] = redirect("/s2")
    peer.routes["/s2"] = as2({"id": peer.url("/s2")})
    client = make_client(allow_private=True, signer=signer)

    await client.fetch_document(peer.url("/s1"))

    assert [(method, url, body) for method, url, _, body in calls] == [
        ("GET", peer.url("/s1"), b""),
        ("GET", peer.url("/s2"), b""),
    ]
    for _, _, headers, _ in calls:
        assert headers["host"] == f"127.0.0.1:{peer.port}"
        assert headers["accept"] == ACTIVITY_ACCEPT
        assert headers["date"].endswith(" GMT")
    assert [seen.headers["signature"] for seen in peer.requests] == [
        'keyId="k",signature="sig1"',
        'keyId="k",signature="sig2"',
    ]
    # The Date the signer saw is the Date that was sent.
    assert [seen.headers["date"] for seen in peer.requests] == [c[2]["date"] for c in calls]

    await client.fetch_document(peer.url("/s2"), sign=False)
    assert len(calls) == 2
    assert "signature" not in peer.requests[-1].headers


# ----------------------------------------------------------------------------- POST


async def test_post_returns_the_status_and_does_not_follow_redirects(
    peer: Peer, make_client: MakeClient
) -> None:
    peer.routes["/gone/inbox"] = Reply(410, body=b"Gone " * 10_000)
    peer.routes["/inbox"] = Reply(202, headers=[("X-Peer", "yes")])
    peer.routes["/moved/inbox"] = redirect("/inbox", 307)
    client = make_client(allow_private=True)
    body = b'{"type": "Follow"}'
    headers = {"Content-Type": AS2, "Signature": "sig", "Digest": "SHA-256=x"}

    gone = await client.post(peer.url("/gone/inbox"), body, headers)
    accepted = await client.post(peer.url("/inbox"), body, headers)
    moved = await client.post(peer.url("/moved/inbox"), body, headers)

    assert (gone.status, gone.ok) == (410, False)
    assert gone.body_prefix == (b"Gone " * 10_000)[:4096]
    assert (accepted.status, accepted.ok, accepted.headers["x-peer"]) == (202, True, "yes")
    assert moved.status == 307
    assert peer.paths() == ["/gone/inbox", "/inbox", "/moved/inbox"]
    seen = peer.requests[1]
    assert (seen.method, seen.body) == ("POST", body)
    assert seen.headers["signature"] == "sig"
    assert seen.headers["digest"] == "SHA-256=x"
    assert seen.headers["content-type"] == AS2
    assert seen.headers["user-agent"].startswith("fediverse-skills/")


async def test_get_error_statuses_are_visible(peer: Peer, make_client: MakeClient) -> None:
    peer.routes["/gone"] = Reply(410, body=b"gone")
    client = make_client(allow_private=True)
    with pytest.raises(FetchError) as caught:
        await client.fetch_document(peer.url("/gone"))
    assert caught.value.status == 410
    with pytest.raises(FetchError) as caught:
        await client.fetch_document(peer.url("/missing"))
    assert caught.value.status == 404


# ----------------------------------------------------------------------------- other GETs


@pytest.mark.parametrize("content_type", ["application/jrd+json", "application/json"])
async def test_fetch_jrd(peer: Peer, make_client: MakeClient, content_type: str) -> None:
    jrd = {"subject": "acct:alice@example.com", "links": []}
    peer.routes["/.well-known/webfinger"] = as2(jrd, content_type=content_type)
    signed: list[str] = []

    def signer(method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        signed.append(url)
        return {}

    client = make_client(allow_private=True, signer=signer)
    url = peer.url("/.well-known/webfinger?resource=acct:alice@example.com")
    fetched = await client.fetch_jrd(url)
    assert fetched.document == jrd
    assert signed == []
    assert peer.requests[0].headers["accept"] == "application/jrd+json, application/json"


async def test_fetch_jrd_refuses_html(peer: Peer, make_client: MakeClient) -> None:
    peer.routes["/wf"] = Reply(headers=[("Content-Type", "text/html")], body=b"{}")
    client = make_client(allow_private=True)
    with pytest.raises(FetchError, match="unacceptable content type"):
        await client.fetch_jrd(peer.url("/wf"))


async def test_fetch_json_for_nodeinfo(peer: Peer, make_client: MakeClient) -> None:
    profile = "http://nodeinfo.diaspora.software/ns/schema/2.1#"
    peer.routes["/nodeinfo/2.1"] = as2(
        {"version": "2.1"}, content_type=f'application/json; profile="{profile}"'
    )
    client = make_client(allow_private=True)
    fetched = await client.fetch_json(peer.url("/nodeinfo/2.1"))
    assert fetched.document == {"version": "2.1"}


async def test_no_cookies_are_kept(peer: Peer, make_client: MakeClient) -> None:
    peer.routes["/set"] = Reply(
        headers=[("Content-Type", "application/json"), ("Set-Cookie", "track=1; Path=/")],
        body=b"{}",
    )
    client = make_client(allow_private=True)
    await client.fetch_json(peer.url("/set"))
    await client.fetch_json(peer.url("/set"))
    assert "cookie" not in peer.requests[1].headers
