"""The one outgoing HTTP client. All federation network I/O goes through here.

The app's lifespan creates one :class:`FederationClient` with :func:`create_client`, shares
it (one connection pool, keep-alive) and closes it with :meth:`FederationClient.aclose`.

Server-side request forgery guard
---------------------------------
Peers hand us URLs (actor ids, inboxes, key ids, redirects), so every request is guarded:

* every URL, the first and each redirect hop, goes through :func:`.addresses.check_url`
  (http/https only, no credentials, no forbidden literal IP, no ``localhost``);
* the address actually dialled is checked. The connection pool uses our own network
  backend (:class:`_GuardedBackend`): it resolves the host name itself, refuses the
  connection when *any* resolved address is forbidden (:func:`.addresses.is_forbidden`) and
  connects to the vetted IP. There is no second lookup between check and connect, so a
  name that answers a public address to a checker and 127.0.0.1 to the connector (DNS
  rebinding) gets nowhere. TLS still verifies and sends SNI for the host name, and the
  ``Host`` header is the host name;
* redirects are followed by hand (GET only, at most :data:`MAX_REDIRECTS`, no loops, no
  https -> http downgrade), each hop checked as above;
* environment proxies and ``.netrc`` are ignored (``trust_env=False``) and no cookies are
  kept between requests.

Limits: :data:`CONNECT_TIMEOUT` to connect (DNS included), :data:`READ_TIMEOUT` between
bytes, :data:`TOTAL_TIMEOUT` for a whole call (redirects and body included), and at most
:data:`MAX_RESPONSE_BYTES` of response body, counted both as received and after gzip
decoding.

Every failure is a :class:`FetchError` (``.reason``, and ``.status`` when the peer answered
with an HTTP error status).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ssl
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from .. import __version__
from .addresses import FetchError, ForbiddenAddress, check_host, check_url
from .media import AS_CONTEXT, is_activitystreams, media_type
from .safejson import JsonError, loads_object
from .transport import GuardedTransport, Resolver, system_resolver

__all__ = [
    "ACTIVITY_ACCEPT",
    "FederationClient",
    "FetchError",
    "FetchedDocument",
    "ForbiddenAddress",
    "PostResult",
    "Resolver",
    "Signer",
    "create_client",
    "is_activity_type",
    "parse_json_object",
    "system_resolver",
    "user_agent",
]

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 1_048_576
MAX_REDIRECTS = 5
# How much of a POST's response body is kept (for logs); the rest is not read.
POST_BODY_PREFIX = 4096
# How many of a host's addresses are tried, in resolver order.
MAX_JSON_DEPTH = 64

ACTIVITY_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS_CONTEXT}"'
JRD_ACCEPT = "application/jrd+json, application/json"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# (method, url, headers about to be sent, body) -> headers to add, e.g. Signature.
Signer = Callable[[str, str, Mapping[str, str], bytes], Mapping[str, str]]
# (host, port) -> IP addresses as text, in preference order.


def user_agent(base_url: str) -> str:
    return f"fediverse-skills/{__version__} (+{base_url}/)"


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FetchedDocument:
    """A JSON object fetched with GET. ``final_url`` is the URL after redirects."""

    final_url: str
    document: dict[str, Any]
    raw: bytes
    content_type: str = ""


@dataclass(frozen=True)
class PostResult:
    """The peer's answer to a POST, whatever its status. Header names are lower case."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body_prefix: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# ----------------------------------------------------------------------------- bodies


class _Decoder:
    """Undoes Content-Encoding with a bound on the output, so a small gzip bomb cannot
    inflate past the size cap."""

    def __init__(self, content_encoding: str | None) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        self._zlib: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)
        elif encoding not in ("identity", ""):
            raise FetchError(f"unsupported Content-Encoding: {encoding[:40]}")

    def feed(self, chunk: bytes, room: int) -> bytes:
        """Decode ``chunk``; returns at most ``room + 1`` bytes (one more means: too big)."""
        if self._zlib is None:
            return chunk
        try:
            return bytes(self._zlib.decompress(chunk, room + 1))
        except zlib.error as exc:
            raise FetchError(f"invalid compressed body: {exc}") from None

    def finish(self) -> None:
        if self._zlib is not None and not self._zlib.eof:
            raise FetchError("truncated compressed body")


