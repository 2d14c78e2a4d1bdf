"""create_app(settings): the Starlette application, its routes and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from .config import Settings
from .domain.ratelimits import RateLimiter
from .federation.client import FederationClient, create_client
from .federation.uris import LocalUris
from .services import instance
from .services.blocks import is_blocked
from .services.context import Federation
from .store import inbox as inbox_store
from .store.batching import GroupCommitter
from .store.db import Database
from .store.migrations import ensure_migrated
from .web.clients import ClientAddress
from .web.errors import EXCEPTION_HANDLERS
from .web.inbox import InboxFastPath
from .web.limits import RateLimits
from .web.routes import build_routes
from .web.security import SecurityHeaders
from .worker import Worker, federation_sources

log = logging.getLogger("fediverse_skills.app")


async def open_federation(settings: Settings, db: Database) -> tuple[Federation, FederationClient]:
    """The shared federation context and its HTTP client (close the client when done)."""
    uris = LocalUris(settings.base_url)
    key = await instance.ensure_key(db)
    client = create_client(
        settings.base_url,
        allow_private=settings.allow_private_addresses,
        signer=instance.get_signer(uris, key),
    )
    fed = Federation(
        db=db,
        client=client,
        uris=uris,
        allow_private_addresses=settings.allow_private_addresses,
        inbox_writer=GroupCommitter(db, inbox_store.enqueue_batch),
        undo_seconds=settings.undo_seconds,
        inbox_limiter=RateLimiter(settings.inbox_rate_limit),
    )
    await fed.blocked_domains()
    client.host_refused = lambda host: is_blocked(host, fed.blocked_now())
    return fed, client


def create_app(settings: Settings, *, run_worker: bool | None = None) -> ASGIApp:
    """Build the app. The lifespan owns the database engine, the HTTP client and,
    when ``run_worker`` (default: ``settings.run_worker_in_process``), a worker task."""
    with_worker = settings.run_worker_in_process if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        db = Database.open(settings.database_url)
        try:
            await db.ping()
            await ensure_migrated(db)
            fed, client = await open_federation(settings, db)
        except BaseException:
            await db.close()
            raise
        stop = asyncio.Event()
        worker_task: asyncio.Task[None] | None = None
        if with_worker:
            worker = Worker(db, federation_sources(fed))
            worker_task = asyncio.create_task(worker.run(stop), name="worker")
        log.info(
            "instance ready",
            extra={
                "fields": {
                    "base_url": settings.base_url,
                    "database": db.dialect,
                    "worker": with_worker,
                }
            },
        )
        try:
            yield {"db": db, "http": client, "fed": fed, "settings": settings}
        finally:
            stop.set()
            if worker_task is not None:
                await worker_task
            await fed.close()
            await client.aclose()
            await db.close()

    app = Starlette(
        routes=build_routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders, base_url=settings.base_url)],
    )
    # Outermost first: the real client address, then the limits, then the inbox fast path.
    return ClientAddress(
        RateLimits(InboxFastPath(app), limit=settings.api_rate_limit), settings.trusted_proxies
    )
