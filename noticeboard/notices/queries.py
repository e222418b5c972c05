"""What pages, staff pages and the command line read about notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation.database import Row
from federation.vocab import Json
from noticeboard.notices import poll_store, store
from noticeboard.notices.forms import NoticeForm
from noticeboard.notices.objects import notice_to_note
from noticeboard.notices.polls import PollState, poll_state
from noticeboard.participation.settings import current_reply_policy
from noticeboard.state import BoardState


async def get_notice(state: BoardState, notice_id: int) -> Row | None:
    """A notice that is not deleted."""
    return await store.get_notice_by_id(state.db, notice_id)


async def get_notice_including_deleted(state: BoardState, notice_id: int) -> Row | None:
    return await store.get_notice_including_deleted(state.db, notice_id)


async def list_current(
    state: BoardState, *, before: str | None, limit: int, kind: str | None = None
) -> list[Row]:
    """Notices on the board now (not expired, not done long ago), newest first."""
    return await store.list_notices(
        state.db, before=before, limit=limit, now=state.clock(), kind=kind
    )


async def list_current_at(state: BoardState, moment: datetime, *, limit: int) -> list[Row]:
    """Notices on the board at a given time, newest first (for the weekly sheet)."""
    return await store.list_notices(state.db, before=None, limit=limit, now=moment)


async def list_recent(state: BoardState, limit: int = 50) -> list[Row]:
    """The newest notices, expired ones included (the staff's overview)."""
    return await store.list_notices(state.db, before=None, limit=limit)


async def list_pinned(state: BoardState) -> list[Row]:
    return await store.list_pinned_notices(state.db, state.clock())


async def list_archived(state: BoardState, *, before: str | None, limit: int) -> list[Row]:
    return await store.list_archived_notices(
        state.db, before=before, limit=limit, now=state.clock()
    )


async def list_upcoming_events(
    state: BoardState, since: datetime | None = None, limit: int = 100
) -> list[Row]:
    return await store.list_upcoming_events(state.db, since or state.clock(), limit=limit)


SEARCH_PAGE = 20  # results on one page of the search
SEARCH_PAGES = store.SEARCH_CANDIDATES // SEARCH_PAGE  # the pages the ranked notices fill


@dataclass(frozen=True)
class SearchResults:
    """One page of a search: its notices, best first; how many notices were ranked (at most
    `store.SEARCH_CANDIDATES`, the newest matches); whether another page follows."""

    rows: list[Row]
    found: int
    more: bool

    @property
    def capped(self) -> bool:
        """More notices match than were ranked: only the newest of them are shown."""
        return self.found >= store.SEARCH_CANDIDATES


async def search(
    state: BoardState,
    query: str,
    *,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    page: int = 1,
) -> SearchResults:
    """Page `page` (from 1) of the notices that match, SEARCH_PAGE to a page."""
    rows = await store.search_notices(
        state.db,
        query,
        kind=kind,
        since=since,
        until=until,
        limit=SEARCH_PAGE + 1,
        offset=(page - 1) * SEARCH_PAGE,
    )
    found = rows[0]["found"] if rows else 0
    return SearchResults(rows[:SEARCH_PAGE], found, len(rows) > SEARCH_PAGE)


async def images_of(state: BoardState, notice_ids: Sequence[int]) -> dict[int, list[Row]]:
    return await store.list_images(state.db, notice_ids)


async def media_type_of(state: BoardState, name: str) -> str | None:
    """The type of a stored picture or of one of its smaller copies."""
    return await store.get_media_type_by_name(state.db, name)


async def translation_languages(state: BoardState, notice_ids: list[int]) -> dict[int, list[str]]:
    return await store.translation_languages(state.db, notice_ids)


async def translations(state: BoardState, notice_id: int) -> list[Row]:
    return await store.list_translations(state.db, notice_id)


async def poll_of(state: BoardState, row: Row) -> PollState:
    return await poll_state(state.db, row, state.clock())


async def poll_options(state: BoardState, notice_id: int) -> list[str]:
    return [o["name"] for o in await poll_store.list_options(state.db, notice_id)]


async def poll_codes(state: BoardState, notice_id: int) -> list[Row]:
    return await poll_store.list_codes(state.db, notice_id)


async def edit_form(state: BoardState, row: Row) -> NoticeForm:
    """A notice's current values, as the edit form (web or command line) starts from them."""
    options = await poll_options(state, row["id"])
    return NoticeForm.of_notice(row, options, state.config.timezone)


async def federated_object(
    state: BoardState, conn: aiosqlite.Connection, notice_id: int, *, expired: bool = False
) -> Json:
    """The notice as the fediverse sees it, inside a transaction (a Question with totals)."""
    row = await store.get_notice_in(conn, notice_id)
    poll = await poll_state(conn, row, state.clock()) if row["kind"] == "poll" else None
    images = await store.images_in(conn, notice_id)
    versions = await store.translations_in(conn, notice_id)
    return notice_to_note(
        row,
        state.urls,
        state.config,
        expired=expired,
        poll=poll,
        images=images,
        translations=versions,
        reply_policy=await current_reply_policy(state),
    )


async def served_object(state: BoardState, row: Row) -> Json:
    """The notice as served at its id, with a poll's current totals."""
    poll = await poll_of(state, row) if row["kind"] == "poll" else None
    images = (await store.list_images(state.db, [row["id"]])).get(row["id"], [])
    versions = await store.list_translations(state.db, row["id"])
    return notice_to_note(
        row,
        state.urls,
        state.config,
        poll=poll,
        images=images,
        translations=versions,
        reply_policy=await current_reply_policy(state),
    )


async def count_notices(state: BoardState) -> int:
    return await store.count_notices(state.db)
