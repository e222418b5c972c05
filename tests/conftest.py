"""Shared fixtures and hooks for the whole suite.

Async tests run on asyncio through anyio's pytest plugin. Every test fails if the board logged an
error while it ran (an unhandled exception, a 500, a failed loop step), whatever caused it; a test
that provokes such a log line on purpose says so with `@pytest.mark.logs_errors("why")`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

BOARD_LOGGERS = ("noticeboard", "federation", "uvicorn", "starlette")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "logs_errors(reason): the test makes the board log an error on purpose"
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(BOARD_LOGGERS):
            self.records.append(record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test during which the board logged an error, unless the test expects it."""
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        result = yield
    finally:
        root.removeHandler(handler)
    if handler.records and item.get_closest_marker("logs_errors") is None:
        messages = "; ".join(f"{r.name}: {r.getMessage()[:200]}" for r in handler.records)
        raise AssertionError(f"the board logged errors: {messages}")
    return result
