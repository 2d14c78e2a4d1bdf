"""The skills part of the JSON API: skills, suggestions, endorsements, asks, profiles,
blocks and notifications. Every call needs a bearer token (see ``api.current_user``)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import endorsements, notifications, outbox, policies, profiles, skills, suggestions
from ..services.actors import ActorUnavailable
from ..services.outbox import InvalidNote
from . import context
from .api import current_user, json_body, only_fields, text_field

MAX_HANDLE = 2048
SUGGESTION_STATES = ("pending", "accepted", "rejected", "withdrawn")


def _optional_text(data: dict[str, Any], name: str, max_length: int) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HTTPException(400, f"{name} must be a string")
    if len(value) > max_length:
        raise HTTPException(400, f"{name} has at most {max_length} characters")
    return value


def suggestion_json(row: suggestions.SuggestionRow) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "status": row.state,
        "skill": {"name": row.name, "key": row.key, "taxonomy": row.taxonomy},
        "to": row.subject,
        "from": row.author,
        "comment": row.comment,
        "attestation": row.attestation,
        "via": row.via,
        "uri": row.uri,
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


async def create_suggestion(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "to", "skill", "comment", "taxonomy")
    try:
        outcome = await suggestions.suggest(
            context.fed(request),
            user,
            text_field(data, "to", max_length=MAX_HANDLE),
            text_field(data, "skill", max_length=1000),
            _optional_text(data, "comment", 5000),
            _optional_text(data, "taxonomy", 300) or None,
        )
    except suggestions.InvalidSkill as exc:
        raise HTTPException(400, str(exc)) from None
    except suggestions.SuggestionError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    status = 201 if outcome.created else 200
    return JSONResponse(suggestion_json(outcome.suggestion), status_code=status)


async def list_suggestions(request: Request) -> JSONResponse:
    user = await current_user(request)
    state = request.query_params.get("status")
    if state is not None and state not in SUGGESTION_STATES:
        raise HTTPException(400, "status is one of " + ", ".join(SUGGESTION_STATES))
    fed = context.fed(request)
    if request.query_params.get("box", "received") == "sent":
        rows = await suggestions.sent(fed, user)
        rows = [r for r in rows if state is None or r.state == state]
    else:
        rows = await suggestions.received(fed, user, state)
    return JSONResponse({"suggestions": [suggestion_json(r) for r in rows]})


async def decide_suggestion(request: Request) -> JSONResponse:
    action = request.path_params["action"]
    if action not in ("accept", "reject", "withdraw"):
        raise HTTPException(404, "Not Found")
    user = await current_user(request)
    fed = context.fed(request)
    public_id = str(request.path_params["id"])
    try:
        if action == "withdraw":
            row = await suggestions.withdraw(fed, user, public_id)
        else:
            row = await suggestions.decide(fed, user, public_id, accept=action == "accept")
    except suggestions.SuggestionError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return JSONResponse(suggestion_json(row))


def endorsement_json(row: endorsements.EndorsementRow) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "uri": row.uri,
        "to": row.subject,
        "by": row.endorser,
        "skill": row.skill_key,
        "kind": row.kind,
        "comment": row.comment,
        "verified": row.attestation,
        "created_at": row.created_at.isoformat(),
    }


async def create_endorsement(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "to", "skill", "comment")
    try:
        row = await endorsements.endorse(
            context.fed(request),
            user,
            text_field(data, "to", max_length=MAX_HANDLE),
            text_field(data, "skill", max_length=1000),
            _optional_text(data, "comment", 5000),
        )
    except endorsements.InvalidSkill as exc:
        raise HTTPException(400, str(exc)) from None
    except endorsements.EndorsementError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return JSONResponse(endorsement_json(row), status_code=201)


async def delete_endorsement(request: Request) -> Response:
    user = await current_user(request)
    if not await endorsements.withdraw(context.fed(request), user, str(request.path_params["id"])):
        raise HTTPException(404, "no such endorsement of yours")
    return Response(status_code=204)


async def create_skill(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "skill", "taxonomy")
    try:
        row = await skills.declare(
            context.fed(request),
            user,
            text_field(data, "skill", max_length=1000),
            _optional_text(data, "taxonomy", 300) or None,
        )
    except skills.InvalidSkill as exc:
        raise HTTPException(400, str(exc)) from None
    except skills.SkillError as exc:
        raise HTTPException(409, str(exc)) from None
    body = {
        "key": row.key,
        "name": row.name,
        "hashtag": row.hashtag,
        "taxonomy": row.taxonomy,
        "created_at": row.created_at.isoformat(),
    }
    return JSONResponse(body, status_code=201)


async def delete_skill(request: Request) -> Response:
    user = await current_user(request)
    key = str(request.path_params["key"])
    if not await skills.remove(context.fed(request), user, key.casefold()):
        raise HTTPException(404, "no such skill on your profile")
    return Response(status_code=204)


async def create_ask(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "text")
    try:
        note, create = await outbox.publish_note(
            context.fed(request), user, text_field(data, "text"), kind="ask"
        )
    except InvalidNote as exc:
        raise HTTPException(400, str(exc)) from None
    body = {
        "id": note.public_id,
        "uri": create["object"]["id"],
        "published": note.published_at.isoformat(),
    }
    return JSONResponse(body, status_code=201)


async def profile(request: Request) -> Response:
    user = await current_user(request)
    handle = str(request.path_params["handle"])
    if len(handle) > MAX_HANDLE:
        raise HTTPException(400, "the handle is too long")
    view = request.query_params.get("view", "me")
    if view not in ("me", "instance"):
        raise HTTPException(400, "view is me or instance")
    viewer = user if view == "me" else None
    try:
        assembled = await profiles.assemble(context.fed(request), handle, viewer)
    except profiles.ProfileUnavailable as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(assembled.encode("utf-8"), media_type="application/json")


async def create_block(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "account")
    try:
        uri = await policies.block_actor(
            context.fed(request), user, text_field(data, "account", max_length=MAX_HANDLE)
        )
    except ActorUnavailable as exc:
        raise HTTPException(422, str(exc)) from None
    return JSONResponse({"actor": uri, "blocked": True}, status_code=201)


async def delete_block(request: Request) -> Response:
    user = await current_user(request)
    account = request.query_params.get("account", "")
    if not account:
        raise HTTPException(400, "give the account as ?account=")
    try:
        removed = await policies.unblock_actor(context.fed(request), user, account)
    except ActorUnavailable as exc:
        raise HTTPException(422, str(exc)) from None
    if not removed:
        raise HTTPException(404, "that account is not blocked")
    return Response(status_code=204)


async def list_notifications(request: Request) -> JSONResponse:
    user = await current_user(request)
    found = await notifications.recent(context.fed(request), user)
    return JSONResponse(
        {
            "notifications": [
                {
                    "kind": n.kind,
                    "actor": n.actor,
                    "subject": n.subject,
                    "created_at": n.created_at.isoformat(),
                }
                for n in found
            ]
        }
    )
