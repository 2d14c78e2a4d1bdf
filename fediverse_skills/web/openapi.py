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
        403: "The token lacks the scope (read or write) the method needs, or the "
        "person's policy does not allow it",
        404: "Not found",
        413: "Body too large",
        415: "The body is not application/json",
        409: "It conflicts with what is there (a duplicate, or a decision already made)",
        422: "The request is well formed but cannot be carried out",
    }
    return {str(c): {"description": reasons[c], "content": _json(_ERROR)} for c in codes}


def _path_param(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _no_content(summary: str, *, errors: tuple[int, ...]) -> dict[str, Any]:
    return {
        "summary": summary,
        "responses": {"204": {"description": "Done"}, **_errors(401, 403, *errors)},
    }


def _operation(
    summary: str, ok: tuple[int, str, str], *, body: str | None = None, errors: tuple[int, ...]
) -> dict[str, Any]:
    status, description, schema = ok
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(status): {"description": description, "content": _json(_ref(schema))},
            **_errors(401, 403, *errors),
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(body))}
    return op


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_URI = {"type": "string", "format": "uri"}
_TIME = {"type": "string", "format": "date-time"}
_HANDLE = {"type": "string", "description": "@user@host, user@host or an actor URL"}
_VERIFIED = {
    "type": "string",
    "enum": ["proof", "server", "failed"],
    "description": "proof: its author's FEP-8b32 proof verified; server: only a server "
    "vouches for it (HTTP signature of a Mastodon like or reply, or the profile's host); "
    "failed: the proof does not hold or it names another person or skill",
}
_COUNTS = {
    "type": "object",
    "properties": {k: {"type": "integer"} for k in ("proof", "server", "failed", "total")},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "fediverse-skills API",
        "version": __version__,
        "description": "Bearer tokens come from `fediverse-skills token create USERNAME`; "
        "GET needs the read scope, other methods the write scope. "
        "Errors are JSON objects with one field, `error`, a short reason.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `fediverse-skills token create USERNAME "
                "[--scope read|write|read,write]` (default read,write). GET needs the read "
                "scope; POST, PATCH, PUT and DELETE need write (neither implies the other). "
                "A token without the scope gets 403 with an error naming it. The token is "
                "checked on every request: once revoked (`token revoke ID`, or DELETE "
                "/api/v1/tokens/current) or its account suspended, the next request is 401.",
            }
        },
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
                    "suggest_policy": {"$ref": "#/components/schemas/Audience"},
                    "endorse_policy": {"$ref": "#/components/schemas/Audience"},
                    "auto_accept_suggestions": {"type": "boolean"},
                    "open_to_work": {
                        "type": "boolean",
                        "description": "Private to matching unless show_open_to_work is set",
                    },
                    "show_open_to_work": {"type": "boolean"},
                },
            },
            "NewOpportunity": _obj(
                ["title", "description", "required_skills"],
                title={"type": "string", "maxLength": 200},
                description={"type": "string", "maxLength": 10000},
                required_skills={
                    "type": "array",
                    "items": _STR,
                    "minItems": 1,
                    "maxItems": 20,
                    "description": "skill names, normalised as skills are",
                },
                nice_skills={"type": "array", "items": _STR, "maxItems": 20},
                kind={"type": "string", "enum": ["job", "contract", "volunteer", "gig"]},
                remote={"type": "boolean"},
                place={"type": "string", "maxLength": 200},
                pay={"type": "string", "maxLength": 200},
                contact_url={**_URI, "description": "empty: candidates send a direct message"},
                expires_at={**_TIME, "description": "default in 30 days; at most a year"},
            ),
            "OpportunityChanges": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "maxLength": 200},
                    "description": {"type": "string", "maxLength": 10000},
                    "required_skills": {"type": "array", "items": _STR, "maxItems": 20},
                    "nice_skills": {"type": "array", "items": _STR, "maxItems": 20},
                    "kind": {"type": "string", "enum": ["job", "contract", "volunteer", "gig"]},
                    "remote": {"type": "boolean"},
                    "place": {"type": "string", "maxLength": 200},
                    "pay": {"type": "string", "maxLength": 200},
                    "contact_url": _STR,
                    "expires_at": _TIME,
                    "state": {"type": "string", "enum": ["open", "closed"]},
                },
            },
            "Opportunity": _obj(
                ["id", "uri", "author", "title", "required_skills", "state"],
                id=_NSTR,
                uri=_URI,
                url=_URI,
                author=_URI,
                local={"type": "boolean"},
                title=_STR,
                description=_STR,
                kind=_STR,
                remote={"type": "boolean"},
                place=_STR,
                pay=_STR,
                contact_url=_NSTR,
                required_skills={"type": "array", "items": {"type": "object"}},
                nice_skills={"type": "array", "items": {"type": "object"}},
                state={"type": "string", "enum": ["open", "closed", "expired"]},
                expires_at=_NSTR,
                created_at=_TIME,
                updated_at=_TIME,
                match=_ref("PostingMatch"),
            ),
            "Opportunities": _obj(
                ["opportunities"],
                opportunities={"type": "array", "items": _ref("Opportunity")},
            ),
            "PostingMatch": {
                **_obj(
                    ["score", "fit", "trust", "why"],
                    score={"type": "number", "description": "fit x (0.5 + 0.5 x closeness)"},
                    fit={"type": "number", "minimum": 0, "maximum": 1},
                    trust={"type": "number", "description": "the poster's trust, as you see it"},
                    why=_STR,
                ),
                "description": "How a posting fits you (the board with for=me only)",
            },
            "Match": _obj(
                ["actor", "handle", "score", "fit", "trust", "why", "skills"],
                actor=_URI,
                handle=_STR,
                name=_STR,
                local={"type": "boolean"},
                steps={"type": "integer", "description": "steps from you in the trust graph"},
                score={"type": "number", "description": "fit x (0.5 + 0.5 x closeness)"},
                fit={"type": "number", "minimum": 0, "maximum": 1},
                trust={"type": "number", "description": "their trust from your viewpoint"},
                why={
                    "type": "string",
                    "description": "e.g. 'Rust: strong (endorsed by carol@c.example, whom you "
                    "follow); missing: Kubernetes'",
                },
                skills={
                    "type": "object",
                    "description": "needed skill key -> {name, required, strength, level, "
                    "label, endorsers}",
                },
                missing={"type": "array", "items": _STR},
            ),
            "Matches": _obj(["matches"], matches={"type": "array", "items": _ref("Match")}),
            "NewReferral": _obj(
                ["opportunity", "candidate"],
                opportunity={
                    "type": "string",
                    "description": "our posting's id, or a posting's URI (fetched if need be)",
                },
                candidate=_HANDLE,
                comment={"type": "string", "maxLength": 1000},
            ),
            "Referral": _obj(
                ["id", "uri", "opportunity", "referrer", "candidate", "comment", "state"],
                id=_STR,
                uri={**_URI, "description": "the signed Invite's id"},
                opportunity=_obj(["uri"], uri=_URI, title=_STR, author=_URI),
                referrer=_URI,
                candidate=_URI,
                comment=_STR,
                state={"type": "string", "enum": ["pending", "accepted", "declined"]},
                created_at=_TIME,
                decided_at={"type": ["string", "null"], "format": "date-time"},
            ),
            "Referrals": _obj(
                ["referrals"], referrals={"type": "array", "items": _ref("Referral")}
            ),
            "NewInterest": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "comment": {"type": "string", "maxLength": 1000},
                    "include_profile": {
                        "type": "boolean",
                        "description": "add a link to your profile",
                    },
                    "opportunity": {
                        **_URI,
                        "description": "the posting's URI, with remote as the path id",
                    },
                },
            },
            "Interest": _obj(
                ["note", "to"],
                note={**_URI, "description": "the direct Note's id"},
                to={**_URI, "description": "the poster, its only addressee"},
            ),
            "Audience": {
                "type": "string",
                "enum": ["anyone", "followers", "following", "nobody"],
                "description": "Who may suggest skills or endorse them",
            },
            "NewSkill": _obj(
                ["skill"],
                skill={"type": "string", "description": "1 to 64 characters after NFKC"},
                taxonomy={"type": "string", "description": "an ESCO or Wikidata URI"},
            ),
            "Skill": _obj(
                ["key", "name", "hashtag", "taxonomy", "created_at"],
                key=_STR,
                name=_STR,
                hashtag=_NSTR,
                taxonomy=_NSTR,
                created_at=_TIME,
            ),
            "NewSuggestion": _obj(
                ["to", "skill"],
                to=_HANDLE,
                skill=_STR,
                comment={"type": "string", "maxLength": 1000},
                taxonomy={"type": "string"},
            ),
            "Suggestion": _obj(
                ["id", "status", "skill", "to", "from", "comment", "attestation", "created_at"],
                id=_STR,
                status={"type": "string", "enum": ["pending", "accepted", "rejected", "withdrawn"]},
                skill=_obj(["name", "key"], name=_STR, key=_STR, taxonomy=_NSTR),
                to=_URI,
                **{"from": _URI},
                comment=_STR,
                attestation={"type": "string", "enum": ["proof", "server"]},
                via={**_NSTR, "description": "the post it came from (a mention or an ask reply)"},
                uri=_URI,
                created_at=_TIME,
                decided_at={"type": ["string", "null"], "format": "date-time"},
            ),
            "Suggestions": _obj(
                ["suggestions"], suggestions={"type": "array", "items": _ref("Suggestion")}
            ),
            "NewEndorsement": _obj(
                ["to", "skill"],
                to=_HANDLE,
                skill={"type": "string", "description": "the skill's name or key"},
                comment={"type": "string", "maxLength": 1000},
            ),
            "Endorsement": _obj(
                ["id", "uri", "to", "by", "skill", "kind", "comment", "verified", "created_at"],
                id=_STR,
                uri=_URI,
                to=_URI,
                by=_URI,
                skill=_STR,
                kind={"type": "string", "enum": ["endorsement", "like", "reply"]},
                comment=_STR,
                verified=_VERIFIED,
                created_at=_TIME,
            ),
            "NewAsk": _obj(["text"], text={"type": "string", "minLength": 1, "maxLength": 5000}),
            "Ask": _obj(["id", "uri", "published"], id=_STR, uri=_URI, published=_TIME),
            "ShownEndorsement": _obj(
                ["id", "by", "verified"],
                id=_URI,
                by={**_NSTR, "description": "the endorser; null unless the endorsement holds"},
                claimed_by={**_NSTR, "description": "who the document says endorsed (remote)"},
                kind=_STR,
                comment=_STR,
                published=_STR,
                verified=_VERIFIED,
                signer={
                    **_NSTR,
                    "description": "the verification method (proof) or the vouching server",
                },
            ),
            "ProfileSkill": _obj(
                ["id", "key", "name", "status", "endorsements", "counts"],
                id=_URI,
                key=_STR,
                name=_STR,
                hashtag=_NSTR,
                taxonomy=_NSTR,
                status={"type": "string", "enum": ["declared", "accepted"]},
                provenance={
                    "type": ["object", "null"],
                    "properties": {
                        "suggested_by": _NSTR,
                        "suggested_at": _NSTR,
                        "verified": _VERIFIED,
                    },
                },
                endorsements={"type": "array", "items": _ref("ShownEndorsement")},
                counts=_COUNTS,
                trust=_ref("Trust"),
            ),
            "Trust": _obj(
                ["score", "level", "label", "endorsers", "why"],
                score={
                    "type": "number",
                    "description": "weight of the endorsements as the viewpoint sees it, in "
                    "units of one endorsement by an average person (see docs/trust.md)",
                },
                level={"type": "integer", "minimum": 0, "maximum": 5},
                label={
                    "type": "string",
                    "enum": ["none", "emerging", "some", "solid", "strong", "outstanding"],
                },
                endorsers={"type": "integer"},
                why={"type": "string", "description": "the reason, in words"},
            ),
            "Profile": _obj(
                ["actor", "handle", "name", "local", "skills", "counts"],
                actor=_URI,
                handle=_STR,
                name=_STR,
                local={"type": "boolean"},
                skills={
                    "type": "array",
                    "items": _ref("ProfileSkill"),
                    "description": "strongest first, as the viewpoint sees them",
                },
                viewpoint={"type": "string", "enum": ["you", "instance"]},
                counts=_COUNTS,
            ),
            "NewBlock": _obj(["account"], account=_HANDLE),
            "Block": _obj(["actor", "blocked"], actor=_URI, blocked={"type": "boolean"}),
            "NewReport": _obj(
                ["account"],
                account=_HANDLE,
                comment={"type": "string", "maxLength": 5000},
                objects={
                    "type": "array",
                    "items": _URI,
                    "maxItems": 49,
                    "description": "the account's posts or other objects the report is about",
                },
                forward={
                    "type": "boolean",
                    "description": "also send a Flag to the account's own server, in the "
                    "instance's name (default false)",
                },
            ),
            "Report": _obj(
                ["id", "forwarded"],
                id=_URI,
                forwarded={"type": "boolean", "description": "a Flag was queued to their server"},
            ),
            "Notifications": _obj(
                ["notifications"],
                notifications={
                    "type": "array",
                    "items": _obj(
                        ["kind", "actor", "subject", "created_at"],
                        kind=_STR,
                        actor=_URI,
                        subject={"type": "string", "description": "a suggestion or endorsement id"},
                        created_at=_TIME,
                    ),
                },
            ),
            "NewNote": _obj(
                ["content"],
                content={"type": "string", "minLength": 1, "maxLength": 5000},
                in_reply_to={
                    "type": "string",
                    "format": "uri",
                    "maxLength": 2048,
                    "description": "the URI of the note this replies to: its author is "
                    "mentioned and receives it, and its #Hashtag words are tagged",
                },
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
        "/api/v1/tokens/current": {
            "delete": _no_content(
                "Revoke the token this request is made with (any scope may); the next "
                "request with it is 401",
                errors=(),
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
                "Publish a public Note to your followers (or a reply, with in_reply_to)",
                (201, "The note was stored and queued for delivery", "Note"),
                body="NewNote",
                errors=(400, 413, 415, 422),
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
        "/api/v1/skills": {
            "post": _operation(
                "Declare a skill on your profile; followers get a Note, an Add and an Update",
                (201, "Added", "Skill"),
                body="NewSkill",
                errors=(400, 409, 413, 415),
            ),
        },
        "/api/v1/skills/{key}": {
            "parameters": [_path_param("key", "the skill's key (its case-folded name)")],
            "delete": _no_content(
                "Remove a skill, its endorsements and its notes; followers are told",
                errors=(404,),
            ),
        },
        "/api/v1/suggestions": {
            "post": _operation(
                "Suggest a skill to a local or remote person (a signed Offer)",
                (201, "Suggested (200 with the same suggestion if it was pending)", "Suggestion"),
                body="NewSuggestion",
                errors=(400, 403, 409, 413, 415, 422),
            ),
            "get": {
                **_operation(
                    "Suggestions made to you (or, with box=sent, by you)",
                    (200, "Newest first", "Suggestions"),
                    errors=(400,),
                ),
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["pending", "accepted", "rejected", "withdrawn"],
                        },
                    },
                    {
                        "name": "box",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["received", "sent"]},
                    },
                ],
            },
        },
        "/api/v1/suggestions/{id}/{action}": {
            "parameters": [
                _path_param("id", "the suggestion's id"),
                _path_param(
                    "action",
                    "accept or reject (its subject), withdraw (its author)",
                    enum=["accept", "reject", "withdraw"],
                ),
            ],
            "post": _operation(
                "Decide on a suggestion, or withdraw yours",
                (200, "The suggestion after the decision", "Suggestion"),
                errors=(404, 409),
            ),
        },
        "/api/v1/endorsements": {
            "post": _operation(
                "Endorse a local or remote person's skill (a signed Endorsement)",
                (201, "Endorsed", "Endorsement"),
                body="NewEndorsement",
                errors=(400, 403, 404, 409, 413, 415, 422),
            ),
        },
        "/api/v1/endorsements/{id}": {
            "parameters": [_path_param("id", "the endorsement's id")],
            "delete": _no_content(
                "Withdraw your endorsement; its person's server and your followers are told",
                errors=(404,),
            ),
        },
        "/api/v1/asks": {
            "post": _operation(
                "Post a public question; replies with hashtags become suggestions",
                (201, "Posted", "Ask"),
                body="NewAsk",
                errors=(400, 413, 415),
            ),
        },
        "/api/v1/profiles/{handle}": {
            "parameters": [
                _path_param("handle", "@user@host, user@host or an actor URL"),
                {
                    "name": "view",
                    "in": "query",
                    "description": "whose viewpoint scores the skills: the token's user "
                    "(me, the default) or this instance's members",
                    "schema": {"type": "string", "enum": ["me", "instance"]},
                },
            ],
            "get": _operation(
                "The assembled profile of a local or remote person, every proof checked",
                (200, "The profile", "Profile"),
                errors=(400, 404),
            ),
        },
        "/api/v1/blocks": {
            "post": _operation(
                "Block a person: nothing they suggest, endorse or like reaches you",
                (201, "Blocked", "Block"),
                body="NewBlock",
                errors=(400, 413, 415, 422),
            ),
            "delete": {
                **_no_content("Unblock a person", errors=(400, 404, 422)),
                "parameters": [
                    {"name": "account", "in": "query", "required": True, "schema": _HANDLE}
                ],
            },
        },
        "/api/v1/reports": {
            "post": _operation(
                "Report an account to this instance's admins, and optionally to its server",
                (201, "Reported", "Report"),
                body="NewReport",
                errors=(400, 413, 415, 422),
            ),
        },
        "/api/v1/opportunities": {
            "post": _operation(
                "Post a work opportunity; it goes to your followers as a Note",
                (201, "Posted", "Opportunity"),
                body="NewOpportunity",
                errors=(400, 413, 415),
            ),
            "get": {
                **_operation(
                    "The board: live postings from here and from people members follow",
                    (200, "Newest first", "Opportunities"),
                    errors=(400,),
                ),
                "parameters": [
                    {"name": "skill", "in": "query", "schema": _STR},
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["job", "contract", "volunteer", "gig"],
                        },
                    },
                    {"name": "remote", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "place", "in": "query", "schema": _STR},
                    {
                        "name": "mine",
                        "in": "query",
                        "schema": {"type": "boolean"},
                        "description": "your own postings, closed and expired ones too",
                    },
                    {
                        "name": "for",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["me"]},
                        "description": "postings that fit your skills, best first, each with "
                        "a match (score and why); offset is ignored, limit defaults to 20",
                    },
                    {
                        "name": "network",
                        "in": "query",
                        "schema": {"type": "boolean"},
                        "description": "only postings by people within 3 steps of you "
                        "(follows and endorsements, across servers)",
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
            },
        },
        "/api/v1/opportunities/{id}/matches": {
            "parameters": [_path_param("id", "the posting's id")],
            "get": {
                **_operation(
                    "For the poster: people open to work within 3 steps who fit the posting",
                    (200, "Best first, each with a why", "Matches"),
                    errors=(400, 404, 409),
                ),
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "maximum": 100, "default": 20},
                    }
                ],
            },
        },
        "/api/v1/opportunities/{id}": {
            "parameters": [_path_param("id", "the posting's id")],
            "get": _operation("One posting", (200, "The posting", "Opportunity"), errors=(404,)),
            "patch": _operation(
                "Change or close your posting; followers' servers get an Update",
                (200, "Changed", "Opportunity"),
                body="OpportunityChanges",
                errors=(400, 404, 413, 415),
            ),
            "delete": _no_content(
                "Delete your posting; followers' servers get a Delete", errors=(404,)
            ),
        },
        "/api/v1/opportunities/{id}/interest": {
            "parameters": [
                _path_param(
                    "id",
                    "our posting's id, or remote for a posting from another server "
                    "(its URI is then opportunity in the body)",
                )
            ],
            "post": _operation(
                "Tell the poster you are interested: a direct Note to them only",
                (201, "Sent", "Interest"),
                body="NewInterest",
                errors=(400, 404, 409, 413, 415, 422),
            ),
        },
        "/api/v1/referrals": {
            "post": _operation(
                "Refer someone to a posting (a signed Invite to them only)",
                (201, "Referred (200 with the same referral if it is pending)", "Referral"),
                body="NewReferral",
                errors=(400, 403, 404, 409, 413, 415, 422),
            ),
            "get": {
                **_operation(
                    "Referrals of you (received), by you (sent), or accepted ones to your "
                    "postings (posted)",
                    (200, "Newest first", "Referrals"),
                    errors=(400,),
                ),
                "parameters": [
                    {
                        "name": "box",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["received", "sent", "posted"]},
                    },
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["pending", "accepted", "declined"]},
                    },
                ],
            },
        },
        "/api/v1/referrals/{id}/{action}": {
            "parameters": [
                _path_param("id", "the referral's id"),
                _path_param("action", "what the candidate decides", enum=["accept", "decline"]),
            ],
            "post": _operation(
                "Accept a referral (the poster then sees it) or decline it (only the "
                "referrer hears of it)",
                (200, "The referral after the decision", "Referral"),
                errors=(404, 409),
            ),
        },
        "/api/v1/notifications": {
            "get": _operation(
                "What happened: suggestions received or decided, endorsements",
                (200, "Newest first", "Notifications"),
                errors=(),
            ),
        },
    },
}
