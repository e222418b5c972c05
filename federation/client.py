"""The one outgoing HTTP client: SSRF-safe connects, redirects, size and time caps (rules 8, 14)."""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import (
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import anyio
import certifi
import httpcore
import httpx

from federation.guard import (
    AddressGuard,
    FetchError,
    GuardedNetworkBackend,
    GuardedTransport,
    Resolver,
    system_resolver,
)
from federation.hosts import (
    HostError,
    canonical_host,
)
from federation.jsonsafe import DEFAULT_MAX_DEPTH, JsonError, parse_json_object

Signer = Callable[[str, str, bytes | None], Mapping[str, str]]

AS_PROFILE = "https://www.w3.org/ns/activitystreams"
ACTIVITY_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS_PROFILE}"'
PLAIN_JSON_ACCEPT = "application/jrd+json, application/json"
ACTIVITY_CONTENT_TYPE = "application/activity+json"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_EXCERPT_BYTES = 2048
_TIMEOUT_KINDS = {
    httpx.ConnectTimeout: "connect timeout",
    httpx.ReadTimeout: "read timeout",
    httpx.WriteTimeout: "write timeout",
    httpx.PoolTimeout: "pool timeout",
}


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


@dataclass(frozen=True)
class FetchedDocument:
    """A JSON object fetched from `final_url` (the URL after redirects, without fragment)."""

    url_requested: str
    final_url: str
    status: int
    content_type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class PostResult:
    """The answer of a remote inbox to a delivery; any status except a redirect."""

    status: int
    headers: dict[str, str]
    body_excerpt: str


