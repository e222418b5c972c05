"""ActivityStreams 2.0 constants and pure builders/readers of compacted JSON-LD."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})
AP_MEDIA_TYPE = "application/activity+json"
LD_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Extra terms Mastodon-compatible servers understand, defined inline: no remote contexts.
EXTENSION_CONTEXT: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "votersCount": "toot:votersCount",
    "blurhash": "toot:blurhash",
    "address": "schema:address",
    "indexable": "toot:indexable",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
}

ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})

Json = dict[str, Any]


def context(*, security: bool = False) -> list[Any]:
    """Build an @context with ActivityStreams first, as Mastodon and Fedify require."""
    ctx: list[Any] = [AS_CONTEXT]
    if security:
        ctx.append(SECURITY_CONTEXT)
    ctx.append(EXTENSION_CONTEXT)
    return ctx


def as_list(value: Any) -> list[Any]:
    """Return a property value as a list (AS2 allows one value or an array)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def get_id(value: Any) -> str | None:
    """Return the id of a link or embedded object, or None when there is none."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        if isinstance(ident, str):
            return ident
        href = value.get("href")
        if isinstance(href, str):
            return href
    return None


def get_type(value: Any) -> str | None:
    """Return the first type of an object (AS2 allows an array of types)."""
    if not isinstance(value, dict):
        return None
    for item in as_list(value.get("type")):
        if isinstance(item, str):
            return item
    return None


def ap_time(moment: datetime) -> str:
    """Format a time as xsd:dateTime in UTC with seconds precision, as Mastodon emits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_public(activity_or_object: Json) -> bool:
    """Tell whether to or cc addresses the public collection (any of its spellings)."""
    targets = as_list(activity_or_object.get("to")) + as_list(activity_or_object.get("cc"))
    return any(get_id(t) in PUBLIC_ALIASES for t in targets)


def build_activity(
    type_: str,
    activity_id: str,
    actor: str,
    obj: Any,
    *,
    to: list[str],
    cc: list[str] | None = None,
) -> Json:
    """Build an activity with its own @context."""
    activity: Json = {"@context": context(), "id": activity_id, "type": type_, "actor": actor}
    activity["object"] = _strip_context(obj)
    activity["to"] = to
    if cc:
        activity["cc"] = cc
    return activity


def build_accept(accept_id: str, actor: str, follow: Json) -> Json:
    """Answer a Follow with an Accept that embeds it, which Mastodon and Fedify both read."""
    follower = get_id(follow.get("actor"))
    embedded = {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow}
    return build_activity("Accept", accept_id, actor, embedded, to=[follower] if follower else [])


def build_undo(undo_id: str, actor: str, inner: Json, *, to: list[str]) -> Json:
    """Undo an earlier activity (Follow, Announce, Like), embedding it."""
    return build_activity("Undo", undo_id, actor, inner, to=to)


def ordered_collection(
    collection_id: str, total: int, *, first: str | None = None, items: list[Any] | None = None
) -> Json:
    """Build an OrderedCollection: inline items for small ones, a first page otherwise."""
    doc: Json = {
        "@context": context(),
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


def ordered_collection_page(
    page_id: str, part_of: str, items: list[Any], *, next_page: str | None = None
) -> Json:
    """Build one page of an OrderedCollection with a link to the next page."""
    doc: Json = {
        "@context": context(),
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    return doc


def _strip_context(obj: Any) -> Any:
    if isinstance(obj, dict) and "@context" in obj:
        return {k: v for k, v in obj.items() if k != "@context"}
    return obj
