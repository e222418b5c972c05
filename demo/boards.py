"""The demo's boards as real processes: `aushang serve` in the background, `aushang COMMAND` for
everything staff do, each with the board's environment."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from demo.tls import ServerFiles

AUSHANG = Path(sys.executable).parent / "aushang"
HOST = "127.0.0.1"
CLI_TIMEOUT = 60.0
# `aushang serve` stops within its 5 s graceful-shutdown limit; SIGINT after that is uvicorn's
# "force quit", for a server that still hangs.
TERM_GRACE = 8.0
STOP_TIMEOUT = 10.0
T = TypeVar("T")


class DemoError(Exception):
    """Something the demo cannot go on without; the message says what, for a human."""


@dataclass
class Board:
    """One example board: its TOML file, port, data folder and, once started, its process."""

    instance: Path
    port: int
    data_dir: Path
    password: str
    username: str
    name: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_instance(cls, instance: Path, port: int, data_dir: Path, password: str) -> Board:
        raw = tomllib.loads(instance.read_text(encoding="utf-8"))
        return cls(instance, port, data_dir, password, str(raw["username"]), str(raw["name"]))

    @property
    def authority(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.authority}"

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.authority}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def configure(self, partners: Iterable[Board], files: ServerFiles) -> None:
        """Set the environment every command of this board runs with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUSHANG_")}
        env.update(
            {
                "AUSHANG_BASE_URL": self.base_url,
                "AUSHANG_DATA_DIR": str(self.data_dir),
                "AUSHANG_FEDERATION_ALLOW_PRIVATE": ",".join(p.authority for p in partners),
                "AUSHANG_FEDERATION_CA_BUNDLE": str(files.ca_certfile),
                "AUSHANG_ADMIN_PASSWORD": self.password,
                "AUSHANG_STAFF_FIRST_OWNER": "admin",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env = env

    def command(self, *args: str) -> list[str]:
        return [str(AUSHANG), *args, "--instance", str(self.instance)]

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# -- commands ---------------------------------------------------------------------------------


def run_commands(calls: Sequence[tuple[Board, Sequence[str]]]) -> list[str]:
    """Run `aushang` commands side by side (one per board is safe for SQLite); return their
    standard output in order, or raise DemoError with the first failure's message."""
    started: list[subprocess.Popen[str]] = []
    try:
        for board, args in calls:
            with signals_deferred():  # a process started is a process known, to stop it
                started.append(
                    subprocess.Popen(
                        board.command(*args),
                        env=board.env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        process_group=0,  # Ctrl-C in the terminal is the demo's to handle
                        preexec_fn=_unblock_signals,
                    )
                )
        outputs = [process.communicate(timeout=CLI_TIMEOUT) for process in started]
    except subprocess.TimeoutExpired as exc:
        command = " ".join(map(str, exc.cmd))
        raise DemoError(f"{command} took more than {CLI_TIMEOUT:.0f} s") from exc
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    for (board, args), process, (stdout, stderr) in zip(calls, started, outputs, strict=True):
        if process.returncode != 0:
            message = (stderr.strip() or stdout.strip() or "no output").splitlines()[-1]
            raise DemoError(f"{board.username}: aushang {' '.join(args)} failed: {message}")
    return [stdout for stdout, _ in outputs]


def run_command(board: Board, *args: str) -> str:
    return run_commands([(board, args)])[0]


def run_json(boards: Sequence[Board], *args: str) -> list[Any]:
    """Run the same listing command with --json on each board; return the parsed results."""
    return [json.loads(out) for out in run_commands([(b, [*args, "--json"]) for b in boards])]


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.3) -> T:
    """Call `check()` until it returns something true; raise DemoError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# -- servers ----------------------------------------------------------------------------------


def check_ports_free(ports: Iterable[int]) -> None:
    """Fail early, in one line, if another program listens on one of the demo's ports."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                sock.bind((HOST, port))
            except OSError as exc:
                raise DemoError(
                    f"port {port} on {HOST} is not available ({exc.strerror}); "
                    "choose others with DEMO_PORTS=a,b,c or --ports a,b,c"
                ) from exc


def start_server(board: Board, files: ServerFiles) -> None:
    """Spawn `aushang serve` over TLS, its output going to the board's serve.log."""
    args = ["serve", "--host", HOST, "--port", str(board.port)]
    args += ["--ssl-certfile", str(files.certfile), "--ssl-keyfile", str(files.keyfile)]
    with board.log_path.open("ab") as log, signals_deferred():
        board.process = subprocess.Popen(
            board.command(*args),
            env=board.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=_prepare_server,
        )


def wait_healthy(boards: Sequence[Board], context: ssl.SSLContext, timeout: float = 30) -> None:
    """Wait until every board answers GET /healthz with 200, or say which one did not."""
    waiting = list(boards)

    def all_healthy() -> bool:
        for board in list(waiting):
            assert board.process is not None
            if board.process.poll() is not None:
                raise DemoError(_startup_failure(board))
            if _healthy(board, context):
                waiting.remove(board)
        return not waiting

    try:
        wait_for("the boards to answer /healthz", all_healthy, timeout, interval=0.2)
    except DemoError as exc:
        if waiting:
            raise DemoError(f"{exc} ({waiting[0].username}):\n{waiting[0].log_tail()}") from exc
        raise


def _healthy(board: Board, context: ssl.SSLContext) -> bool:
    try:
        url = f"{board.base_url}/healthz"
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _startup_failure(board: Board) -> str:
    log = board.log_tail()
    if "address already in use" in log.lower():
        return f"port {board.port} on {HOST} is taken; choose others with DEMO_PORTS=a,b,c"
    return f"{board.username}: aushang serve exited during startup:\n{log}"


def stop_servers(boards: Sequence[Board]) -> None:
    """Stop every server: SIGTERM, then SIGINT, uvicorn's "force quit", for those still waiting
    for connections to close, then SIGKILL for whatever is left."""
    running = [b.process for b in boards if b.process is not None and b.process.poll() is None]
    for signum, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGINT, STOP_TIMEOUT)):
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)
        deadline = time.monotonic() + grace
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
        running = [p for p in running if p.poll() is None]
    for process in running:
        process.kill()
        process.wait()


def kill_servers(boards: Sequence[Board]) -> None:
    for board in boards:
        if board.process is not None and board.process.poll() is None:
            board.process.kill()


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM until a started process is recorded."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _unblock_signals() -> None:
    """In the child: the signal mask survives exec, and `aushang` must hear SIGTERM."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _prepare_server() -> None:
    """In the child: on Linux the server gets SIGTERM if the demo itself is killed (kill -9)."""
    _unblock_signals()
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