def build_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """Build a verifying TLS context from certifi plus an optional extra PEM bundle (rule 14)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context


@dataclass(frozen=True)
class _Hop:
    url: httpx.URL
    redirect: httpx.URL | None = None
    status: int = 0
    content_type: str = ""
    body: bytes = b""


@dataclass
class _HostPool:
    """The connections to one host: a small pool of its own, so the bookkeeping of a
    request never walks the connections and waiting requests of every other host."""

    http: httpx.AsyncClient
    slot: anyio.Semaphore
    in_use: int = 0
    last_used: float = field(default_factory=time.monotonic)


class FederationClient:
    """The process-wide outgoing HTTP client for ActivityPub, WebFinger and NodeInfo.

    Each host gets its own small connection pool (at most `per_host_connections`), made on
    first use and closed when idle for `idle_expiry` seconds or when more than `max_hosts`
    pools are open; every pool connects through the same address guard (rule 8)."""

    def __init__(
        self,
        *,
        user_agent: str,
        own_hosts: Iterable[str] = (),
        allow_private: Iterable[str] = (),
        ca_bundle: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        total_timeout: float = 20.0,
        max_body: int = 1_048_576,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_redirects: int = 5,
        per_host_connections: int = 10,
        max_hosts: int = 64,
        idle_expiry: float = 30.0,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.own_hosts = frozenset(canonical_host(host) for host in own_hosts)
        self.guard = AddressGuard(allow_private, resolver or system_resolver)
        self._total_timeout = total_timeout
        self._max_body = max_body
        self._max_depth = max_depth
        self._max_redirects = max_redirects
        self._per_host = per_host_connections
        self._max_hosts = max_hosts
        self._idle_expiry = idle_expiry
        self._pools: dict[str, _HostPool] = {}
        self._swept = time.monotonic()
        self._limits = httpx.Limits(
            max_connections=per_host_connections,
            max_keepalive_connections=per_host_connections,
            keepalive_expiry=idle_expiry,
        )
        self._backend = GuardedNetworkBackend(
            self.guard, network_backend or httpcore.AnyIOBackend()
        )
        # Loading the certificate store costs ~30 ms of CPU, which a starting server need not
        # spend before its first page: the context is built for the first pool. An extra
        # bundle is read now, so that a file that is no certificate bundle fails at start.
        self._ca_bundle = ca_bundle
        self._ssl: ssl.SSLContext | None = build_ssl_context(ca_bundle) if ca_bundle else None
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._user_agent = user_agent

    @property
    def _ssl_context(self) -> ssl.SSLContext:
        """The one TLS context every pool shares (rule 14)."""
        if self._ssl is None:
            self._ssl = build_ssl_context(self._ca_bundle)
        return self._ssl

    def _new_pool(self) -> _HostPool:
        transport = GuardedTransport(
            ssl_context=self._ssl_context, limits=self._limits, network_backend=self._backend
        )
        # trust_env=False: an environment proxy would be mounted in front of the guarded transport.
        http = httpx.AsyncClient(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            timeout=self._timeout,
            headers={"User-Agent": self._user_agent},
        )
        return _HostPool(http, anyio.Semaphore(self._per_host))

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections; called once by the app's lifespan on shutdown."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.http.aclose()

    async def _close_idle(self, *, room_for_one: bool = False) -> None:
        """Close pools unused for `idle_expiry` seconds, and the least recently used idle
        ones beyond `max_hosts`."""
        now = time.monotonic()
        idle = sorted(
            ((key, pool) for key, pool in self._pools.items() if pool.in_use == 0),
            key=lambda item: item[1].last_used,
        )
        excess = len(self._pools) + room_for_one - self._max_hosts
        closing = []
        for key, pool in idle:
            if excess <= 0 and now - pool.last_used < self._idle_expiry:
                break
            # Taken out before the first await: a sweep running meanwhile never sees it again.
            del self._pools[key]
            closing.append(pool)
            excess -= 1
        for pool in closing:
            await pool.http.aclose()

    async def get_json(
        self, url: str, *, sign: Signer | None = None, accept: str = ACTIVITY_ACCEPT
    ) -> FetchedDocument:
        """Fetch an ActivityStreams object whose `id` is its final URL, not ours (rule 8)."""
        async with self._limited(url):
            document = await self._fetch(url, sign, accept, _is_activity_type)
            final = httpx.URL(document.final_url)
            document_id = self._document_id(document)
            if document_id == final:
                return document
            if _origin(document_id) != _origin(final):
                raise FetchError(
                    f"document id {str(document_id)!r} is not on the origin of {str(final)!r}",
                    url=url,
                )
            refetched = await self._fetch(str(document_id), sign, accept, _is_activity_type)
            if self._document_id(refetched) != httpx.URL(refetched.final_url):
                raise FetchError(
                    f"document id differs from its URL {refetched.final_url!r} after re-fetch",
                    url=url,
                )
            return FetchedDocument(
                url, refetched.final_url, refetched.status, refetched.content_type, refetched.data
            )

    async def get_plain_json(
        self, url: str, *, sign: Signer | None = None, accept: str = PLAIN_JSON_ACCEPT
    ) -> FetchedDocument:
        """Fetch a plain JSON object (WebFinger RFC 7033 JRD, NodeInfo) with the same limits."""
        async with self._limited(url):
            return await self._fetch(url, sign, accept, _is_plain_json_type)

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        sign: Signer | None = None,
    ) -> PostResult:
        """Deliver a body, signing right before sending; redirects are failures (rules 1, 23)."""
        request_headers = {"Content-Type": ACTIVITY_CONTENT_TYPE, **(headers or {})}
        async with self._limited(url):
            target = self._checked_url(url)
            async with self._host_slot(target) as http:
                response = await self._send(http, "POST", target, body, request_headers, sign)
                try:
                    if response.status_code in _REDIRECT_STATUSES:
                        location = response.headers.get("location", "")
                        raise FetchError(
                            f"delivery was redirected ({response.status_code} to {location!r});"
                            " deliveries never follow redirects",
                            status=response.status_code,
                            url=url,
                        )
                    excerpt = await self._read_body(response, _EXCERPT_BYTES, truncate=True)
                finally:
                    await response.aclose()
        return PostResult(
            status=response.status_code,
            headers=dict(response.headers.items()),
            body_excerpt=excerpt.decode("utf-8", errors="replace"),
        )

    async def _fetch(
        self, url: str, sign: Signer | None, accept: str, type_ok: Callable[[str], bool]
    ) -> FetchedDocument:
        current = self._checked_url(url)
        for _ in range(self._max_redirects + 1):
            hop = await self._get_hop(current, sign, accept, type_ok)
            if hop.redirect is None:
                try:
                    data = parse_json_object(hop.body, self._max_depth)
                except JsonError as exc:
                    raise FetchError(f"{exc.reason} (from {str(current)!r})", url=url) from exc
                return FetchedDocument(url, str(current), hop.status, hop.content_type, data)
            current = hop.redirect
        raise FetchError(f"too many redirects (more than {self._max_redirects})", url=url)

    async def _get_hop(
        self, url: httpx.URL, sign: Signer | None, accept: str, type_ok: Callable[[str], bool]
    ) -> _Hop:
        headers = {"Accept": accept, "Accept-Encoding": "gzip"}
        async with self._host_slot(url) as http:
            response = await self._send(http, "GET", url, None, headers, sign)
            try:
                status = response.status_code
                if status in _REDIRECT_STATUSES:
                    return _Hop(url, redirect=self._redirect_target(url, response))
                if not 200 <= status < 300:
                    raise FetchError(
                        f"HTTP {status} from {str(url)!r}", status=status, url=str(url)
                    )
                content_type = response.headers.get("content-type", "")
                if not type_ok(content_type):
                    raise FetchError(
                        f"unacceptable Content-Type {content_type!r} from {str(url)!r}",
                        status=status,
                        url=str(url),
                    )
                body = await self._read_body(response, self._max_body, truncate=False)
                return _Hop(url, status=status, content_type=content_type, body=body)
            finally:
                await response.aclose()

    async def _send(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: httpx.URL,
        body: bytes | None,
        headers: Mapping[str, str],
        sign: Signer | None,
    ) -> httpx.Response:
        all_headers = dict(headers)
        if sign is not None:
            all_headers.update(sign(method, str(url), body))
        request = http.build_request(method, url, headers=all_headers, content=body)
        with _transport_errors(url):
            try:
                return await http.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if not _closed_under_us(exc):
                    raise
                # A kept-alive connection that the server closed just as it was reused (its
                # idle timeout raced our request): sent once more, on another connection.
                # Inboxes take an activity once by its id, so a repeat does no harm.
                return await http.send(request, stream=True)

    async def _read_body(self, response: httpx.Response, limit: int, *, truncate: bool) -> bytes:
        declared = response.headers.get("content-length")
        if not truncate and declared is not None and declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"response too large: Content-Length {declared} exceeds {limit} bytes",
                status=response.status_code,
                url=str(response.url),
            )
        decoder = _decoder_for(response.headers.get("content-encoding", ""))
        body = bytearray()
        with _transport_errors(response.url):
            async for chunk in response.aiter_raw():
                body += decoder.decompress(chunk, limit + 1 - len(body)) if decoder else chunk
                if len(body) > limit:
                    if truncate:
                        return bytes(body[:limit])
                    raise FetchError(
                        f"response too large: more than {limit} bytes",
                        status=response.status_code,
                        url=str(response.url),
                    )
        if decoder is not None and not decoder.eof and not truncate:
            raise FetchError("truncated compressed response body", url=str(response.url))
        return bytes(body)

    def _redirect_target(self, url: httpx.URL, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location")
        if not location:
            raise FetchError(
                f"redirect {response.status_code} without Location", status=response.status_code
            )
        try:
            target = url.join(location)
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid redirect Location {location!r}: {exc}") from exc
        if "\\" in location:
            raise FetchError(f"backslash in redirect Location {location!r}")
        return self._checked_url(str(target))

    def _checked_url(self, url: str, *, keep_fragment: bool = False) -> httpx.URL:
        scheme = url.partition(":")[0].lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"scheme {scheme!r} is not allowed (http and https only): {url!r}")
        try:
            host = canonical_host(url)
            parsed = httpx.URL(url)
        except HostError as exc:
            raise FetchError(f"refusing {url!r}: {exc.reason}", url=url) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL {url!r}: {exc}", url=url) from exc
        if parsed.scheme != scheme or host != _httpx_authority(parsed):
            raise FetchError(f"URL parsers disagree on the origin of {url!r}", url=url)
        return parsed if keep_fragment else parsed.copy_with(fragment=None)

    def _document_id(self, document: FetchedDocument) -> httpx.URL:
        raw_id = document.data.get("id")
        if not isinstance(raw_id, str):
            raise FetchError(f"document at {document.final_url!r} has no string id")
        document_id = self._checked_url(raw_id, keep_fragment=True)
        if canonical_host(raw_id) in self.own_hosts:
            raise FetchError(f"remote document claims an id on our own host: {raw_id!r}")
        return document_id

    @asynccontextmanager
    async def _limited(self, url: str) -> AsyncIterator[None]:
        """One call within the total time limit; then pools that fell idle are closed, outside
        the limit, so that closing them never turns an answered request into a timeout."""
        try:
            with self._total_limit(url):
                yield
        finally:
            await self._sweep()

    @contextmanager
    def _total_limit(self, url: str) -> Iterator[None]:
        try:
            with anyio.fail_after(self._total_timeout):
                yield
        except TimeoutError as exc:
            raise FetchError(
                f"total time limit of {self._total_timeout:g}s exceeded for {url!r}", url=url
            ) from exc

    @asynccontextmanager
    async def _host_slot(self, url: httpx.URL) -> AsyncIterator[httpx.AsyncClient]:
        """The host's pool, with one of its `per_host_connections` slots held."""
        key = f"{url.scheme}://{_httpx_authority(url)}"
        if key not in self._pools:
            await self._sweep(room_for_one=True)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._new_pool()
        pool.in_use += 1
        try:
            async with pool.slot:
                yield pool.http
        finally:
            pool.in_use -= 1
            pool.last_used = time.monotonic()

    async def _sweep(self, *, room_for_one: bool = False) -> None:
        full = len(self._pools) + room_for_one > self._max_hosts
        if full or time.monotonic() - self._swept >= min(1.0, self._idle_expiry):
            self._swept = time.monotonic()
            await self._close_idle(room_for_one=room_for_one)


