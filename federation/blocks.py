"""Domain blocks: one check for every id an activity involves (rule 5)."""

from __future__ import annotations

from collections.abc import Iterable

from federation import store
from federation.database import Database
from federation.hosts import HostError, canonical_host, host_matches


def normalise_domain(value: str) -> str:
    """Turn what staff type (a domain, a URL or @user@domain) into a canonical domain."""
    text = value.strip()
    if text.startswith("@") or ("@" in text and "://" not in text):
        text = text.rsplit("@", 1)[1]
    return canonical_host(text)


class DomainBlocks:
    """Answers 'is this host blocked?' from the database, so every process sees new blocks."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def is_blocked(self, host: str) -> bool:
        """Tell whether a canonical host is a blocked domain or one of its subdomains."""
        return await self.any_blocked([host])

    async def any_blocked(self, hosts: Iterable[str]) -> bool:
        """Tell whether any of the hosts is blocked, with one look at the block list."""
        domains = [row["domain"] for row in await store.list_blocked_domains(self.db)]
        return any(_matches(host, domain) for host in hosts for domain in domains)


def _matches(host: str, domain: str) -> bool:
    try:
        return host_matches(host, domain)
    except HostError:
        return False
