"""The app through its HTTP boundary (ASGI, lifespan included), on both databases."""

from __future__ import annotations

import httpx

from fediverse_skills.config import Settings
from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["workers"] == 0  # no worker runs in this test
    assert response.headers["cache-control"] == "no-store"
    assert (await client.head("/healthz")).status_code == 200


async def test_home_page_says_what_to_do(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "testserver" in response.text
    assert 'href="/signup"' in response.text and "Create the first account" in response.text
    css = await client.get("/static/site.css")
    assert css.status_code == 200


async def test_api_me_needs_a_valid_token(client: httpx.AsyncClient, db: Database) -> None:
    missing = await client.get("/api/v1/me")
    assert missing.status_code == 401
    assert missing.json() == {"error": "a bearer token is required"}
    assert missing.headers["www-authenticate"].startswith("Bearer")
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer fsk_nope"})
    assert bad.status_code == 401
    assert "invalid_token" in bad.headers["www-authenticate"]

    await accounts.create_user(db, "erin", admin=True)
    issued = await tokens.create_token(db, "erin")
    ok = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert ok.status_code == 200
    assert ok.json()["acct"] == "erin@testserver"
    assert ok.json()["is_admin"] is True


async def test_openapi_describes_the_api(client: httpx.AsyncClient, settings: Settings) -> None:
    doc = (await client.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me" in doc["paths"]
    assert doc["servers"] == [{"url": settings.base_url}]


async def test_unknown_paths_are_404_without_a_traceback(client: httpx.AsyncClient) -> None:
    api = await client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.json() == {"error": "Not Found"}
    page = await client.get("/nothing")
    assert page.status_code == 404 and "Traceback" not in page.text
    wrong_method = await client.post("/healthz")
    assert wrong_method.status_code == 405


async def test_openapi_lists_every_api_route(client: httpx.AsyncClient) -> None:
    """Every /api/v1 route and method in the route table is described, and nothing else."""
    from starlette.routing import Route

    from fediverse_skills.web.routes import build_routes

    doc = (await client.get("/api/openapi.json")).json()
    described = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = {
        (route.path.replace(":str", ""), method)
        for route in build_routes()
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert routed == described
