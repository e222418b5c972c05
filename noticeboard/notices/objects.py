"""Notices as ActivityPub objects: the converters notice_to_note and the activities around it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from markupsafe import Markup, escape

from federation.database import Row, from_db_time
from federation.vocab import PUBLIC, Json, ap_time, build_activity, context
from noticeboard.config import Config
from noticeboard.i18n import N_, get_translations
from noticeboard.languages import html_lang
from noticeboard.notices.kinds import get_kind
from noticeboard.notices.polls import PollState, question_fields
from noticeboard.notices.text import hashtag_name
from noticeboard.urls import BoardUrls

_ONE_SECOND = timedelta(seconds=1)
DONE_SYMBOL = "✅"
EXPIRED_SYMBOL = "⌛"


# Terms of Aushang's own, so that a partner board keeps a shared notice's kind and dates.
NOTICE_CONTEXT: Json = {
    "aushang": "https://aushang.org/ns#",
    "noticeKind": "aushang:noticeKind",
    "noticeTitle": "aushang:noticeTitle",
    "validUntil": {"@id": "aushang:validUntil", "@type": "xsd:dateTime"},
    "noticeDone": {"@id": "aushang:noticeDone", "@type": "xsd:dateTime"},
    "noticeExpired": {"@id": "aushang:noticeExpired", "@type": "xsd:boolean"},
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# GoToSocial's interaction policies, in the inline form Mastodon uses (no remote context to
# fetch). `always`/`approvalRequired` are the names GoToSocial read before v0.20.
INTERACTION_CONTEXT: Json = {
    "gts": "https://gotosocial.org/ns#",
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canLike": {"@id": "gts:canLike", "@type": "@id"},
    "canReply": {"@id": "gts:canReply", "@type": "@id"},
    "canAnnounce": {"@id": "gts:canAnnounce", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "always": {"@id": "gts:always", "@type": "@id"},
    "approvalRequired": {"@id": "gts:approvalRequired", "@type": "@id"},
    "ReplyRequest": "gts:ReplyRequest",
    "ReplyAuthorization": "gts:ReplyAuthorization",
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
}


def _approval(automatic: list[str], manual: list[str]) -> Json:
    sub: Json = {"automaticApproval": automatic, "always": automatic}
    if manual:
        sub.update(manualApproval=manual, approvalRequired=manual)
    return sub


def interaction_policy(reply_policy: str, urls: BoardUrls) -> Json:
    """What the board tells interaction-aware servers (GoToSocial) about replies to a notice:
    with the reply policy `open` anyone may reply; otherwise replies wait for the board's
    approval (`known` authors are approved at once, by the board, not by their server).
    Likes and boosts are open to everyone."""
    everyone = [PUBLIC]
    if reply_policy == "open":
        replies = _approval(everyone, [])
    else:
        replies = _approval([urls.actor], everyone)
    return {
        "canLike": _approval(everyone, []),
        "canReply": replies,
        "canAnnounce": _approval(everyone, []),
    }


def notice_hashtags(notice: Row, config: Config) -> list[str]:
    """The kind's hashtag (configurable per board) and the category's, without duplicates."""
    kind = get_kind(notice["kind"])
    tags = [config.notices.hashtags.get(kind.id, kind.hashtag)]
    if notice["category"]:
        tags.append(hashtag_name(notice["category"]))
    return list(dict.fromkeys(tags))


def summary_line(notice: Row, config: Config, *, expired: bool = False) -> str:
    """The one line a timeline shows under the title, e.g. '🙋 Suche Hilfe · bis 12.12.'."""
    gettext = get_translations(config.language).gettext
    kind = get_kind(notice["kind"])
    if expired:
        return f"{EXPIRED_SYMBOL} {gettext(N_('No longer current'))}"
    if notice["done"] and kind.done_label:
        return f"{DONE_SYMBOL} {gettext(kind.done_label)}"
    if notice["kind"] == "event" and notice["event_start"]:
        return f"{kind.symbol} {event_line(notice, config)}"
    line = f"{kind.symbol} {gettext(kind.label)}"
    if notice["valid_until"]:
        last_day = from_db_time(notice["valid_until"]) - _ONE_SECOND
        day = format_date(_local(last_day, config), "dd.MM.", locale=config.language)
        line += " · " + gettext(N_("until %(date)s")) % {"date": day}
    return line


def event_line(notice: Row, config: Config) -> str:
    """'Sa., 12.12., 15:00–17:00 · Hof der Nordstraße 12': what Mastodon shows of an Event."""
    start = _local(from_db_time(notice["event_start"]), config)
    end = _local(from_db_time(notice["event_end"]), config) if notice["event_end"] else None
    when = format_datetime(start, "EEE, dd.MM., HH:mm", locale=config.language)
    if end and end.date() == start.date():
        when += "–" + format_datetime(end, "HH:mm", locale=config.language)
    elif end:
        when += " – " + format_datetime(end, "EEE, dd.MM., HH:mm", locale=config.language)
    where = notice["place_name"] or notice["online_url"]
    return f"{when} · {where}" if where else when


def _event_fields(notice: Row, config: Config) -> Json:
    fields: Json = {
        "name": notice["title"],
        "summary": event_line(notice, config),
        "startTime": ap_time(from_db_time(notice["event_start"])),
    }
    if notice["event_end"]:
        fields["endTime"] = ap_time(from_db_time(notice["event_end"]))
    if notice["place_name"]:
        place: Json = {"type": "Place", "name": notice["place_name"]}
        if notice["place_address"]:
            place["address"] = notice["place_address"]
        if notice["latitude"] is not None and notice["longitude"] is not None:
            place["latitude"] = notice["latitude"]
            place["longitude"] = notice["longitude"]
        fields["location"] = place
    if notice["online_url"]:
        fields["attachment"] = [
            {"type": "Link", "href": notice["online_url"], "name": notice["online_url"]}
        ]
    return fields


def notice_to_note(
    notice: Row,
    urls: BoardUrls,
    config: Config,
    *,
    expired: bool = False,
    poll: PollState | None = None,
    images: Sequence[Row] = (),
    translations: Sequence[Row] = (),
    reply_policy: str | None = None,
) -> Json:
    """A notice as a Note (Event, Question): bold title, summary line, body, hashtags."""
    url = urls.notice(notice["id"])
    expired = expired or bool(notice["expired"])
    tags = notice_hashtags(notice, config)
    links = " ".join(
        f'<a href="{urls.tag(t.lower())}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
        for t in tags
    )
    summary = summary_line(notice, config, expired=expired)
    content = _content(notice["title"], notice["body_html"], summary, links)
    note: Json = {
        "@context": [*context(), NOTICE_CONTEXT | INTERACTION_CONTEXT],
        "id": url,
        "type": "Note",
        "attributedTo": urls.actor,
        "content": str(content),
        "url": url,
        "published": ap_time(from_db_time(notice["published"])),
        "to": [PUBLIC],
        "cc": [urls.followers],
        "tag": [{"type": "Hashtag", "name": f"#{t}", "href": urls.tag(t.lower())} for t in tags],
        "replies": f"{url}/replies",
        # For other Aushang boards that share the notice: its kind, title and Markdown text.
        "noticeKind": notice["kind"],
        "noticeTitle": notice["title"],
        "source": {"content": notice["body_md"], "mediaType": "text/markdown"},
    }
    if notice["valid_until"]:
        note["validUntil"] = ap_time(from_db_time(notice["valid_until"]))
    if notice["done"]:
        note["noticeDone"] = ap_time(from_db_time(notice["done"]))
    if expired:
        note["noticeExpired"] = True
    if notice["kind"] == "event" and notice["event_start"]:
        # Event-aware servers (Mobilizon, Gancio, Friendica) read the times and place;
        # Mastodon shows name, summary and the link.
        note["type"] = "Event"
        note.update(_event_fields(notice, config))
    if poll is not None:
        # Only Note and Question show in full in Mastodon; residents vote in their own app.
        note["type"] = "Question"
        note.update(question_fields(poll))
    if images:
        # Mastodon keeps up to 4 attachments; `name` becomes the picture's alt text.
        note["attachment"] = [_image(image, urls) for image in images] + note.get("attachment", [])
    lang = html_lang(notice["lang"] or config.language)
    # The main language stays in `content`; Mastodon reads the first key of contentMap.
    note["contentMap"] = {lang: note["content"]}
    for version in translations:  # keys are BCP 47 tags; "de-x-simple" is plain German
        note["contentMap"].setdefault(
            version["lang"], str(_content(version["title"], version["body_html"], summary, links))
        )
    if note["type"] == "Event":
        note["nameMap"] = {lang: notice["title"]}
        for version in translations:
            note["nameMap"].setdefault(version["lang"], version["title"])
    if notice["updated"]:
        note["updated"] = ap_time(from_db_time(notice["updated"]))
    if reply_policy is not None:
        note["interactionPolicy"] = interaction_policy(reply_policy, urls)
    return note


def tombstone(notice: Row, urls: BoardUrls) -> Json:
    """What a deleted notice's URL answers (with 410 Gone)."""
    return {
        "@context": context(),
        "id": urls.notice(notice["id"]),
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": ap_time(from_db_time(notice["deleted"] or notice["expired"])),
    }


