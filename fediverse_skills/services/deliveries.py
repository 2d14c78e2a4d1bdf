"""Delivering queued activities: sign, POST, and record the outcome with backoff.

Each row is one (activity, inbox). A 2xx marks it done; 410 Gone and other permanent 4xx
give up at once; anything else is retried with exponential backoff and jitter for about
three days. Per host, a circuit breaker stops hammering a server that keeps failing, and the
signature scheme that worked is remembered (draft-cavage first, RFC 9421 after a 401: the
"double knock").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..domain import retries
from ..federation.client import FetchError
from ..federation.media import ACTIVITY_JSON
from ..federation.signatures import sign_cavage, sign_rfc9421
from ..store import deliveries, hosts, users
from ..store.deliveries import Delivery
from ..store.hosts import HostState
from .blocks import is_blocked
from .context import Federation
from .instance import ensure_key

log = logging.getLogger("fediverse_skills.deliveries")

LEASE = timedelta(minutes=2)
BATCH = 200
CONCURRENCY = 64
SCHEMES = ("cavage", "rfc9421")


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    status: int | None
    error: str | None
    scheme: str | None = None
    postponed_until: datetime | None = None


@dataclass(frozen=True)
class Signer:
    key_id: str
    pem: str


async def _signers(fed: Federation, items: list[Delivery]) -> dict[int | None, Signer]:
    found: dict[int | None, Signer] = {}
    user_ids = {d.user_id for d in items if d.user_id is not None}
    async with fed.db.connection() as conn:
        for user_id in user_ids:
            user = await users.get_by_id(conn, user_id)
            keys = await users.private_keys(conn, user_id)
            if user is not None and keys is not None:
                found[user_id] = Signer(fed.uris.main_key(user.username), keys.rsa_private_pem)
    if any(d.user_id is None for d in items):
        key = await ensure_key(fed.db)
        found[None] = Signer(fed.uris.instance_key, key.rsa_private_pem)
    return found


def _signed_headers(
    fed: Federation, signer: Signer, scheme: str, inbox: str, body: bytes
) -> dict[str, str]:
    headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
    key = fed.rsa_key(signer.key_id, signer.pem)
    sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
    headers.update(sign("POST", inbox, headers, body, key_id=signer.key_id, private_key=key))
    return headers


async def _attempt(
    fed: Federation,
    d: Delivery,
    signer: Signer | None,
    host: HostState | None,
    blocked: frozenset[str],
    now: datetime,
) -> Outcome:
    if host is not None and host.open_until is not None and host.open_until > now:
        return Outcome(d, None, "circuit breaker open", postponed_until=host.open_until)
    if is_blocked(d.host, blocked):
        return Outcome(d, None, "domain blocked")
    if signer is None:
        return Outcome(d, None, "the signing account no longer exists")
    body = d.body.encode("utf-8")
    first = host.signature_scheme if host and host.signature_scheme in SCHEMES else "cavage"
    order = [first, *(s for s in SCHEMES if s != first)]
    status: int | None = None
    for scheme in order:
        # RSA signing is the largest cost of a delivery and releases the GIL: sign in a
        # thread so that the event loop keeps sending meanwhile.
        headers = await asyncio.to_thread(_signed_headers, fed, signer, scheme, d.inbox, body)
        try:
            answer = await fed.client.post(d.inbox, body, headers)
        except FetchError as exc:
            return Outcome(d, exc.status, exc.reason)
        status = int(answer.status)
        if status != 401:
            break
    if status is not None and 200 <= status < 300:
        return Outcome(d, status, None, scheme=scheme)
    return Outcome(d, status, f"HTTP {status}")


async def _record(
    fed: Federation,
    worker: str,
    outcomes: list[Outcome],
    states: dict[str, HostState],
    now: datetime,
) -> None:
    """Write the outcomes in one transaction: successes in bulk, the rest row by row (they
    are few), and host state only where it changes."""
    done: dict[int, list[int]] = {}
    failures = {name: s.consecutive_failures for name, s in states.items()}
    schemes = {name: s.signature_scheme or "cavage" for name, s in states.items()}
    async with fed.db.transaction() as conn:
        for o in outcomes:
            d = o.delivery
            if o.postponed_until is not None:
                await deliveries.retry(
                    conn,
                    d.id,
                    worker,
                    o.postponed_until,
                    o.status,
                    o.error or "",
                    count_attempt=False,
                )
                continue
            if o.error is None:
                done.setdefault(o.status or 200, []).append(d.id)
                if failures.get(d.host, 0) != 0 or o.scheme != schemes.get(d.host, "cavage"):
                    await hosts.record_success(conn, d.host, now, o.scheme)
                    failures[d.host] = 0
                    schemes[d.host] = o.scheme or "cavage"
                continue
            permanent = o.status is not None and retries.is_permanent(o.status)
            if o.error in ("domain blocked", "the signing account no longer exists"):
                permanent = True
            if permanent or retries.should_give_up(d.created_at, now):
                await deliveries.give_up(conn, d.id, worker, now, o.status, o.error)
                log.info(
                    "gave up delivering to %s: %s",
                    d.inbox,
                    o.error,
                    extra={"fields": {"attempts": d.attempts + 1}},
                )
            else:
                at = now + retries.next_delay(d.attempts + 1)
                await deliveries.retry(conn, d.id, worker, at, o.status, o.error)
            if not permanent or o.status == 410:
                count = failures.get(d.host, 0) + 1
                failures[d.host] = count
                open_for = retries.breaker_open_for(count)
                await hosts.record_failure(
                    conn, d.host, now, count, now + open_for if open_for else None
                )
        await deliveries.succeed_many(conn, done, worker, now)


async def deliver_due(fed: Federation, worker: str, *, limit: int = BATCH) -> int:
    """Claim due deliveries, send them concurrently, record the outcomes. Returns how many."""
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        items = await deliveries.claim_due(conn, worker=worker, now=now, lease=LEASE, limit=limit)
        states = await hosts.get_many(conn, {d.host for d in items})
    if not items:
        return 0
    signers = await _signers(fed, items)
    blocked = await fed.blocked_domains()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(d: Delivery) -> Outcome:
        async with gate:
            try:
                return await _attempt(
                    fed, d, signers.get(d.user_id), states.get(d.host), blocked, now
                )
            except Exception as exc:  # a bug must not lose the row: retry it later
                log.exception("delivery to %s failed unexpectedly", d.inbox)
                return Outcome(d, None, f"internal error: {type(exc).__name__}")

    outcomes = list(await asyncio.gather(*(one(d) for d in items)))
    await _record(fed, worker, outcomes, states, datetime.now(UTC))
    delivered = sum(1 for o in outcomes if o.error is None)
    log.info(
        "delivery batch",
        extra={"fields": {"worker": worker, "claimed": len(items), "delivered": delivered}},
    )
    return len(items)
