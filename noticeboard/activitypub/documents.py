"""The board's own ActivityPub documents: its Group actor and the server's Application actor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import escape

from federation.vocab import Json, ap_time, context
from noticeboard.config import Config
from noticeboard.urls import BoardUrls


def actor_document(
    config: Config,
    urls: BoardUrls,
    public_pem: str,
    published: datetime,
    *,
    also_known_as: Sequence[str] = (),
    moved_to: str | None = None,
) -> Json:
    """The board as a Group actor with everything Mastodon reads (interop notes, 'The actor');
    `alsoKnownAs` names its earlier addresses, `movedTo` its new one after a move."""
    doc: Json = {
        "@context": context(security=True),
        "id": urls.actor,
        "type": "Group",
        "preferredUsername": config.username,
        "name": config.name,
        "summary": str(escape(config.summary)),
        "url": urls.home,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "followers": urls.followers,
        "following": urls.following,
        "featured": urls.featured,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": config.federation.approve_followers,
        "discoverable": True,
        "indexable": True,
        "published": ap_time(published),
        "publicKey": {"id": urls.key_id, "owner": urls.actor, "publicKeyPem": public_pem},
        "attachment": _profile_fields(config),
    }
    if config.icon:
        doc["icon"] = {"type": "Image", "url": config.icon_url}
    if also_known_as:
        doc["alsoKnownAs"] = list(also_known_as)
    if moved_to:
        doc["movedTo"] = moved_to
    return doc


def closing_actor_document(config: Config, urls: BoardUrls, public_pem: str) -> Json:
    """What is left of a closed board's actor while its Delete is still being delivered:
    enough for the receivers to verify the Delete's signature (Mastodon serves suspended
    accounts the same way)."""
    return {
        "@context": context(security=True),
        "id": urls.actor,
        "type": "Group",
        "preferredUsername": config.username,
        "inbox": urls.inbox,
        "publicKey": {"id": urls.key_id, "owner": urls.actor, "publicKeyPem": public_pem},
    }


PROFILE_FIELD_LABELS = {
    "address": "Adresse",
    "opening_hours": "Öffnungszeiten",
    "phone": "Telefon",
    "email": "E-Mail",
    "website": "Website",
}


def _profile_fields(config: Config) -> list[Json]:
    fields = []
    for key, value in config.contact.as_dict().items():
        fields.append(
            {
                "type": "PropertyValue",
                "name": PROFILE_FIELD_LABELS[key],
                "value": _field(key, value),
            }
        )
    return fields


def _field(key: str, value: str) -> str:
    if key == "website" and value.startswith(("https://", "http://")):
        safe = escape(value)
        return f'<a href="{safe}" rel="me nofollow noopener noreferrer">{safe}</a>'
    if key == "email":
        safe = escape(value)
        return f'<a href="mailto:{safe}">{safe}</a>'
    return str(escape(value))


def instance_actor_document(config: Config, urls: BoardUrls, public_pem: str) -> Json:
    """The server-wide Application actor that signs outgoing GETs (authorized fetch)."""
    return {
        "@context": context(security=True),
        "id": urls.instance_actor,
        "type": "Application",
        "preferredUsername": config.host.split(":")[0],
        "name": f"{config.name} (server)",
        "inbox": f"{urls.instance_actor}/inbox",
        "outbox": f"{urls.instance_actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "url": f"{urls.base}/about",
        "publicKey": {
            "id": urls.instance_key_id,
            "owner": urls.instance_actor,
            "publicKeyPem": public_pem,
        },
    }
