"""Blocks and limited federation: one check for every id an activity involves (rule 5)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from federation import store
from federation.database import Database
from federation.hosts import DomainSet, HostError, canonical_host


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
    The lists are kept in memory and read again when their generation moved (triggers move
    it with every change, in the changing transaction), so a check costs one read by key.
    """

    def __init__(self, db: Database, own_host: str | None = None) -> None:
        self.db = db
        self.own_host = own_host
        self._lists: _Lists | None = None
        self._reading = asyncio.Lock()

    async def is_blocked(self, host: str) -> bool:
        """Tell whether a canonical host is refused."""
        return await self.any_blocked([host])

    async def any_blocked(self, hosts: Iterable[str]) -> bool:
        """Tell whether any of the hosts is refused."""
        return (await self._current()).refuses_any(hosts, self.own_host)

    async def refuses(self, hosts: Iterable[str], actor_ids: Iterable[str]) -> bool:
        """Tell whether any host is refused or any of the ids is a blocked account."""
        lists = await self._current()
        blocked = lists.actors
        return any(a in blocked for a in actor_ids if a) or lists.refuses_any(hosts, self.own_host)

    async def _current(self) -> _Lists:
        generation = store.block_generation(self.db)
        if self._lists is not None and self._lists.generation == generation:
            return self._lists
        async with self._reading:  # concurrent callers wait for one read
            if self._lists is None or self._lists.generation != generation:
                # Read after the generation: the lists are at least as new as it says.
                self._lists = _Lists(generation, await store.block_lists(self.db))
            return self._lists


class _Lists:
    """The block lists of one generation, ready for matching."""

    def __init__(self, generation: int, lists: store.BlockLists) -> None:
        self.generation = generation
        self.blocked = DomainSet(lists.blocked_domains)
        self.limited = lists.limited
        self.allowed = DomainSet(lists.allowed_domains)
        self.actors = lists.blocked_actors

    def refuses_any(self, hosts: Iterable[str], own_host: str | None) -> bool:
        hosts = list(hosts)
        if self.blocked and any(self.blocked.matches(host) for host in hosts):
            return True
        if not self.limited:
            return False
        return not all(self.allowed.matches(host) for host in hosts if host != own_host)
