"""The network transport under the federation client: aiohttp behind the httpx API.

httpx's own connection pool slows down sharply as concurrency rises (encode/httpx#3215),
which is exactly a delivery worker's load. The client keeps the httpx API; this transport
sends each request with one shared aiohttp session instead.

The SSRF guard lives in :class:`GuardedResolver`: aiohttp dials only the addresses a
resolver returns, so checking them there checks the address actually dialled (a name that
resolves to a public address for the check and to 127.0.0.1 for the connection cannot
exist). Literal IP hosts bypass resolvers; the client checks those before sending.
Content-Encoding is left alone (the client decodes with a size cap), cookies are never
kept, and proxy settings from the environment are ignored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from .addresses import ForbiddenAddress, check_host, is_forbidden

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_CONNECTIONS = 200
KEEPALIVE_EXPIRY = 30.0
MAX_ADDRESSES = 4


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, through the operating system."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


class GuardedResolver(AbstractResolver):
    """Resolves through ``resolver`` and refuses the whole name if any answer is forbidden."""

    def __init__(self, resolver: Resolver, *, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        check_host(host, allow_private=self._allow_private)
        try:
            answers = await self._resolver(host, port)
            candidates = [ipaddress.ip_address(answer) for answer in answers]
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            raise OSError(exc.errno or 0, f"cannot resolve {host}: {why}") from None
        except ValueError as exc:
            raise OSError(f"resolver gave a bad address for {host}: {exc}") from None
        if not candidates:
            raise OSError(f"{host} has no addresses")
        for ip in candidates:  # one forbidden answer taints the name
            reason = is_forbidden(ip, allow_private=self._allow_private)
            if reason is not None:
                raise ForbiddenAddress(f"{host} resolves to forbidden address {ip}: {reason}")
        return [
            ResolveResult(
                hostname=host,
                host=str(ip),
                port=port,
                family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip in candidates[:MAX_ADDRESSES]
        ]

    async def close(self) -> None:
        return None


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        self._response.release()


def _mapped(exc: BaseException) -> httpx.TransportError:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text)
    if isinstance(exc, (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, TimeoutError)):
        return httpx.ReadTimeout(text)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(text)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.ReadError(text)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(text)
    return httpx.NetworkError(text)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one aiohttp session with a guarded resolver."""

    def __init__(
        self, *, resolver: Resolver, allow_private: bool, ssl_context: ssl.SSLContext
    ) -> None:
        self._resolver = GuardedResolver(resolver, allow_private=allow_private)
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=MAX_CONNECTIONS,
                keepalive_timeout=KEEPALIVE_EXPIRY,
                ssl=self._ssl,
                resolver=self._resolver,
                use_dns_cache=False,  # every new connection is resolved and checked anew
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        ]
        try:
            response = await self._get_session().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeouts.get("connect"),  # includes resolving the name
                    sock_connect=timeouts.get("connect"),
                    sock_read=timeouts.get("read"),
                ),
            )
        except ForbiddenAddress:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc
        return httpx.Response(
            status_code=response.status,
            headers=[(bytes(k), bytes(v)) for k, v in response.raw_headers],
            stream=_Body(response),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def post(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        connect_timeout: float,
        read_timeout: float,
        prefix: int,
    ) -> tuple[int, dict[str, str], bytes]:
        """A POST straight through aiohttp, for deliveries (the hot path): the status, the
        headers and at most ``prefix`` bytes of the body. The caller has vetted ``url``."""
        try:
            async with self._get_session().post(
                url,
                headers=list(headers),
                data=body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=connect_timeout,
                    sock_connect=connect_timeout,
                    sock_read=read_timeout,
                ),
            ) as response:
                try:
                    start = await response.content.read(prefix)
                except (aiohttp.ClientError, TimeoutError):
                    start = b""  # the peer answered; its body is only for logs
                return response.status, {k.lower(): v for k, v in response.headers.items()}, start
        except ForbiddenAddress:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
