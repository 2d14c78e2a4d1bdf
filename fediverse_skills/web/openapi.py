"""The OpenAPI description of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from .. import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "Invalid input (the error says which field and why)",
        401: "Missing, invalid or revoked token",
        404: "Not found",
        413: "Body too large",
        415: "The body is not application/json",
        422: "The request is well formed but cannot be carried out",
    }
    return {str(c): {"description": reasons[c], "content": _json(_ERROR)} for c in codes}


def _operation(
    summary: str, ok: tuple[int, str, str], *, body: str | None = None, errors: tuple[int, ...]
) -> dict[str, Any]:
    status, description, schema = ok
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(status): {"description": description, "content": _json(_ref(schema))},
            **_errors(401, *errors),
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(body))}
    return op


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


_STR = {"type": "string"}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "fediverse-skills API",
        "version": __version__,
        "description": "Bearer tokens come from `fediverse-skills token create USERNAME`. "
        "Errors are JSON objects with one field, `error`, a short reason.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _obj(["error"], error=_STR),
            "Account": _obj(
                [
                    "username",
                    "acct",
                    "display_name",
                    "summary",
                    "manually_approves_followers",
                    "is_admin",
                    "created_at",
                ],
                username=_STR,
                acct={"type": "string", "description": "user@host"},
                display_name=_STR,
                summary=_STR,
                manually_approves_followers={"type": "boolean"},
                is_admin={"type": "boolean"},
                created_at={"type": "string", "format": "date-time"},
            ),
            "ProfileChanges": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "display_name": {"type": "string", "maxLength": 100},
                    "summary": {"type": "string", "maxLength": 2000},
                    "manually_approves_followers": {"type": "boolean"},
                },
            },
            "NewNote": _obj(
                ["content"], content={"type": "string", "minLength": 1, "maxLength": 5000}
            ),
            "Note": _obj(
                ["id", "uri", "activity", "published"],
                id=_STR,
                uri={"type": "string", "format": "uri"},
                activity={"type": "string", "format": "uri"},
                published={"type": "string", "format": "date-time"},
            ),
            "NewFollow": _obj(
                ["target"],
                target={"type": "string", "description": "user@host, @user@host or an actor URL"},
            ),
            "Follow": _obj(
                ["target", "state"],
                target={"type": "string", "format": "uri"},
                state={"type": "string", "enum": ["pending", "accepted"]},
            ),
            "FollowRequests": _obj(
                ["requests"], requests={"type": "array", "items": {"type": "string"}}
            ),
            "FollowRequestDecision": _obj(["actor"], actor={"type": "string", "format": "uri"}),
            "FollowRequestOutcome": _obj(
                ["actor", "state"],
                actor=_STR,
                state={"type": "string", "enum": ["accepted", "rejected"]},
            ),
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/me": {
            "get": _operation(
                "The account the token belongs to", (200, "The account", "Account"), errors=()
            ),
        },
        "/api/v1/profile": {
            "patch": _operation(
                "Edit the profile; followers' servers get an Update of the actor",
                (200, "The updated account", "Account"),
                body="ProfileChanges",
                errors=(400, 413, 415),
            ),
        },
        "/api/v1/notes": {
            "post": _operation(
                "Publish a public Note to your followers",
                (201, "The note was stored and queued for delivery", "Note"),
                body="NewNote",
                errors=(400, 413, 415),
            ),
        },
        "/api/v1/follows": {
            "post": _operation(
                "Follow a local or remote account",
                (201, "Followed, or requested (pending until accepted)", "Follow"),
                body="NewFollow",
                errors=(400, 413, 415, 422),
            ),
        },
        "/api/v1/follow_requests": {
            "get": _operation(
                "Actors waiting for your approval",
                (200, "Pending requests", "FollowRequests"),
                errors=(),
            ),
        },
        "/api/v1/follow_requests/{action}": {
            "parameters": [
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["authorize", "reject"]},
                }
            ],
            "post": _operation(
                "Approve or reject a pending follow request",
                (200, "Decided", "FollowRequestOutcome"),
                body="FollowRequestDecision",
                errors=(400, 404, 413, 415),
            ),
        },
    },
}
