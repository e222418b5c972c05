"""News by e-mail: subscribing with double opt-in, changing the choice, unsubscribing, and the
mails with news (the weekly digest, or at most one a day on new notices).

Use cases take the board's state first and answer `Ok(...)` or `Refused(reason)`. Every mail
is queued as a row in the caller's transaction; the server's `MailSender` sends it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from federation.database import Row, from_db_time, to_db_time
from noticeboard import audit
from noticeboard import store as board_store
from noticeboard.groups import queries as groups
from noticeboard.i18n import LANGUAGES, N_
from noticeboard.mail import messages, store
from noticeboard.mail.forms import Choice, Subscription, choice_of, normalise_email
from noticeboard.mail.links import CONFIRM_VALID, read_confirmation, sign_confirmation
from noticeboard.mail.messages import Links
from noticeboard.mail.sender import Attempt, send_at_once
from noticeboard.notices import queries as notices
from noticeboard.results import Ok, Refused, Result
from noticeboard.sanitize import clean_text
from noticeboard.state import BoardState, session_secret

EVENT_DAYS = 14
DAILY_GAP = timedelta(hours=24)
RESEND_GAP = timedelta(minutes=15)  # the form sent twice in a row mails the address once
SLOT_SETTING = "mail_digest_slot"

NOT_CONFIGURED = N_("This board sends no e-mail.")
NO_SUCH_SUBSCRIBER = N_("This address does not receive our news (any more).")
LINK_INVALID = N_("This confirmation link is not valid. Please subscribe again.")
LINK_EXPIRED = N_("This confirmation link has expired. Please subscribe again.")


@dataclass(frozen=True)
class News:
    """What a mail with news holds for one subscriber."""

    notices: list[Row]
    events: list[Row]
    group_posts: list[GroupPost] = field(default_factory=list)


# --- residents ------------------------------------------------------------------------------


async def subscribe(state: BoardState, subscription: Subscription) -> Result[None]:
    """Take the form: a new or unconfirmed address gets the confirmation mail, a confirmed
    one a note with its links. The page says the same in every case (no address is revealed)."""
    if state.config.mail is None:
        return Refused(NOT_CONFIGURED)
    secret = await session_secret(state.db)
    now = state.clock()
    async with state.db.transaction() as conn:
        row = await store.get_subscriber_by_email(conn, subscription.email)
        if row is not None and row["confirmed"]:
            await _queue(state, conn, row, "subscribed", now)
            return Ok(None)
        choice = subscription.choice
        if row is None:
            token = secrets.token_urlsafe(24)
            await store.insert_subscriber(
                conn,
                subscription.email,
                choice.frequency,
                choice.kinds_text,
                choice.language,
                token,
                now,
                choice.groups_text,
            )
        else:
            await store.update_choice(
                conn,
                row["id"],
                choice.frequency,
                choice.kinds_text,
                choice.language,
                choice.groups_text,
            )
            if from_db_time(row["created"]) > now - RESEND_GAP:
                return Ok(None)
            await store.restart_confirmation(conn, row["id"], now)
        fresh = await store.get_subscriber_by_email(conn, subscription.email)
        assert fresh is not None
        link = sign_confirmation(secret, fresh["token"], now + CONFIRM_VALID)
        await _queue(state, conn, fresh, "confirm", now, confirm_url=_url(state, "confirm", link))
    return Ok(None)


async def confirm(state: BoardState, link: str) -> Result[Row]:
    """Follow the confirmation link; confirming again changes nothing and is no error."""
    found = read_confirmation(await session_secret(state.db), link)
    if found is None:
        return Refused(LINK_INVALID)
    now = state.clock()
    async with state.db.transaction() as conn:
        row = await store.get_subscriber_by_token_in(conn, found.token)
        if row is None:
            return Refused(LINK_EXPIRED if found.expires <= now else LINK_INVALID)
        if row["confirmed"]:
            return Ok(row)
        if found.expires <= now:
            return Refused(LINK_EXPIRED)
        await store.mark_confirmed(conn, row["id"], now)
    return Ok(row)


async def change_choice(state: BoardState, token: str, choice: Choice) -> Result[None]:
    async with state.db.transaction() as conn:
        row = await store.get_subscriber_by_token_in(conn, token)
        if row is None:
            return Refused(NO_SUCH_SUBSCRIBER)
        await store.update_choice(
            conn,
            row["id"],
            choice.frequency,
            choice.kinds_text,
            choice.language,
            choice.groups_text,
        )
    return Ok(None)


async def unsubscribe(state: BoardState, token: str) -> Result[str]:
    """Delete the address at once, with every mail still waiting for it."""
    async with state.db.transaction() as conn:
        row = await store.get_subscriber_by_token_in(conn, token)
        if row is None:
            return Refused(NO_SUCH_SUBSCRIBER)
        await store.delete_subscriber(conn, row["id"])
    return Ok(str(row["email"]))


# --- staff ----------------------------------------------------------------------------------


async def remove(state: BoardState, email: str) -> Result[str]:
    """Staff delete an address, e.g. for a resident who asks by phone."""
    address = normalise_email(email)
    async with state.db.transaction() as conn:
        row = await store.get_subscriber_by_email(conn, address)
        if row is None:
            return Refused(NO_SUCH_SUBSCRIBER)
        await store.delete_subscriber(conn, row["id"])
        await audit.record(conn, "mail.remove", str(row["email"]), state.clock())
    return Ok(str(row["email"]))


async def export_addresses(state: BoardState) -> list[Row]:
    """The confirmed addresses with their choices, for owners; the export is audit-logged."""
    rows = await store.list_confirmed(state.db)
    async with state.db.transaction() as conn:
        await audit.record(conn, "mail.export", f"{len(rows)} addresses", state.clock())
    return rows


async def send_digest_now(state: BoardState) -> Result[int]:
    """Queue the weekly digest for every weekly subscriber with news, now."""
    if state.config.mail is None:
        return Refused(NOT_CONFIGURED)
    now = state.clock()
    queued = await queue_news(state, "weekly", now)
    async with state.db.transaction() as conn:
        await audit.record(conn, "mail.digest", f"{queued} mails", now)
    return Ok(queued)


async def test_mail(state: BoardState, address: str) -> Result[Attempt]:
    """Send a test mail at once, to check the configuration; audit-logged."""
    if state.config.mail is None:
        return Refused(NOT_CONFIGURED)
    now = state.clock()
    lang = state.config.language if state.config.language in LANGUAGES else "de"
    message = messages.compose(
        state.config,
        to=address,
        subject=messages.gettext(lang, N_("Test mail from %(board)s"), board=state.config.name),
        template="test",
        lang=lang,
        links=None,
        now=now,
        msgid=messages.message_id(state.config),
        home=state.urls.home,
    )
    attempt = await send_at_once(state.config.mail, message)
    async with state.db.transaction() as conn:
        await audit.record(conn, "mail.test", address, now, attempt.reason)
    return Ok(attempt)


# --- the minute's chores --------------------------------------------------------------------


async def periodic(state: BoardState) -> int:
    """Delete expired unconfirmed addresses; queue the weekly digest when its hour has
    come and the daily mails that are due; return how many rows changed."""
    if state.config.mail is None:
        return 0
    now = state.clock()
    async with state.db.transaction() as conn:
        changed = await store.delete_unconfirmed_before(conn, now - CONFIRM_VALID)
    if await _digest_due(state, now):
        changed += await queue_news(state, "weekly", now)
    return changed + await queue_news(state, "daily", now)


def digest_slot(now: datetime, weekday: int, hour: int, timezone: str) -> datetime:
    """The latest moment at or before `now` that is the digest's weekday and hour, locally."""
    local = now.astimezone(ZoneInfo(timezone))
    days_back = (local.weekday() - weekday) % 7
    day = local.date() - timedelta(days=days_back)
    slot = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(timezone))
    if slot > local:
        slot -= timedelta(days=7)
    return slot


