"""The OpenAPI description of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from .. import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "fediverse-skills API",
        "version": __version__,
        "description": "Bearer tokens come from `fediverse-skills token create USERNAME`.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
            "Account": {
                "type": "object",
                "required": ["username", "acct", "display_name", "is_admin", "created_at"],
                "properties": {
                    "username": {"type": "string"},
                    "acct": {"type": "string", "description": "user@host"},
                    "display_name": {"type": "string"},
                    "is_admin": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/me": {
            "get": {
                "summary": "The account the token belongs to",
                "responses": {
                    "200": {
                        "description": "The account",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Account"}}
                        },
                    },
                    "401": {
                        "description": "Missing, invalid or revoked token",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        }
    },
}