async def _read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """Read at most ``limit`` bytes of body (after decoding). Past it: FetchError, or with
    ``truncate`` the first ``limit`` bytes. Stops reading as soon as the limit is passed."""
    too_large = FetchError(f"response larger than {limit} bytes")
    declared = response.headers.get("content-length")
    if declared is not None and not truncate:
        try:
            if int(declared) > limit:
                raise too_large
        except ValueError:
            raise FetchError("invalid Content-Length") from None
    decoder = _Decoder(response.headers.get("content-encoding"))
    body = bytearray()
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit and not truncate:
            raise too_large
        body += decoder.feed(chunk, limit - len(body))
        if len(body) > limit or received > limit:
            if truncate:
                return bytes(body[:limit])
            raise too_large
    decoder.finish()
    return bytes(body)


def parse_json_object(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """Parse an untrusted JSON object (see :func:`.safejson.loads_object`), or FetchError."""
    try:
        return loads_object(raw, max_bytes=len(raw), max_depth=max_depth)
    except JsonError as exc:
        raise FetchError(str(exc)) from None


def is_activity_type(content_type: str) -> bool:
    """``application/activity+json``, or ``application/ld+json`` with the AS2 profile."""
    return is_activitystreams(content_type)


# ----------------------------------------------------------------------------- the client


class FederationClient:
    """Guarded outgoing HTTP for federation. One per process; close with :meth:`aclose`."""

    def __init__(
        self,
        *,
        base_url: str,
        allow_private: bool = False,
        signer: Signer | None = None,
        resolver: Resolver | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_RESPONSE_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._signer = signer
        # Set by the owner: a policy (domain blocks) checked on every URL, redirects included.
        self.host_refused: Callable[[str], bool] | None = None
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._user_agent = user_agent(base_url)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._transport = transport = GuardedTransport(
            resolver=resolver or system_resolver,
            allow_private=allow_private,
            ssl_context=ssl_context or httpx.create_ssl_context(),
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            follow_redirects=False,
            trust_env=False,
            # Keep no cookies: peers must not be able to track or steer our requests.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": user_agent(base_url), "Accept-Encoding": "gzip"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- public calls

    async def fetch_document(
        self, url: str, *, sign: bool = True, max_bytes: int | None = None
    ) -> FetchedDocument:
        """GET an ActivityStreams object. Only AS2 content types are accepted, and the
        document's ``id`` must equal the URL it was finally fetched from. ``max_bytes``
        raises the body limit for documents known to be large (skills pages)."""
        fetched = await self._get_json(
            url,
            accept=ACTIVITY_ACCEPT,
            content_type_ok=is_activity_type,
            sign=sign,
            max_bytes=max_bytes or self._max_bytes,
        )
        if fetched.document.get("id") != fetched.final_url:
            raise FetchError("id does not match the URL it was fetched from")
        return fetched

    async def fetch_jrd(self, url: str) -> FetchedDocument:
        """GET a WebFinger (JRD) document, unsigned."""
        return await self.fetch_json(
            url,
            accept=JRD_ACCEPT,
            content_types=("application/jrd+json", "application/json"),
            sign=False,
        )

    async def fetch_json(
        self,
        url: str,
        *,
        accept: str = "application/json",
        content_types: Collection[str] = ("application/json",),
        sign: bool = False,
    ) -> FetchedDocument:
        """GET a JSON object (NodeInfo, ...) whose media type is one of ``content_types``
        (parameters such as charset or profile are allowed)."""
        wanted = {t.lower() for t in content_types}
        return await self._get_json(
            url,
            accept=accept,
            content_type_ok=lambda value: media_type(value)[0] in wanted,
            sign=sign,
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PostResult:
        """POST ``body`` (already signed by the caller). Redirects are not followed. Any
        HTTP status is returned, not raised; FetchError means no usable answer."""
        with self._as_fetch_errors():
            async with asyncio.timeout(self._total_timeout):
                target = self._vet(url)
                merged = {"User-Agent": self._user_agent, **headers}
                status, answer_headers, prefix = await self._transport.post(
                    str(target),
                    list(merged.items()),
                    body,
                    connect_timeout=self._connect_timeout,
                    read_timeout=self._read_timeout,
                    prefix=POST_BODY_PREFIX,
                )
                return PostResult(status=status, headers=answer_headers, body_prefix=prefix)

    # -- internals

    @contextlib.contextmanager
    def _as_fetch_errors(self) -> Iterator[None]:
        """Turn timeouts and transport failures into FetchError."""
        try:
            yield
        except TimeoutError:
            raise FetchError(f"timed out after {self._total_timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        except httpx.InvalidURL as exc:
            # httpx parses a redirect's Location itself, even when not following it.
            raise FetchError(f"invalid URL: {exc}") from None

    def _vet(self, url: str) -> httpx.URL:
        check_url(url, allow_private=self.allow_private)
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        # Check what httpx will actually use too, in case its parser reads the URL
        # differently from urllib's.
        if parsed.scheme not in ("http", "https"):
            raise ForbiddenAddress(f"scheme not allowed: {parsed.scheme}")
        if parsed.userinfo:
            raise ForbiddenAddress("credentials in URL are not allowed")
        try:
            host = parsed.host  # decodes IDNA: a malformed "xn--" label raises here
        except UnicodeError as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        check_host(host, allow_private=self.allow_private)
        if self.host_refused is not None and self.host_refused(host):
            raise ForbiddenAddress(f"{host} is blocked")
        return parsed

    async def _get_json(
        self,
        url: str,
        *,
        accept: str,
        content_type_ok: Callable[[str], bool],
        sign: bool,
        max_bytes: int | None = None,
    ) -> FetchedDocument:
        with self._as_fetch_errors():
            async with asyncio.timeout(self._total_timeout):
                final_url, content_type, raw = await self._get(
                    url,
                    accept=accept,
                    content_type_ok=content_type_ok,
                    sign=sign,
                    max_bytes=max_bytes or self._max_bytes,
                )
        return FetchedDocument(
            final_url=final_url,
            document=parse_json_object(raw),
            raw=raw,
            content_type=content_type,
        )

    async def _get(
        self,
        url: str,
        *,
        accept: str,
        content_type_ok: Callable[[str], bool],
        sign: bool,
        max_bytes: int,
    ) -> tuple[str, str, bytes]:
        current = url
        seen = {url}
        for hop in range(self._max_redirects + 1):
            target = self._vet(current)
            request = self._http.build_request(
                "GET",
                target,
                headers={"Accept": accept, "Date": email.utils.formatdate(usegmt=True)},
            )
            if sign and self._signer is not None:
                request.headers.update(
                    self._signer("GET", str(target), dict(request.headers.items()), b"")
                )
            response = await self._http.send(request, stream=True)
            try:
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    current = self._next_hop(target, response, seen, hop)
                    continue
                if not 200 <= status < 300:
                    raise FetchError(f"HTTP {status}", status=status)
                content_type = response.headers.get("content-type", "")
                if not content_type_ok(content_type):
                    raise FetchError(f"unacceptable content type: {content_type[:100] or '(none)'}")
                return current, content_type, await _read_body(response, max_bytes)
            finally:
                await response.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    def _next_hop(
        self, target: httpx.URL, response: httpx.Response, seen: set[str], hop: int
    ) -> str:
        status = response.status_code
        location = response.headers.get("location")
        if not location:
            raise FetchError("redirect without Location", status=status)
        if hop >= self._max_redirects:
            raise FetchError(f"more than {self._max_redirects} redirects", status=status)
        try:
            next_url = str(target.join(location))
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise FetchError(f"invalid redirect Location: {exc}", status=status) from None
        if next_url in seen:
            raise FetchError("redirect loop", status=status)
        if target.scheme == "https" and next_url.lower().startswith("http:"):
            raise ForbiddenAddress("redirect from https to http")
        seen.add(next_url)
        return next_url


def _transport_error(exc: httpx.HTTPError) -> FetchError:
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(exc), "")
        return FetchError(f"{kind} timed out".strip())
    return FetchError(f"{type(exc).__name__}: {str(exc)[:200]}")


def create_client(
    base_url: str,
    *,
    allow_private: bool = False,
    signer: Signer | None = None,
    resolver: Resolver | None = None,
) -> FederationClient:
    """The process-wide client. ``allow_private`` is ``settings.allow_private_addresses``;
    ``signer`` signs GETs as the instance actor."""
    return FederationClient(
        base_url=base_url, allow_private=allow_private, signer=signer, resolver=resolver
    )