async def _digest_due(state: BoardState, now: datetime) -> bool:
    """Whether a weekly slot has begun that has not been handled; marks it handled."""
    mail = state.config.mail
    assert mail is not None
    slot = to_db_time(
        digest_slot(now, mail.digest_weekday, mail.digest_hour, state.config.timezone)
    )
    handled = await board_store.get_setting(state.db, SLOT_SETTING)
    if handled == slot:
        return False
    async with state.db.transaction() as conn:
        await board_store.set_setting(conn, SLOT_SETTING, slot)
    return handled is not None and handled < slot  # the first slot after set-up is only noted


async def queue_news(state: BoardState, frequency: str, now: datetime) -> int:
    """Queue one mail with news per subscriber of `frequency` who has any; return how many."""
    subscribers = [
        row
        for row in await store.list_confirmed(state.db, frequency)
        if frequency == "weekly"
        or not row["last_news"]
        or from_db_time(row["last_news"]) <= now - DAILY_GAP
    ]
    if not subscribers:
        return 0
    board = await _board_news(state, now, events=frequency == "weekly")
    board = replace(board, group_posts=await group_posts(state))
    queued = 0
    for row in subscribers:
        news = news_for(row, board)
        if not news.notices and not news.group_posts:
            continue  # nothing new, no mail
        async with state.db.transaction() as conn:
            await _queue(
                state,
                conn,
                row,
                "news",
                now,
                notices=messages.notice_lines(news.notices, state.urls),
                events=messages.notice_lines(news.events, state.urls),
                group_posts=news.group_posts,
                weekly=frequency == "weekly",
            )
            await store.mark_news_queued(conn, row["id"], now)
        queued += 1
    return queued


