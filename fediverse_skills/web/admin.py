"""The admin's pages: accounts, domain blocks, reports, instance settings and invites.

Every page needs a signed-in admin (others: sign in first, or 403); every form posts
through ``auth.form`` (the CSRF check) before anything else happens.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..services import blocks, moderation, site
from . import auth, context, render
from .visitor import sentence

MAX_DOMAIN = 300
MAX_REASON = blocks.MAX_REASON
MAX_CONFIRM = 100


def _username(request: Request) -> str:
    return str(request.path_params["username"]).lower()


def _page_number(request: Request) -> int:
    value = request.query_params.get("page", "")
    return max(int(value), 1) if value.isdigit() and len(value) < 6 else 1


async def overview(request: Request) -> Response:
    await auth.require_admin(request)
    found = await moderation.overview(context.fed(request))
    mode = (await site.load(context.db(request))).registrations
    return await render.page(request, "admin.html", {"counts": found, "mode": mode})


# ----------------------------------------------------------------------------- accounts


async def users_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    target: str = "",
    status: int = 200,
) -> Response:
    """``target`` is the account a failed form was about (its delete form opens again)."""
    me = await auth.require_admin(request)
    page = _page_number(request)
    people, more = await moderation.people(context.fed(request), page=page)
    return await render.page(
        request,
        "admin_users.html",
        {
            "me": me,
            "people": people,
            "page": page,
            "more": more,
            "errors": errors or {},
            "values": values or {},
            "target": target,
        },
        status=status,
    )


async def suspend(request: Request) -> Response:
    await auth.form(request)
    admin = await auth.require_admin(request)
    try:
        user = await moderation.suspend(context.fed(request), admin, _username(request))
    except moderation.UnknownAccount:
        raise HTTPException(404, "There is no such account.") from None
    except moderation.ModerationError as exc:
        return await users_page(request, errors={"": str(exc)}, status=400)
    return auth.redirect(request, f"/admin/users?done=suspended#u-{user.username}")


async def unsuspend(request: Request) -> Response:
    await auth.form(request)
    admin = await auth.require_admin(request)
    try:
        user = await moderation.unsuspend(context.fed(request), admin, _username(request))
    except moderation.UnknownAccount:
        raise HTTPException(404, "There is no such account.") from None
    except moderation.ModerationError as exc:
        return await users_page(request, errors={"": str(exc)}, status=400)
    return auth.redirect(request, f"/admin/users?done=unsuspended#u-{user.username}")


async def delete(request: Request) -> Response:
    data = await auth.form(request)
    admin = await auth.require_admin(request)
    name = _username(request)
    confirmation = auth.text(data, "confirm").strip()[:MAX_CONFIRM]
    try:
        await moderation.delete(context.fed(request), admin, name, confirmation)
    except moderation.UnknownAccount:
        raise HTTPException(404, "There is no such account.") from None
    except moderation.ModerationError as exc:
        return await users_page(
            request,
            errors={exc.field: str(exc)},
            values={"confirm": confirmation},
            target=name,
            status=400,
        )
    return auth.redirect(request, "/admin/users?done=deleted")


# ----------------------------------------------------------------------------- domains


async def domains_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    await auth.require_admin(request)
    found = await blocks.listing(context.db(request))
    return await render.page(
        request,
        "admin_domains.html",
        {"blocks": found, "values": values or {}, "errors": errors or {}},
        status=status,
    )


async def add_domain(request: Request) -> Response:
    data = await auth.form(request)
    await auth.require_admin(request)
    values = {
        "domain": auth.text(data, "domain").strip(),
        "reason": auth.text(data, "reason").strip(),
    }
    errors: dict[str, str] = {}
    if not values["domain"]:
        errors["domain"] = "Enter a domain name, such as spam.example."
    elif len(values["domain"]) > MAX_DOMAIN:
        errors["domain"] = "That is too long for a domain name."
    if len(values["reason"]) > MAX_REASON:
        errors["reason"] = f"A reason has at most {MAX_REASON} characters."
    if not errors:
        try:
            name = await blocks.block_domain(
                context.fed(request), values["domain"], values["reason"]
            )
        except blocks.InvalidDomain as exc:
            message = str(exc)
            if message.startswith("not a domain name"):
                message = "That is not a domain name: enter one such as spam.example"
            errors["domain"] = sentence(message)
        else:
            return auth.redirect(request, f"/admin/domains?done=blocked#d-{name}")
    return await domains_page(request, values=values, errors=errors, status=400)


async def unblock(request: Request) -> Response:
    await auth.form(request)
    await auth.require_admin(request)
    domain = str(request.path_params["domain"])
    if not await blocks.unblock_domain(context.fed(request), domain):
        raise HTTPException(404, "That domain is not blocked.")
    return auth.redirect(request, "/admin/domains?done=unblocked")


# ----------------------------------------------------------------------------- reports


async def reports_page(request: Request) -> Response:
    await auth.require_admin(request)
    open_reports, resolved = await moderation.shown_reports(context.fed(request))
    return await render.page(
        request, "admin_reports.html", {"open": open_reports, "resolved": resolved}
    )


async def resolve_report(request: Request) -> Response:
    await auth.form(request)
    await auth.require_admin(request)
    if not await moderation.resolve(context.fed(request), int(request.path_params["id"])):
        raise HTTPException(404, "There is no such open report.")
    return auth.redirect(request, "/admin/reports?done=resolved")


# ----------------------------------------------------------------------------- settings


async def settings_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    await auth.require_admin(request)
    db = context.db(request)
    current = await site.load(db)
    shown = values or {
        "registrations": current.registrations,
        "title": current.title,
        "description": current.description,
    }
    return await render.page(
        request,
        "admin_settings.html",
        {
            "values": shown,
            "errors": errors or {},
            "modes": site.MODES,
            "max_title": site.MAX_TITLE,
            "max_description": site.MAX_DESCRIPTION,
            "invites": await site.recent_invites(db),
            "base_url": context.settings(request).base_url,
            "now": datetime.now(UTC),
        },
        status=status,
    )


async def save_settings(request: Request) -> Response:
    data = await auth.form(request)
    await auth.require_admin(request)
    values = {
        "registrations": auth.text(data, "registrations"),
        "title": auth.text(data, "title"),
        "description": auth.text(data, "description"),
    }
    try:
        await site.update(context.db(request), **values)
    except site.InvalidSetting as exc:
        return await settings_page(request, values=values, errors={exc.field: str(exc)}, status=400)
    return auth.redirect(request, "/admin/settings?done=saved")


async def make_invite(request: Request) -> Response:
    await auth.form(request)
    admin = await auth.require_admin(request)
    await site.create_invite(context.db(request), admin)
    return auth.redirect(request, "/admin/settings?done=invite#invites")
