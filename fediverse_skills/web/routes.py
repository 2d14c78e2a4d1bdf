"""The route table."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import (
    accounts,
    activitypub,
    admin,
    api,
    health,
    opportunities,
    owner,
    pages,
    search,
    skills,
    visitor,
    wellknown,
)

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
        Route(f"{USER}/opportunities/{{id:str}}", opportunities.note, methods=GET),
        Route("/opportunities/{id:str}", opportunities.page, methods=GET),
        Route(f"{USER}/endorsements/{{id:str}}", activitypub.endorsement, methods=GET),
        Route("/ns/skills/v1", activitypub.skills_context, methods=GET),
        Route("/@{username:str}", pages.profile_page, methods=GET, name="profile"),
        # web pages (forms post here; every POST checks the CSRF token)
        Route("/@{username:str}/skills.svg", pages.skill_graph, methods=GET),
        Route("/@{username:str}/follow", visitor.follow, methods=["POST"]),
        Route("/@{username:str}/suggest", visitor.suggest, methods=["POST"]),
        Route("/@{username:str}/endorse", visitor.endorse, methods=["POST"]),
        Route("/@{username:str}/remote", visitor.remote, methods=["POST"]),
        Route("/authorize_interaction", visitor.authorize_interaction, methods=GET),
        Route("/authorize_interaction", visitor.authorize_follow, methods=["POST"]),
        Route("/media/{name:str}", pages.media, methods=GET),
        Route("/search", search.page, methods=GET),
        Route("/signup", accounts.signup_form, methods=GET),
        Route("/signup", accounts.signup, methods=["POST"]),
        Route("/login", accounts.login_form, methods=GET),
        Route("/login", accounts.login, methods=["POST"]),
        Route("/logout", accounts.logout, methods=["POST"]),
        Route("/suggestions", owner.suggestions_page, methods=GET),
        Route("/suggestions/{id:str}/{action:str}", owner.decide, methods=["POST"]),
        Route("/notifications", owner.notifications_page, methods=GET),
        Route("/settings", owner.settings_page, methods=GET),
        Route("/settings/profile", owner.save_profile, methods=["POST"]),
        Route("/settings/avatar", owner.save_avatar, methods=["POST"]),
        Route("/settings/policy", owner.save_policy, methods=["POST"]),
        Route("/settings/work", owner.save_work, methods=["POST"]),
        Route("/settings/skills", owner.skills_page, methods=GET),
        Route("/settings/skills", owner.add_skill, methods=["POST"]),
        Route("/settings/skills/{key:str}/remove", owner.remove_skill, methods=["POST"]),
        Route("/asks/new", owner.ask_page, methods=GET),
        Route("/asks", owner.post_ask, methods=["POST"]),
        # admin pages (every one needs an admin)
        Route("/admin", admin.overview, methods=GET),
        Route("/admin/users", admin.users_page, methods=GET),
        Route("/admin/users/{username:str}/suspend", admin.suspend, methods=["POST"]),
        Route("/admin/users/{username:str}/unsuspend", admin.unsuspend, methods=["POST"]),
        Route("/admin/users/{username:str}/delete", admin.delete, methods=["POST"]),
        Route("/admin/domains", admin.domains_page, methods=GET),
        Route("/admin/domains", admin.add_domain, methods=["POST"]),
        Route("/admin/domains/{domain:str}/unblock", admin.unblock, methods=["POST"]),
        Route("/admin/reports", admin.reports_page, methods=GET),
        Route("/admin/reports/{id:int}/resolve", admin.resolve_report, methods=["POST"]),
        Route("/admin/settings", admin.settings_page, methods=GET),
        Route("/admin/settings", admin.save_settings, methods=["POST"]),
        Route("/admin/invites", admin.make_invite, methods=["POST"]),
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
        Route("/api/v1/opportunities", opportunities.create, methods=["POST"]),
        Route("/api/v1/opportunities", opportunities.listing, methods=["GET"]),
        Route("/api/v1/opportunities/{id:str}", opportunities.show, methods=["GET"]),
        Route("/api/v1/opportunities/{id:str}", opportunities.change, methods=["PATCH"]),
        Route("/api/v1/opportunities/{id:str}", opportunities.delete, methods=["DELETE"]),
        Mount(
            "/static",
            StaticFiles(directory=str(Path(__file__).parent / "static")),
            name="static",
        ),
    ]
