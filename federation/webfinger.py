"""WebFinger (RFC 7033): answer for local actors, resolve remote handles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from federation.client import FederationClient
from federation.guard import FetchError
from federation.hosts import HostError, canonical_host

JRD_MEDIA_TYPE = "application/jrd+json"


class WebFingerError(Exception):
    """A handle or resource that cannot be resolved, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def split_acct(resource: str) -> tuple[str, str]:
    """Split 'acct:user@host[:port]' (or '@user@host') into a lowercased user and canonical host."""
    value = resource.strip()
    if value.startswith("acct:"):
        value = value[5:]
    value = value.lstrip("@")
    user, sep, host = value.rpartition("@")
    if not sep or not user or not host:
        raise WebFingerError("resource must look like acct:name@host")
    try:
        return user.lower(), canonical_host(host)
    except HostError as exc:
        raise WebFingerError(f"bad host in resource: {exc}") from exc


def jrd(subject: str, actor_id: str, profile_url: str | None) -> dict[str, Any]:
    """Build the JRD Mastodon expects: subject plus a rel=self activity+json link."""
    links: list[dict[str, str]] = [
        {"rel": "self", "type": "application/activity+json", "href": actor_id}
    ]
    if profile_url:
        links.append(
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_url,
            }
        )
    return {"subject": subject, "aliases": [actor_id], "links": links}


def self_link(document: Mapping[str, Any]) -> str | None:
    """Return the activity+json rel=self href of a JRD, if any."""
    links = document.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = str(link.get("type", "")).split(";")[0].strip()
        href = link.get("href")
        if media in ("application/activity+json", "application/ld+json") and isinstance(href, str):
            return href
    return None


async def resolve_handle(client: FederationClient, handle: str) -> str:
    """Find the actor id of @user@host by WebFinger over https, as Mastodon and Fedify do."""
    user, host = split_acct(handle)
    query = f"/.well-known/webfinger?resource={quote(f'acct:{user}@{host}')}"
    try:
        document = await client.get_plain_json(f"https://{host}{query}")
    except FetchError as exc:
        # Local demos and tests on allow-listed loopback ports may run without TLS.
        if host not in client.guard.allow_private:
            raise WebFingerError(f"WebFinger for {handle} failed: {exc.reason}") from exc
        try:
            document = await client.get_plain_json(f"http://{host}{query}")
        except FetchError as plain_exc:
            raise WebFingerError(f"WebFinger for {handle} failed: {plain_exc.reason}") from exc
    actor_id = self_link(document.data)
    if actor_id is None:
        raise WebFingerError(f"WebFinger for {handle} names no ActivityPub actor")
    return actor_id