def is_gone_for_federation(notice: Row, config: Config) -> bool:
    """Deleted, or expired on a board that federates expiry as a Delete."""
    return bool(notice["deleted"]) or (
        bool(notice["expired"]) and config.notices.on_expiry == "delete"
    )


def _image(image: Row, urls: BoardUrls) -> Json:
    attachment: Json = {
        "type": "Image",
        "mediaType": image["media_type"],
        "url": urls.media(image["file"]),
        "name": image["alt"],
        "width": image["width"],
        "height": image["height"],
    }
    if image["blurhash"]:
        attachment["blurhash"] = image["blurhash"]
    return attachment


def _content(title: str, body_html: str, summary: str, links: str) -> Markup:
    return Markup(
        f"<p><strong>{escape(title)}</strong></p><p>{escape(summary)}</p>{body_html}<p>{links}</p>"
    )


def create_activity(note: Json, urls: BoardUrls, activity_id: str) -> Json:
    """Wrap a Note in a Create addressed like the Note itself."""
    return build_activity("Create", activity_id, urls.actor, note, to=note["to"], cc=note.get("cc"))


def update_activity(note: Json, urls: BoardUrls) -> Json:
    """Wrap a changed Note in an Update (the Note carries `updated`)."""
    return build_activity(
        "Update", urls.new_activity(), urls.actor, note, to=note["to"], cc=note.get("cc")
    )


def _local(moment: datetime, config: Config) -> datetime:
    return moment.astimezone(ZoneInfo(config.timezone))