def _httpx_authority(url: httpx.URL) -> str:
    return _canonical_authority(url.scheme, url.raw_host, url.port)


@lru_cache(maxsize=1024)
def _canonical_authority(scheme: str, raw_host: bytes, port: int | None) -> str:
    """The canonical host of what httpx parsed; kept per host, since a fan-out asks it for
    every delivery (a refusal raises and is not kept)."""
    host = raw_host.decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    shown = f":{port}" if port is not None else ""
    try:
        return canonical_host(f"{scheme}://{host}{shown}/")
    except HostError as exc:
        raise FetchError(f"refusing host {host!r}: {exc.reason}") from exc


def _origin(url: httpx.URL) -> tuple[str, str]:
    return url.scheme, _httpx_authority(url)


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    media_type, *raw_params = content_type.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, value = raw.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), params


def _is_activity_type(content_type: str) -> bool:
    media_type, params = _media_type(content_type)
    if media_type == "application/activity+json":
        return True
    return media_type == "application/ld+json" and AS_PROFILE in params.get("profile", "").split()


def _is_plain_json_type(content_type: str) -> bool:
    return _media_type(content_type)[0] in ("application/json", "application/jrd+json")


def _decoder_for(content_encoding: str) -> _Decompressor | None:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=31)
    if encoding == "deflate":
        return zlib.decompressobj(wbits=15)
    raise FetchError(f"unsupported Content-Encoding {content_encoding!r}")


def _closed_under_us(exc: httpx.TransportError) -> bool:
    """Whether a request ended because the server closed the connection before any answer
    (not because the answer was malformed, which httpx reports as a protocol error too)."""
    if isinstance(exc, httpx.RemoteProtocolError):
        return str(exc).startswith("Server disconnected")
    return True


@contextmanager
def _transport_errors(url: httpx.URL) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        kind = _TIMEOUT_KINDS.get(type(exc), "timeout")
        raise FetchError(f"{kind} talking to {str(url)!r}", url=str(url)) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"connection to {str(url)!r} failed: {exc}", url=str(url)) from exc
    except zlib.error as exc:
        raise FetchError(f"corrupt compressed body from {str(url)!r}: {exc}") from exc
