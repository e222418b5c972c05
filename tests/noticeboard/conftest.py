"""Board fixtures for the route tests (defined in tests/noticeboard/boards.py)."""

from __future__ import annotations

from tests.noticeboard.boards import board, clock, fediverse, make_board, served_board

__all__ = ["board", "clock", "fediverse", "make_board", "served_board"]
