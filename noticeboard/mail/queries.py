"""What staff pages and the command line read about the e-mail subscription."""

from __future__ import annotations

from dataclasses import dataclass

from federation.database import Row
from noticeboard.mail import store
from noticeboard.state import BoardState


@dataclass(frozen=True)
class ChoiceCount:
    """How many confirmed subscribers made one choice."""

    frequency: str
    kinds: tuple[str, ...]  # empty: all kinds
    language: str
    count: int

    def as_json(self) -> dict[str, object]:
        return {
            "frequency": self.frequency,
            "kinds": list(self.kinds) or "all",
            "language": self.language,
            "subscribers": self.count,
        }


async def counts_by_choice(state: BoardState) -> list[ChoiceCount]:
    return [
        ChoiceCount(r["frequency"], tuple(r["kinds"].split()), r["language"], int(r["n"]))
        for r in await store.count_by_choice(state.db)
    ]


async def count_unconfirmed(state: BoardState) -> int:
    return await store.count_unconfirmed(state.db)


async def subscriber_by_token(state: BoardState, token: str) -> Row | None:
    if not token or len(token) > 100:
        return None
    return await store.get_subscriber_by_token(state.db, token)


async def queue_states(state: BoardState) -> dict[str, int]:
    return await store.count_messages_by_state(state.db)


async def problems(state: BoardState) -> list[Row]:
    """Mails that failed, were given up or wait for another attempt."""
    return await store.list_problem_messages(state.db)
