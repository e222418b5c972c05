"""Fixtures for the security rule tests: the running board, the fake fediverse and the clock.

They are defined in tests/noticeboard/boards.py and re-exported here (as tests/noticeboard does).
Like every test of the suite, each fails if the board logged an unhandled error meanwhile
(tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.noticeboard.boards import (
    START,
    MutableClock,
    RunningBoard,
    board,
    clock,
    fediverse,
    make_board,
    served_board,
)
from tests.security.helpers import assert_nothing_stored
from tests.support.fediverse import shared_fediverse

__all__ = ["board", "clock", "fediverse", "make_board", "served_board", "shared_board"]


@pytest.fixture(scope="module")
def _module_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBoard]:
    world = shared_fediverse()
    clock = MutableClock(START, tick=timedelta(milliseconds=1))
    env = {"AUSHANG_FEDERATION_ALLOW_PRIVATE": ",".join(world.allow_private)}
    # served: some of its refusals are of raw bytes sent over TCP
    running = RunningBoard(tmp_path_factory.mktemp("shared-board"), clock, env, serve=True)
    running.initialise_from_template()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def shared_board(_module_board: RunningBoard, fediverse) -> RunningBoard:
    """One board per module for refusals that must store nothing (starting boards is slow).

    Only for tests whose every request is refused: the board is checked empty before each
    test, so a request that wrongly stored something is blamed on the test that sent it.
    """
    assert_nothing_stored(_module_board)
    return _module_board
