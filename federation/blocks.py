"""Blocks and limited federation: one check for every id an activity involves (rule 5)."""

from __future__ import annotations

from collections.abc import Iterable

from federation import store
from federation.database import Database
from federation.hosts import HostError, canonical_host, host_matches
from federation.shared_reads import SharedRead


def normalise_domain(value: str) -> str:
    """Turn what staff type (a domain, a URL or @user@domain) into a canonical domain."""
    text = value.strip()
    if text.startswith("@") or ("@" in text and "://" not in text):
        if text.lstrip("@").count("@") != 1:
            raise HostError("not a domain or @name@domain")
        text = text.rsplit("@", 1)[1]
    return canonical_host(text)


class Blocks:
    """Answers 'may we talk to this?' from the database, so every process sees new blocks.

    A host is refused when it, or a domain it belongs to, is blocked; in limited federation
    also when it is not on the list of allowed domains (subdomains included there as well).
    """

    def __init__(self, db: Database, own_host: str | None = None) -> None:
        self.db = db
        self.own_host = own_host
        self._inbound = SharedRead(self._lists)
        self._outbound = SharedRead(self._lists)

    async def is_blocked(self, host: str) -> bool:
        """Tell whether a canonical host is refused."""
        return await self.any_blocked([host])

    async def any_blocked(self, hosts: Iterable[str]) -> bool:
        """Tell whether any of the hosts is refused, with one look at the lists (shared by
        concurrent callers, as the delivery worker's tasks for many hosts are)."""
        return self._refused(list(hosts), await self._outbound.get())

    async def refuses(self, hosts: Iterable[str], actor_ids: Iterable[str]) -> bool:
        """Tell whether any host is refused or any of the ids is a blocked account; one read
        serves both, as every inbound request asks."""
        ids = {a for a in actor_ids if a}
        # Concurrent requests share the read (each one's accounts are among those it asks).
        lists = await self._inbound.get(ids)
        return not lists.blocked_actors.isdisjoint(ids) or self._refused(list(hosts), lists)

    async def _lists(self, actor_ids: frozenset[str]) -> store.BlockLists:
        return await store.block_lists(self.db, sorted(actor_ids))

    def _refused(self, hosts: list[str], lists: store.BlockLists) -> bool:
        if any(_matches(host, domain) for host in hosts for domain in lists.blocked_domains):
            return True
        if not lists.limited:
            return False
        foreign = [host for host in hosts if host != self.own_host]
        return not all(
            any(_matches(host, domain) for domain in lists.allowed_domains) for host in foreign
        )


def _matches(host: str, domain: str) -> bool:
    try:
        return host_matches(host, domain)
    except HostError:
        return False
