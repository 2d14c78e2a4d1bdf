"""A fast inbox sink: answers every POST with 202 and counts what it got.

Run as its own process (``python -m bench.sink --port P``) so that it does not share a core
with the sender. A raw ASGI app under uvicorn (uvloop + httptools when installed), no
framework. ``GET /_stats`` returns the counters, ``POST /_reset`` clears them; neither is
counted.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench.common import HOST

_stats: dict[str, Any] = {}
_targets: set[tuple[bytes, bytes]] = set()
_hosts: set[bytes] = set()

ACCEPTED = {
    "type": "http.response.start",
    "status": 202,
    "headers": [(b"content-length", b"0")],
}
EMPTY = {"type": "http.response.body", "body": b""}


def reset() -> None:
    _stats.update(posts=0, signed=0, bytes=0)
    _targets.clear()
    _hosts.clear()


reset()


async def _answer_json(send: Any, payload: object, status: int = 200) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path == "/_stats":
        await _answer_json(
            send, {**_stats, "distinct_targets": len(_targets), "distinct_hosts": len(_hosts)}
        )
        return
    if path == "/_reset":
        reset()
        await _answer_json(send, {"ok": True})
        return
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        host = b""
        signed = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"signature":
                signed = True
        _stats["posts"] += 1
        _stats["bytes"] += size
        _stats["signed"] += signed
        _hosts.add(host)
        _targets.add((host, scope["raw_path"]))
    await send(ACCEPTED)
    await send(EMPTY)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=HOST,
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        backlog=4096,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
