"""schemathesis against the OpenAPI document the app serves at /api/openapi.json, through
the real app with alice's bearer token, so that the write endpoints run too.

Checks: ``not_a_server_error`` (no 5xx) and ``response_schema_conformance`` (every answer
matches the schema documented for its status). Cases are generated from the document both
as it describes valid requests (positive) and as it rules them out (negative).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from fediverse_skills.web.openapi import OPENAPI
from tests.fuzz.harness import World
from tests.fuzz.profiles import fuzz, record
from tests.security.remote import BASE

SCHEMA = schemathesis.openapi.from_dict({**OPENAPI, "servers": [{"url": BASE}]})
CHECKS = [not_a_server_error, response_schema_conformance]
cases = st.one_of(
    SCHEMA.as_strategy(GenerationMode.POSITIVE), SCHEMA.as_strategy(GenerationMode.NEGATIVE)
)


async def test_the_served_document_is_the_one_fuzzed(world: World) -> None:
    served = (await world.http.get("/api/openapi.json")).json()
    assert served == {**OPENAPI, "servers": [{"url": BASE}]}


def _request(case: Case[Any], auth: dict[str, str]) -> dict[str, Any]:
    """httpx arguments for ``case`` (schemathesis serialises for requests)."""
    sent = case.as_transport_kwargs(base_url=BASE)
    request: dict[str, Any] = {
        "method": sent["method"],
        "url": sent["url"],
        "headers": {**sent["headers"], **auth},
        "params": sent.get("params") or None,
    }
    if "json" in sent:
        request["json"] = sent["json"]
    elif sent.get("data") is not None:
        data = sent["data"]
        request["content"] = data.encode() if isinstance(data, str) else data
    return request


@fuzz(short=120, long=6_000)
@given(case=cases)
async def test_api_answers_as_its_openapi_document_says(
    world: World, backend: str, case: Case[Any]
) -> None:
    answer = await world.http.request(**_request(case, world.auth))
    record(f"schemathesis ({backend})", answer.status_code)
    case.validate_response(answer, checks=CHECKS)
    world.check_no_crash()
    if answer.status_code == 401 and answer.json().get("error", "").startswith("the token is"):
        await world.renew_token()  # DELETE /api/v1/tokens/current revoked it
