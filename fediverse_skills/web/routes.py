"""The route table."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import activitypub, api, health, pages, skills, wellknown

GET = ["GET", "HEAD"]
USER = "/users/{username:str}"


def build_routes() -> list[BaseRoute]:
    """Every route but the inbox POSTs, which web/inbox.py answers before routing."""
    return [
        Route("/", pages.home, methods=GET, name="home"),
        Route("/healthz", health.healthz, methods=GET, name="healthz"),
        # discovery
        Route("/.well-known/webfinger", wellknown.webfinger, methods=GET),
        Route("/.well-known/host-meta", wellknown.host_meta, methods=GET),
        Route("/.well-known/host-meta.json", wellknown.host_meta_json_view, methods=GET),
        Route("/.well-known/nodeinfo", wellknown.nodeinfo_links, methods=GET),
        Route("/nodeinfo/2.1", wellknown.nodeinfo, methods=GET),
        # ActivityPub
        Route("/actor", activitypub.instance_actor, methods=GET),
        Route(USER, activitypub.actor, methods=GET, name="actor"),
        Route(f"{USER}/outbox", activitypub.outbox, methods=GET),
        Route(f"{USER}/followers", activitypub.followers, methods=GET),
        Route(f"{USER}/following", activitypub.following, methods=GET),
        Route(f"{USER}/notes/{{note_id:str}}", activitypub.note, methods=GET),
        Route(f"{USER}/activities/{{id:str}}", activitypub.activity, methods=GET),
        Route(f"{USER}/skills", activitypub.skills, methods=GET),
        Route(f"{USER}/skills/{{key:str}}", activitypub.skill, methods=GET),
        Route(f"{USER}/featured_tags", activitypub.featured_tags, methods=GET),
        Route(f"{USER}/endorsements/{{id:str}}", activitypub.endorsement, methods=GET),
        Route("/ns/skills/v1", activitypub.skills_context, methods=GET),
        Route("/@{username:str}", pages.profile_page, methods=GET, name="profile"),
        # JSON API
        Route("/api/openapi.json", api.openapi, methods=["GET"], name="openapi"),
        Route("/api/v1/me", api.me, methods=["GET"], name="api_me"),
        Route("/api/v1/profile", api.update_profile, methods=["PATCH"]),
        Route("/api/v1/notes", api.create_note, methods=["POST"]),
        Route("/api/v1/follows", api.create_follow, methods=["POST"]),
        Route("/api/v1/follow_requests", api.follow_requests, methods=["GET"]),
        Route("/api/v1/follow_requests/{action:str}", api.decide_follow_request, methods=["POST"]),
        Route("/api/v1/skills", skills.create_skill, methods=["POST"]),
        Route("/api/v1/skills/{key:str}", skills.delete_skill, methods=["DELETE"]),
        Route("/api/v1/suggestions", skills.create_suggestion, methods=["POST"]),
        Route("/api/v1/suggestions", skills.list_suggestions, methods=["GET"]),
        Route(
            "/api/v1/suggestions/{id:str}/{action:str}", skills.decide_suggestion, methods=["POST"]
        ),
        Route("/api/v1/endorsements", skills.create_endorsement, methods=["POST"]),
        Route("/api/v1/endorsements/{id:str}", skills.delete_endorsement, methods=["DELETE"]),
        Route("/api/v1/asks", skills.create_ask, methods=["POST"]),
        Route("/api/v1/profiles/{handle:str}", skills.profile, methods=["GET"]),
        Route("/api/v1/blocks", skills.create_block, methods=["POST"]),
        Route("/api/v1/blocks", skills.delete_block, methods=["DELETE"]),
        Route("/api/v1/notifications", skills.list_notifications, methods=["GET"]),
        Mount(
            "/static",
            StaticFiles(directory=str(Path(__file__).parent / "static")),
            name="static",
        ),
    ]
