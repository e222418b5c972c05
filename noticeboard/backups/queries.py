"""What the health pages read: the database answers, the delivery backlog, the last backup."""

from __future__ import annotations

from dataclasses import dataclass

from federation import queue_store
from noticeboard.backups import service
from noticeboard.backups.service import BackupStatus
from noticeboard.state import BoardState


@dataclass(frozen=True)
class Health:
    pending_deliveries: int
    due_deliveries: int
    backup: BackupStatus


async def health(state: BoardState) -> Health:
    """Three cheap reads (indexed counts and two settings), nothing personal."""
    pending, due = await queue_store.count_backlog(state.db, state.clock())
    return Health(pending, due, await service.status(state.db))


async def backup_status(state: BoardState) -> BackupStatus:
    return await service.status(state.db)
