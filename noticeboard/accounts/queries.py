"""What staff pages and the command line read about staff accounts and the audit log."""

from __future__ import annotations

from typing import Any

from federation.database import Row
from noticeboard import store as board_store
from noticeboard.accounts import store
from noticeboard.audit_words import describe
from noticeboard.notices import queries as notices
from noticeboard.state import BoardState


async def get_staff(state: BoardState, staff_id: int) -> Row | None:
    return await store.get_staff_by_id(state.db, staff_id)


async def staff_by_username(state: BoardState, username: str) -> Row | None:
    return await store.get_staff_by_username(state.db, username.strip().lower())


async def list_staff(state: BoardState) -> list[Row]:
    return await store.list_staff(state.db)


async def list_open_invitations(state: BoardState) -> list[Row]:
    return await store.list_open_invitations(state.db, state.clock())


async def audit_log(state: BoardState, *, before: int | None = None, limit: int = 100) -> list[Row]:
    return await board_store.list_audit(state.db, before=before, limit=limit)


async def audit_entries(
    state: BoardState, lang: str, *, before: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Audit entries with a sentence in `lang` (a notice named by its title) beside the code."""
    entries = []
    titles: dict[int, str | None] = {}
    for row in await audit_log(state, before=before, limit=limit):
        number = state.urls.notice_number(row["target"])
        if number is not None and number not in titles:
            notice = await notices.get_notice_including_deleted(state, number)
            titles[number] = (notice["title"] or None) if notice is not None else None
        title = titles.get(number) if number is not None else None
        line = describe(row["action"], row["target"], lang, title)
        entries.append({**dict(row), "sentence": line.sentence, "known": line.known})
    return entries
