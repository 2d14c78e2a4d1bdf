"""The background worker: claims due work from the durable queues and runs it.

On SQLite one worker runs inside ``serve``. On PostgreSQL any number of
``fediverse-skills worker`` processes run side by side. Tests call :meth:`Worker.run_once`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from .services import deliveries, inbox, opportunities, suggestions
from .services import workers as worker_service
from .services.context import Federation
from .store.db import Database, DatabaseUnavailable

log = logging.getLogger("fediverse_skills.worker")

# A job source claims and runs a batch of due work as the named worker; it returns how many
# items it handled.
JobSource = Callable[[str], Awaitable[int]]


def federation_sources(fed: Federation) -> list[JobSource]:
    """The queues a worker drains: the inbox first, then deliveries."""

    async def inbox_items(worker_id: str) -> int:
        return await inbox.process_due(fed, worker_id)

    async def outgoing(worker_id: str) -> int:
        return await deliveries.deliver_due(fed, worker_id)

    async def held_decisions(worker_id: str) -> int:
        return await suggestions.finish_due(fed)

    async def expired_postings(worker_id: str) -> int:
        return await opportunities.announce_expired(fed)

    return [inbox_items, outgoing, held_decisions, expired_postings]


IDLE_SLEEP = 1.0
HEARTBEAT_EVERY = 15.0


class Worker:
    def __init__(self, db: Database, sources: list[JobSource] | None = None) -> None:
        self.db = db
        self.sources: list[JobSource] = list(sources or [])
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = f"{self.hostname}:{self.pid}:{secrets.token_hex(4)}"
        self.started_at = datetime.now(UTC)
        self._last_beat = 0.0

    async def heartbeat(self) -> None:
        await worker_service.heartbeat(
            self.db,
            worker_id=self.worker_id,
            hostname=self.hostname,
            pid=self.pid,
            started_at=self.started_at,
        )
        self._last_beat = asyncio.get_running_loop().time()

    async def run_once(self) -> int:
        """Run every job source once; return how many items were handled in all."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_beat >= HEARTBEAT_EVERY or not self._last_beat:
            await self.heartbeat()
        done = 0
        for source in self.sources:
            done += await source(self.worker_id)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set. Errors are logged and retried; they never end the loop."""
        log.info("worker started", extra={"fields": {"worker_id": self.worker_id}})
        try:
            while not stop.is_set():
                try:
                    done = await self.run_once()
                except DatabaseUnavailable as exc:
                    log.warning("database unavailable: %s", exc)
                    done = 0
                except Exception:
                    log.exception("worker iteration failed")
                    done = 0
                if not done:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=IDLE_SLEEP)
        finally:
            try:
                await worker_service.stopped(self.db, self.worker_id)
            except Exception:  # the database may be gone at shutdown; the row then ages out
                log.warning("could not remove the heartbeat of %s", self.worker_id)
            log.info("worker stopped", extra={"fields": {"worker_id": self.worker_id}})
