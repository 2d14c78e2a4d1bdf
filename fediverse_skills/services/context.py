"""What the federation use cases share: database, HTTP client, our URIs and small caches.

The app's lifespan (and the worker) builds one :class:`Federation` and passes it to the
service functions. It holds no business rules.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ..domain.ratelimits import RateLimiter
from ..federation.uris import LocalUris
from ..store import blocks
from ..store.batching import GroupCommitter
from ..store.db import Database
from ..store.inbox import NewInboxItem

T = TypeVar("T")

# A host whose key we refetched is not refetched again for this long (refetch storms).
KEY_REFRESH_COOLDOWN = 60.0
# Parsed public keys are kept in memory this long; a refresh or an Update replaces them.
KEY_CACHE_TTL = 600.0
KEY_CACHE_SIZE = 10_000
# Local usernames known to exist are remembered this long (inbox POSTs name one each).
USER_CACHE_TTL = 60.0
# Built profile documents kept in memory, in characters (a profile of 5,000 endorsements
# is about 6 MB as AS2); each is valid while its user's profile_version is unchanged.
PROFILE_CACHE_CHARS = 64_000_000


class Fetched(Protocol):
    final_url: str
    document: dict[str, Any]


class PostAnswer(Protocol):
    status: int


class HttpClient(Protocol):
    """The parts of federation.client that services use."""

    async def fetch_document(
        self, url: str, *, sign: bool = True, max_bytes: int | None = None
    ) -> Any: ...

    async def fetch_jrd(self, url: str) -> Any: ...

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Any: ...


@dataclass
class Federation:
    db: Database
    client: HttpClient
    uris: LocalUris
    allow_private_addresses: bool = False
    inbox_writer: GroupCommitter[NewInboxItem, None] | None = None
    blocks_ttl: float = 5.0
    _blocked: frozenset[str] = frozenset()
    _blocked_at: float = float("-inf")
    _key_refreshed: dict[str, float] = field(default_factory=dict)
    _private_keys: dict[str, tuple[str, RSAPrivateKey]] = field(default_factory=dict)
    ed25519_keys: dict[str, Any] = field(default_factory=dict)  # our people's signing keys
    trust: Any = None  # services.trust.TrustState, once loaded
    undo_seconds: float = 60.0  # the undo window of decisions made on the web
    # Activities accepted per remote registrable domain, in this process (None: no limit).
    inbox_limiter: RateLimiter | None = None
    # Inbox POSTs answered by this process, by outcome (see services/metrics.py).
    inbox_outcomes: Counter[str] = field(default_factory=Counter)
    _public_keys: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _local_users: dict[str, float] = field(default_factory=dict)
    _fetched: dict[str, float] = field(default_factory=dict)
    _in_flight: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    _failing_hosts: dict[str, float] = field(default_factory=dict)
    _profiles: OrderedDict[tuple[Any, ...], tuple[int, Any, int]] = field(
        default_factory=OrderedDict
    )
    _profiles_size: int = 0

    def cached_profile(self, key: tuple[Any, ...], version: int) -> Any:
        """A built profile document, if it was built at ``version`` (else None)."""
        entry = self._profiles.get(key)
        if entry is None or entry[0] != version:
            return None
        self._profiles.move_to_end(key)
        return entry[1]

    def forget_profiles(self) -> None:
        self._profiles.clear()
        self._profiles_size = 0

    def remember_profile(
        self, key: tuple[Any, ...], version: int, value: Any, size: int | None = None
    ) -> None:
        """Keep ``value`` (of about ``size`` characters; a string's own length by
        default) for ``key`` at ``version``; the oldest go when the cache is full."""
        size = len(value) if size is None else size
        old = self._profiles.pop(key, None)
        if old is not None:
            self._profiles_size -= old[2]
        if size > PROFILE_CACHE_CHARS // 4:
            return
        self._profiles[key] = (version, value, size)
        self._profiles_size += size
        while self._profiles_size > PROFILE_CACHE_CHARS:
            _, (_, _, dropped) = self._profiles.popitem(last=False)
            self._profiles_size -= dropped

    def cached_key(self, key_id: str) -> Any | None:
        """A public key verified recently enough to use without a database read."""
        entry = self._public_keys.get(key_id)
        if entry is None or time.monotonic() - entry[0] > KEY_CACHE_TTL:
            return None
        return entry[1]

    def remember_key(self, key_id: str, key: Any) -> None:
        if len(self._public_keys) >= KEY_CACHE_SIZE:
            self._public_keys.clear()
        self._public_keys[key_id] = (time.monotonic(), key)

    def forget_keys_of(self, actor_uri: str) -> None:
        for key_id, (_, key) in list(self._public_keys.items()):
            if getattr(key, "owner", None) == actor_uri:
                del self._public_keys[key_id]

    def known_local_user(self, username: str) -> bool:
        seen = self._local_users.get(username)
        return seen is not None and time.monotonic() - seen < USER_CACHE_TTL

    def remember_local_user(self, username: str) -> None:
        if len(self._local_users) >= KEY_CACHE_SIZE:
            self._local_users.clear()
        self._local_users[username] = time.monotonic()

    async def blocked_domains(self) -> frozenset[str]:
        """The blocked domains, re-read from the database at most every few seconds."""
        now = time.monotonic()
        if now - self._blocked_at > self.blocks_ttl:
            async with self.db.connection() as conn:
                self._blocked = frozenset(await blocks.all_domains(conn))
            self._blocked_at = now
        return self._blocked

    async def close(self) -> None:
        if self.inbox_writer is not None:
            await self.inbox_writer.close()

    def blocked_now(self) -> frozenset[str]:
        """The blocked domains as last read (for checks that cannot wait on the database)."""
        return self._blocked

    async def once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Run ``make()`` for ``key`` unless a call for the same key is already running;
        concurrent callers share its result (single flight)."""
        running = self._in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._in_flight[key]

    def may_fetch(self, url: str) -> bool:
        """True at most once per cool-down per URL; records the fetch. Key lookups use it so
        that made-up key ids cannot make us fetch the same document again and again."""
        now = time.monotonic()
        last = self._fetched.get(url)
        if last is not None and now - last < KEY_REFRESH_COOLDOWN:
            return False
        if len(self._fetched) >= KEY_CACHE_SIZE:
            self._fetched.clear()
        self._fetched[url] = now
        return True

    def host_failing(self, host: str) -> bool:
        failed = self._failing_hosts.get(host)
        return failed is not None and time.monotonic() - failed < KEY_REFRESH_COOLDOWN

    def record_host_failure(self, host: str) -> None:
        if len(self._failing_hosts) >= KEY_CACHE_SIZE:
            self._failing_hosts.clear()
        self._failing_hosts[host] = time.monotonic()

    def forget_blocks(self) -> None:
        self._blocked_at = float("-inf")

    def may_refresh_key(self, host: str) -> bool:
        """True at most once per cool-down per host; records the refresh."""
        now = time.monotonic()
        last = self._key_refreshed.get(host)
        if last is not None and now - last < KEY_REFRESH_COOLDOWN:
            return False
        self._key_refreshed[host] = now
        return True

    def rsa_key(self, key_id: str, pem: str) -> RSAPrivateKey:
        """A parsed private key, cached per key id (parsing RSA keys is slow). The PEM is
        compared too: a deleted account's name, and so its key id, may be taken again."""
        cached = self._private_keys.get(key_id)
        if cached is not None and cached[0] == pem:
            return cached[1]
        loaded = load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(loaded, RSAPrivateKey):
            raise TypeError("the signing key is not an RSA key")
        self._private_keys[key_id] = (pem, loaded)
        return loaded
