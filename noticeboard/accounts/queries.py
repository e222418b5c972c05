"""What staff pages and the command line read about staff accounts and the audit log."""

from __future__ import annotations

from federation.database import Row
from noticeboard import store as board_store
from noticeboard.accounts import store
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
