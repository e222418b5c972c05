"""Where the board may connect: every resolved address is checked, then connected to (rule 14).

The check sits in the network backend under httpx, so it holds for every request, every
redirect hop and every new connection of the pool, and a DNS answer that changes between
check and connect cannot lead anywhere else: the checked address is the one connected to.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence

import anyio
import httpcore
import httpx

from federation.hosts import (
    HostError,
    canonical_host,
    is_forbidden_address,
    parse_ip_literal,
    split_host_port,
)

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class FetchError(Exception):
    """A fetch or delivery that failed; `reason` says why, `status` is the HTTP status if any."""

    def __init__(self, reason: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.url = url


class BlockedAddressError(FetchError):
    """A connection refused before it was opened because the target is special-purpose."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve a name with the event loop's getaddrinfo, for the SSRF check of rule 14."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressGuard:
    """Resolves a host once and refuses special-purpose addresses unless explicitly allowed."""

    def __init__(self, allow_private: Iterable[str], resolver: Resolver) -> None:
        self.allow_private = frozenset(_canonical_host_port(entry) for entry in allow_private)
        self._resolver = resolver

    async def resolve(self, host: str, port: int) -> list[str]:
        """Return the checked addresses to connect to for `host:port` (rule 14, DNS rebinding)."""
        literal_host = f"[{host}]" if ":" in host else host
        try:
            authority = canonical_host(f"{literal_host}:{port}")
        except HostError as exc:
            raise BlockedAddressError(f"refusing host {host!r}: {exc.reason}") from exc
        name, _ = split_host_port(authority)
        allowed = authority in self.allow_private
        literal = parse_ip_literal(name)
        if literal is not None:
            addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [literal]
        elif not allowed and (name == "localhost" or name.endswith(".localhost")):
            raise BlockedAddressError(f"refusing {authority}: localhost names are loopback")
        else:
            addresses = await self._resolve_name(host, port)
        for address in addresses:
            self._check(authority, address, allowed)
        return [str(address) for address in addresses]

    async def _resolve_name(
        self, host: str, port: int
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            raw = await self._resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host!r}: {exc}") from exc
        if not raw:
            raise httpcore.ConnectError(f"{host!r} resolved to no address")
        try:
            return [ipaddress.ip_address(address) for address in raw]
        except ValueError as exc:
            raise httpcore.ConnectError(f"resolver returned a non-address: {exc}") from exc

    def _check(
        self, authority: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: bool
    ) -> None:
        reason = is_forbidden_address(address)
        if reason is None or (allowed and address.is_loopback):
            return
        hint = " (allow_private covers loopback addresses only)" if allowed else ""
        raise BlockedAddressError(
            f"refusing {authority}: address {address} is forbidden ({reason}){hint}"
        )


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the guard has checked, so DNS rebinding cannot slip past."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend) -> None:
        self._guard = guard
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check `host`, then connect to a checked IP itself (rule 14)."""
        try:
            with anyio.fail_after(timeout):
                addresses = await self._guard.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from exc
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse Unix sockets: federation only ever speaks TCP to checked addresses."""
        raise BlockedAddressError("unix sockets are never used for federation")

    async def sleep(self, seconds: float) -> None:
        """Sleep through the wrapped backend (used by httpcore's retry back-off)."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its pool rebuilt on the guarded backend.

    httpx 0.28 has no `network_backend` argument, so the pool that httpx built is replaced by an
    identical `httpcore.AsyncConnectionPool` that uses our backend; everything else (request and
    exception mapping, streaming) stays httpx's own code.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        network_backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=network_backend,
        )


def _canonical_host_port(entry: str) -> str:
    authority = canonical_host(entry)
    if split_host_port(authority)[1] is None:
        raise HostError(f"allow_private entry {entry!r} needs an explicit port")
    return authority
