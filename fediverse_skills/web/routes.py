"""The route table."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import api, health, pages


def build_routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home, methods=["GET", "HEAD"], name="home"),
        Route("/healthz", health.healthz, methods=["GET", "HEAD"], name="healthz"),
        Route("/api/openapi.json", api.openapi, methods=["GET"], name="openapi"),
        Route("/api/v1/me", api.me, methods=["GET"], name="api_me"),
        Mount(
            "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
        ),
    ]
