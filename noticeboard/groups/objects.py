"""What the fediverse sees of a group: its Group actor, its Announces (FEP-1b12) and the Event
of its next meeting."""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import escape

from federation.database import Row, from_db_time
from federation.vocab import PUBLIC, Json, ap_time, context
from noticeboard.urls import BoardUrls

MEETING_LENGTH = timedelta(hours=2)


def group_actor_document(row: Row, urls: BoardUrls, public_pem: str) -> Json:
    """The group as its own Group actor (as Lemmy's communities and Friendica's forums are)."""
    actor = row["actor_id"]
    doc: Json = {
        "@context": context(security=True),
        "id": actor,
        "type": "Group",
        "preferredUsername": row["handle"],
        "name": row["name"],
        "summary": _summary(row),
        "url": urls.group_page(row["handle"]),
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": row["join_policy"] == "approve",
        "discoverable": True,
        "published": ap_time(from_db_time(row["created"])),
        "updated": ap_time(from_db_time(row["updated"])),
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem},
        "attachment": _fields(row),
        # Lemmy reads this: members may post, not only moderators
        "postingRestrictedToMods": False,
    }
    if row["picture"]:
        doc["icon"] = {"type": "Image", "url": urls.media(row["picture"])}
        doc["image"] = {
            "type": "Image",
            "url": urls.media(row["picture"]),
            "name": row["picture_alt"],
        }
    return doc


def closing_group_document(row: Row, public_pem: str) -> Json:
    """What is left of a closed board's group while the group's Delete is being delivered:
    enough to verify the Delete's signature, as for the board's own actor."""
    actor = row["actor_id"]
    return {
        "@context": context(security=True),
        "id": actor,
        "type": "Group",
        "preferredUsername": row["handle"],
        "inbox": f"{actor}/inbox",
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem},
    }


def _summary(row: Row) -> str:
    parts = [f"<p>{escape(p)}</p>" for p in row["summary"].split("\n\n") if p.strip()]
    return "".join(parts)


def _fields(row: Row) -> list[Json]:
    labels = (
        ("Treffen", row["meets"]),
        ("Ort", row["place"]),
        ("Kontakt", row["contact"]),
        ("Sprachen", row["languages"]),
        ("Neue willkommen", "Ja" if row["newcomers"] else ""),
    )
    return [
        {"type": "PropertyValue", "name": name, "value": str(escape(value))}
        for name, value in labels
        if value
    ]


def announce(urls: BoardUrls, row: Row, activity_id: str, object_id: str) -> Json:
    """Share a member's post with the members: `Announce{object: id}`, which Mastodon shows as
    a boost and whose original it fetches from its author's server (Lemmy sends this form)."""
    actor = row["actor_id"]
    return {
        "@context": context(),
        "id": activity_id,
        "type": "Announce",
        "actor": actor,
        "object": object_id,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "audience": actor,
    }


def announce_activity(row: Row, activity_id: str, inner: Json) -> Json:
    """Pass an author's Update on to the members, embedded as FEP-1b12 groups do."""
    actor = row["actor_id"]
    embedded = {k: v for k, v in inner.items() if k != "@context"}
    return {
        "@context": context(),
        "id": activity_id,
        "type": "Announce",
        "actor": actor,
        "object": embedded,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "audience": actor,
    }


def undo_announce(row: Row, activity_id: str, announce_id: str, object_id: str) -> Json:
    actor = row["actor_id"]
    return {
        "@context": context(),
        "id": activity_id,
        "type": "Undo",
        "actor": actor,
        "object": {"id": announce_id, "type": "Announce", "actor": actor, "object": object_id},
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
    }


def meeting_id(row: Row, day: str) -> str:
    return f"{row['actor_id']}/meetings/{day}"


def meeting_event(row: Row, urls: BoardUrls, start: datetime) -> Json:
    """The group's meeting on one day as an Event (Mobilizon, Gancio and boards read its time
    and place; Mastodon shows name, summary and link)."""
    actor = row["actor_id"]
    place = row["place"]
    when = start.strftime("%d.%m.%Y %H:%M")
    event: Json = {
        "@context": context(),
        "id": meeting_id(row, start.date().isoformat()),
        "type": "Event",
        "name": f"{row['name']}: Treffen",
        "summary": ", ".join(p for p in (place, when) if p),
        "content": _summary(row) or f"<p>{escape(row['name'])}</p>",
        "startTime": ap_time(start),
        "endTime": ap_time(start + MEETING_LENGTH),
        "attributedTo": actor,
        "audience": actor,
        "url": urls.group_page(row["handle"]),
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "published": ap_time(from_db_time(row["updated"])),
    }
    if place:
        event["location"] = {"type": "Place", "name": place}
    return event


def create_event(row: Row, activity_id: str, event: Json) -> Json:
    actor = row["actor_id"]
    return {
        "@context": context(),
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "object": {k: v for k, v in event.items() if k != "@context"},
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
    }


def update_actor(row: Row, activity_id: str, document: Json) -> Json:
    actor = row["actor_id"]
    return {
        "@context": context(security=True),
        "id": activity_id,
        "type": "Update",
        "actor": actor,
        "object": {k: v for k, v in document.items() if k != "@context"},
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
    }