async def _board_news(state: BoardState, now: datetime, *, events: bool) -> News:
    """The board's current notices, oldest first, and with `events` the next 14 days' events."""
    current = await notices.list_current(state, before=None, limit=200)
    upcoming: list[Row] = []
    if events:
        horizon = to_db_time(now + timedelta(days=EVENT_DAYS))
        upcoming = [
            e
            for e in await notices.list_upcoming_events(state, now)
            if e["event_start"] and e["event_start"] < horizon
        ]
    return News(list(reversed(current)), upcoming)


def news_for(row: Row, board: News) -> News:
    """What is new to one subscriber: notices of the chosen kinds published since the last
    mail, and the coming events if events are among the kinds."""
    choice = choice_of(row["frequency"], row["kinds"], row["language"], row["groups"])
    since = row["news_since"] or row["confirmed"]
    new = [n for n in board.notices if n["published"] > since and choice.wants(n["kind"])]
    upcoming = board.events if choice.wants("event") else []
    posts = [p for p in board.group_posts if p.handle in choice.groups and p.received > since]
    return News(new, upcoming, posts)


@dataclass(frozen=True)
class GroupPost:
    """A post shared in a group, as a mail lists it."""

    handle: str
    group: str
    author: str
    text: str
    url: str
    received: str


async def group_posts(state: BoardState) -> list[GroupPost]:
    """The recent posts shared in each group, for subscribers who chose the group."""
    found = []
    for group in await groups.list_groups(state):
        for post in await groups.posts(state, group.id, ("shown",), limit=20):
            text = clean_text(str(post.content), limit=2000)
            if len(text) > messages.SUMMARY_MAX:
                text = text[: messages.SUMMARY_MAX - 1].rsplit(" ", 1)[0] + " …"
            found.append(
                GroupPost(group.handle, group.name, post.author_name, text, post.url, post.received)
            )
    return found


# --- queuing a mail -------------------------------------------------------------------------

SUBJECTS = {
    "confirm": N_("Please confirm: news from %(board)s by e-mail"),
    "subscribed": N_("You already receive news from %(board)s"),
    "weekly": N_("News of the week from %(board)s"),
    "daily": N_("New on the board of %(board)s"),
}


async def _queue(
    state: BoardState,
    conn: aiosqlite.Connection,
    row: Row,
    purpose: str,
    now: datetime,
    **context: object,
) -> None:
    lang = row["language"]
    key = purpose if purpose != "news" else ("weekly" if context.get("weekly") else "daily")
    subject = messages.gettext(lang, SUBJECTS[key], board=state.config.name)
    msgid = messages.message_id(state.config)
    mail = messages.compose(
        state.config,
        to=row["email"],
        subject=subject,
        template=purpose,
        lang=lang,
        links=links_of(state, row["token"]),
        now=now,
        msgid=msgid,
        home=state.urls.home,
        choice=choice_of(row["frequency"], row["kinds"], row["language"]),
        **context,
    )
    await store.insert_message(conn, row["id"], row["email"], purpose, msgid, mail.as_string(), now)


def links_of(state: BoardState, token: str) -> Links:
    return Links(manage=_url(state, "manage", token), unsubscribe=_url(state, "unsubscribe", token))


def _url(state: BoardState, action: str, value: str) -> str:
    return f"{state.config.base_url}/mail/{action}/{value}"
