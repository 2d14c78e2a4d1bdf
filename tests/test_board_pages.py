"""The opportunity pages over real HTTP: posting with the form (errors next to fields,
what was typed kept), the board and its filters, closing and deleting one's own."""

from __future__ import annotations

import re

from fediverse_skills.store.db import Database
from tests.test_web_pages import Browser, community, csrf_of, new_browser, submit, text_of

__all__ = ["new_browser"]  # a fixture, used by name

FORM = {
    "title": "Rust engineer",
    "description": "Own our parser.\n\nTwo days a week.",
    "required_skills": "Rust, kubernetes",
    "nice_skills": "Go",
    "kind": "contract",
    "remote": "on",
    "place": "Berlin",
    "pay": "",
    "contact_url": "",
    "expires_on": "",
}


async def test_post_from_the_form_and_find_it_on_the_board(
    new_browser: Browser, db: Database
) -> None:
    erin, dana = await community(new_browser, db, "erin", "dana")
    posted = await submit(erin, "/opportunities/new", "/opportunities", FORM)
    assert posted.status_code == 303, posted.text
    assert re.fullmatch(r"/opportunities/[\w-]+\?done=posted", posted.headers["location"])
    page = await erin.get(posted.headers["location"])
    shown = text_of(page)
    assert "Rust engineer" in shown and "Contract · remote · Berlin" in shown
    assert "Own our parser." in shown and "Two days a week." in shown
    assert "Close it" in page.text  # the poster manages it
    assert "Close it" not in (await dana.get(posted.headers["location"])).text

    board = await dana.get("/opportunities")
    assert "Rust engineer" in board.text and "1 opportunity." in text_of(board)
    assert "Rust engineer" in (await dana.get("/opportunities?skill=RUST&remote=on")).text
    assert "Rust engineer" not in (await dana.get("/opportunities?kind=volunteer")).text
    assert "Rust engineer" not in (await dana.get("/opportunities?place=Paris")).text
    bad = await dana.get("/opportunities?kind=forever")
    assert bad.status_code == 400 and "Choose a kind" in bad.text


async def test_form_errors_are_next_to_the_field_and_keep_what_was_typed(
    new_browser: Browser, db: Database
) -> None:
    (erin,) = await community(new_browser, db, "erin")
    many = ", ".join(f"skill{i}" for i in range(21))
    answer = await submit(
        erin, "/opportunities/new", "/opportunities", {**FORM, "required_skills": many}
    )
    assert answer.status_code == 400
    assert 'id="e-required_skills"' in answer.text and "at most 20 skills" in answer.text
    assert many in answer.text and 'value="Rust engineer"' in answer.text
    past = await submit(
        erin, "/opportunities/new", "/opportunities", {**FORM, "expires_on": "2020-01-01"}
    )
    assert past.status_code == 400 and 'id="e-expires_on"' in past.text
    long_title = await submit(
        erin, "/opportunities/new", "/opportunities", {**FORM, "title": "t" * 201}
    )
    assert long_title.status_code == 400 and "at most 200" in long_title.text
    assert "t" * 201 in long_title.text  # refused, not cut
    rows = await _count(db)
    assert rows == 0


async def test_close_and_delete_from_the_page(new_browser: Browser, db: Database) -> None:
    erin, dana = await community(new_browser, db, "erin", "dana")
    posted = await submit(erin, "/opportunities/new", "/opportunities", FORM)
    url = posted.headers["location"].split("?")[0]
    page = await dana.get(url)
    refused = await dana.post(f"{url}/close", data={"csrf": csrf_of(page)})
    assert refused.status_code == 404
    closed = await submit(erin, url, f"{url}/close", {})
    assert closed.status_code == 303
    assert "This posting is closed." in text_of(await erin.get(url))
    assert "Rust engineer" not in (await dana.get("/opportunities")).text.split("Your postings")[0]
    deleted = await submit(erin, "/opportunities", f"{url}/delete", {})
    assert deleted.status_code == 303
    assert (await erin.get(url)).status_code == 404


async def test_the_board_needs_an_account(new_browser: Browser, db: Database) -> None:
    await community(new_browser, db, "erin")
    anonymous = await new_browser()
    answer = await anonymous.get("/opportunities")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


async def _count(db: Database) -> int:
    from sqlalchemy import text

    async with db.connection() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM opportunities"))).scalar_one())


async def test_refer_accept_and_interest_from_the_pages(new_browser: Browser, db: Database) -> None:
    erin, bob, dana = await community(new_browser, db, "erin", "bob", "dana")
    posted = await submit(erin, "/opportunities/new", "/opportunities", FORM)
    url = posted.headers["location"].split("?")[0]
    empty = await submit(bob, url, f"{url}/refer", {"candidate": "", "refer_comment": "x"})
    assert empty.status_code == 400 and 'id="e-candidate"' in empty.text
    assert ">x</textarea>" in empty.text  # kept
    referred = await submit(
        bob, url, f"{url}/refer", {"candidate": "dana@testserver", "refer_comment": "Dana <3 Rust"}
    )
    assert referred.status_code == 303, referred.text
    # erin sees nothing yet; dana decides.
    assert "Dana &lt;3 Rust" not in (await erin.get("/referrals")).text
    inbox = await dana.get("/referrals")
    assert "Dana &lt;3 Rust" in inbox.text
    found = re.search(r'/referrals/([^/"]+)/accept', inbox.text)
    assert found
    accepted = await submit(dana, "/referrals", f"/referrals/{found.group(1)}/accept", {})
    assert accepted.status_code == 303
    shown = await erin.get("/referrals")
    assert "Referrals to your postings" in shown.text and "Dana &lt;3 Rust" in shown.text
    # dana says she is interested: a direct message, and erin is told.
    told = await submit(
        dana, url, f"{url}/interest", {"interest_comment": "Happy to talk", "include_profile": "on"}
    )
    assert told.status_code == 303, told.text
    assert "interest" in (await erin.get("/notifications")).text.lower()
    # The poster sees matches, not the interest form; others see the forms.
    own = await erin.get(url)
    assert "People who fit" in own.text and "Refer someone" not in own.text
    assert "Refer someone" in (await bob.get(url)).text
