"""Run the `aushang` command line: in this process (fast), or as the installed console script.

`run_in_process` calls `noticeboard.cli.main` as the console script does, with what a process
would have of its own: the environment's AUSHANG_* variables replaced by the given ones, its own
standard input, output and error, a fresh thread (so `asyncio.run` works and the acting person
of the audit log does not leak into the test), and Python's last-resort output of warnings
logged meanwhile. An exception escaping `main` becomes a traceback on stderr and status 1, as it
would in a process.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from noticeboard.cli import main

AUSHANG = Path(sys.executable).parent / "aushang"
Result = subprocess.CompletedProcess[str]
_ONE_AT_A_TIME = threading.Lock()  # the environment and standard streams are per process


def run_process(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    stdin: str | None = None,
    timeout: float = 60,
) -> Result:
    """Run the installed `aushang` script with the AUSHANG_* variables of `env` only."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUSHANG_")}
    return subprocess.run(
        [str(AUSHANG), *argv],
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_in_process(
    argv: Sequence[str], env: Mapping[str, str] | None = None, *, stdin: str | None = None
) -> Result:
    """Run `aushang argv` through `noticeboard.cli.main` as if it were its own process."""
    outcome: list[int] = []
    out, err = io.StringIO(), io.StringIO()

    def run() -> None:
        try:
            outcome.append(_exit_status(main(list(argv))))
        except SystemExit as exc:
            code = exc.code
            if isinstance(code, str):
                print(code, file=sys.stderr)
            outcome.append(_exit_status(code if not isinstance(code, str) else 1))
        except BaseException:  # as the interpreter reports what escapes a script
            traceback.print_exc(file=sys.stderr)
            outcome.append(1)

    with _ONE_AT_A_TIME, _environment(env or {}), _streams(stdin or "", out, err):
        thread = threading.Thread(target=run, name="aushang-cli")
        with _last_resort_warnings(err, thread):
            thread.start()
            thread.join()
    return subprocess.CompletedProcess(
        ["aushang", *argv], outcome[0], stdout=out.getvalue(), stderr=err.getvalue()
    )


def _exit_status(code: object) -> int:
    return 0 if code is None else int(code)  # type: ignore[call-overload]


@contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("AUSHANG_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("AUSHANG_")]:
            del os.environ[key]
        os.environ.update(saved)


@contextmanager
def _streams(stdin: str, out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


class _ThreadFilter(logging.Filter):
    def __init__(self, thread: threading.Thread) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.thread.ident


@contextmanager
def _last_resort_warnings(err: io.StringIO, thread: threading.Thread) -> Iterator[None]:
    """Print warnings the command logs to its stderr, as Python does in a process where no
    logging is configured (logging.lastResort); pytest's handlers would swallow them here."""
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.addFilter(_ThreadFilter(thread))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
