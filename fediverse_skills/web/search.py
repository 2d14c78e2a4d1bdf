"""The search page: people and skills here, and one account anywhere by handle or URL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..services import search
from . import auth, context, render


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"


def _status(results: search.Results) -> str:
    """The sentence that says what the search found."""
    if results.sign_in:
        return f"Sign in to look up {results.query} on its server."
    if results.problem:
        return f"Could not find {results.query}: {results.problem}"
    if results.account is not None:
        return f"Found {results.account.handle}."
    if not results.people and not results.holders:
        return f"Nothing found for “{results.query}”."
    return (
        f"Found {_count(len(results.people), 'person', 'people')} by name and "
        f"{_count(len(results.holders), 'match', 'matches')} by skill "
        f"for “{results.query}”."
    )


async def page(request: Request) -> Response:
    raw = request.query_params.get("q", "")
    values: dict[str, object] = {"max_query": search.MAX_QUERY, "max_results": search.MAX_RESULTS}
    try:
        results = await search.search(context.fed(request), raw, await auth.viewer(request))
    except search.QueryTooLong as exc:
        values.update(query=raw, error=str(exc), results=None)
        return await render.page(request, "search.html", values, status=400)
    values.update(query=results.query, error="", results=results)
    if results.query:
        values["status"] = _status(results)
        here = "/search?" + urlencode({"q": results.query})
        values["login_url"] = "/login?next=" + quote(here, safe="/")
    return await render.page(request, "search.html", values)
