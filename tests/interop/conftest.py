"""Fixtures for interop tests against a Fedify-based peer (tests/interop/peer.mjs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import BoardProcess, free_port
from tests.support.tls import CA, make_ca

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"

Event = dict[str, Any]


@pytest.fixture(autouse=True)
def _interop_prerequisites() -> None:
    if not (NODE_MODULES / "@fedify" / "fedify").is_dir():
        pytest.fail(
            f"{NODE_MODULES} is missing: run npm ci in tests/interop (or .ci/install-interop)",
            pytrace=False,
        )
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH; the interop peer needs Node.js >= 20", pytrace=False)


class PeerError(AssertionError):
    """The peer answered a command with an error event."""


class Peer:
    """The Fedify peer as a child process, driven by JSON lines."""

    def __init__(
        self, cert: Path, key: Path, ca_file: Path, log_path: Path, *, port: int = 0
    ) -> None:
        self.log_path = log_path
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=str(ca_file))
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            ["node", str(HERE / "peer.mjs"), "--port", str(port)]
            + ["--cert", str(cert), "--key", str(key)],
            cwd=HERE,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        self.history: list[Event] = []
        self._pending: list[Event] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="peer-stdout", daemon=True)
        self._reader.start()
        ready = self.wait_for(lambda e: e.get("event") == "ready", timeout=30)
        self.base: str = ready["base"]
        self.actor: str = ready["actor"]
        self.handle: str = ready["handle"]
        self.authority = self.base.split("://", 1)[1]  # "127.0.0.1:PORT"
        self.port = int(self.authority.rsplit(":", 1)[1])

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "stdout", "line": line}
            with self._cond:
                self.history.append(event)
                self._pending.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    # -- driving ----------------------------------------------------------------------

    def command(self, cmd: dict[str, Any]) -> None:
        """Write one command line to the peer's stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(cmd) + "\n")
        self.process.stdin.flush()

    def request(self, cmd: dict[str, Any], timeout: float = 30) -> Event:
        """Send a command and return its answer; raise PeerError on an error event."""
        ref = uuid.uuid4().hex
        self.command({**cmd, "ref": ref})
        event = self.wait_for(lambda e: e.get("ref") == ref, timeout=timeout)
        if event.get("event") == "error":
            raise PeerError(
                f"peer command {cmd.get('cmd')!r} failed: {event.get('message')}\n"
                f"detail: {event.get('detail')}\n{self.log_tail()}"
            )
        return event

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 30) -> Event:
        """Return (and consume) the first unconsumed event matching `predicate`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, event in enumerate(self._pending):
                    if predicate(event):
                        del self._pending[i]
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"peer exited with {self.process.returncode}\n{self.describe()}"
                    )
                self._cond.wait(min(remaining, 0.5))
        raise AssertionError(f"no matching peer event within {timeout}s\n{self.describe()}")

    def inbox_events(self, type_: str | None = None) -> list[Event]:
        with self._cond:
            return [
                e
                for e in self.history
                if e.get("event", "").startswith("inbox")
                and (type_ is None or e.get("type") == type_)
            ]

    # -- diagnostics --------------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )

    def describe(self) -> str:
        with self._cond:
            seen = [_summary(e) for e in self.history]
        return "peer events so far:\n  " + "\n  ".join(seen or ["(none)"]) + "\n" + self.log_tail()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.command({"cmd": "quit"})
                self.process.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
        # The reader sees EOF once the process is gone; close the pipes after it.
        self._reader.join(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._log.close()


def _summary(event: Event) -> str:
    keep = {k: v for k, v in event.items() if k not in ("json",)}
    text = json.dumps(keep)
    return text if len(text) < 600 else text[:600] + "..."


@pytest.fixture
def ca(tmp_path: Path) -> CA:
    return make_ca(tmp_path / "ca")


@pytest.fixture
def server_cert(ca: CA, tmp_path: Path) -> tuple[Path, Path]:
    """A leaf certificate for 127.0.0.1/localhost, shared by the peer and the board."""
    return ca.issue(tmp_path / "tls")


@pytest.fixture
def peer(ca: CA, server_cert: tuple[Path, Path], tmp_path: Path) -> Iterator[Peer]:
    cert, key = server_cert
    p = Peer(cert, key, ca.certfile, tmp_path / "peer.log")
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def tls_board(
    ca: CA, server_cert: tuple[Path, Path], peer: Peer, tmp_path: Path
) -> Iterator[BoardProcess]:
    port = free_port()
    board = BoardProcess(
        REPO / "instances" / "nordstadt.toml",
        tmp_path / "nordstadt",
        port,
        base_url=f"https://127.0.0.1:{port}",
        tls=server_cert,
        ca_bundle=ca.certfile,
        allow_private=[peer.authority],
    )
    with board:
        board.init()
        board.start()
        yield board
