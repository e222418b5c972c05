"""Finding a fediverse account from what staff type: @name@host or the account's address."""

from __future__ import annotations

from federation import store as fedstore
from federation.actors import ActorError, ActorResolver
from federation.client import FederationClient
from federation.vocab import get_id
from federation.webfinger import WebFingerError, resolve_handle


class LookupFailed(ValueError):
    """The account could not be found; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_account(target: str) -> bool:
    """Whether the text names an account (handle or URL) rather than a whole domain."""
    text = target.strip()
    return text.startswith(("https://", "http://")) or text.lstrip("@").count("@") == 1


async def find_account(
    resolver: ActorResolver, client: FederationClient, target: str
) -> fedstore.RemoteActorRow:
    """Resolve a handle by WebFinger (or take the URL) and fetch the actor from its origin."""
    text = target.strip()
    try:
        actor_id = (
            text if text.startswith(("https://", "http://")) else await resolve_handle(client, text)
        )
        return await resolver.get(actor_id, refresh=True)
    except WebFingerError as exc:
        raise LookupFailed(exc.reason) from exc
    except ActorError as exc:
        raise LookupFailed(exc.reason) from exc


async def fetch_post(
    resolver: ActorResolver, url: str
) -> tuple[dict[str, object], fedstore.RemoteActorRow]:
    """Fetch a post by its web address or id from its origin, and its author."""
    if not url.strip().startswith(("https://", "http://")):
        raise LookupFailed("give the post's address, starting with https://")
    try:
        obj = await resolver.fetch_object(url.strip())
        author_id = get_id(obj.get("attributedTo"))
        if not author_id:
            raise LookupFailed("the post names no author")
        return obj, await resolver.get(author_id)
    except ActorError as exc:
        raise LookupFailed(exc.reason) from exc
