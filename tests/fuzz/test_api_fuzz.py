"""Fuzzed JSON API writes through the real app, with alice's bearer token: bodies of the
right shape with odd values, missing, extra and wrongly typed fields, bodies that are not
objects or not JSON, and wrong content types.

The property: never a 5xx and never a logged exception; every 4xx is a JSON ``error``.
"""

from __future__ import annotations

import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import World
from tests.fuzz.profiles import fuzz, record
from tests.fuzz.strategies import ApiCall, api_calls, raw_bodies

JSON = "application/json"
content_types = st.sampled_from(
    [JSON, JSON, JSON, "application/json; charset=utf-8", "text/plain", ""]
)


def check(answer: httpx.Response, what: str) -> None:
    assert answer.status_code < 500, f"{answer.status_code} {answer.text[:500]} for {what:.2000}"
    if answer.status_code >= 400:
        payload = answer.json()
        assert isinstance(payload, dict) and isinstance(payload.get("error"), str), payload


@fuzz(short=80, long=10_000)
@given(call=api_calls, content_type=content_types, ascii=st.booleans())
async def test_api_writes_never_fail_with_5xx(
    world: World, backend: str, call: ApiCall, content_type: str, ascii: bool
) -> None:
    body = world.resolve(call.body)
    path = world.resolve(call.path)
    # A query string is UTF-8 (lone surrogates cannot be sent there at all), and httpx
    # refuses one longer than 64 kB.
    params = {
        k: world.resolve(v).encode("utf-8", "replace").decode()[:8000]
        for k, v in call.params.items()
    }
    content = None
    headers = dict(world.auth)
    if call.body is not None or call.method != "DELETE":
        content = json.dumps(body, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
        headers["Content-Type"] = content_type
    answer = await world.http.request(
        call.method, path, content=content, headers=headers, params=params
    )
    record(f"api writes ({backend})", answer.status_code)
    check(answer, f"{call.method} {path} {params} {body!r}")
    world.check_no_crash()
    if answer.status_code == 401:
        await world.renew_token()


@fuzz(short=20, long=15_000)
@given(
    call=api_calls,
    raw=raw_bodies,
    content_type=content_types,
    token=st.sampled_from(["good", "none", "bad", "basic"]),
)
async def test_api_raw_bodies_and_bad_tokens_get_4xx(
    world: World, backend: str, call: ApiCall, raw: bytes, content_type: str, token: str
) -> None:
    headers = {"Content-Type": content_type}
    if token == "good":
        headers.update(world.auth)
    elif token == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    elif token == "basic":
        headers["Authorization"] = "Basic YWxpY2U6eA=="
    path = world.resolve(call.path)
    answer = await world.http.request(call.method, path, content=raw, headers=headers)
    record(f"api raw bodies ({backend})", answer.status_code)
    check(answer, f"{call.method} {path} {raw!r}")
    world.check_no_crash()
    if token != "good":
        assert answer.status_code in (401, 404, 405), answer.text
