"""Processes under test: a real `aushang serve`, the bare baseline, the peers; their CPU time
and resident memory from /proc."""

from __future__ import annotations

import compileall
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


class Process:
    """A child process with its output in a log file (a full pipe would stall it)."""

    def __init__(
        self,
        name: str,
        command: list[str],
        log_dir: Path,
        cwd: Path | None = None,
        stdin: int | None = None,
    ) -> None:
        self.name = name
        self.log = (log_dir / f"{name}.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own commands
            command, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd, stdin=stdin
        )
        self.started = time.perf_counter()

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def memory(self, field: str = "VmRSS") -> float:
        """Resident memory in MB (VmRSS now, or VmHWM: the peak so far)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} for {self.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_for_page(
    port: int, path: str = "/", timeout: float = 60.0, proc: Process | None = None
) -> float:
    """Poll until GET path answers 200; return the seconds since the process started."""
    deadline = time.perf_counter() + timeout
    url = f"http://{HOST}:{port}{path}"
    while time.perf_counter() < deadline:
        if proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"{proc.name} exited; see {proc.log.name}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return time.perf_counter() - (proc.started if proc else 0.0)
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def compile_sources() -> None:
    """Compile the checkout's modules once, as installing the wheel does. A board installed
    with pip starts from compiled modules; an editable checkout run with
    PYTHONDONTWRITEBYTECODE compiles all of them again at every start, ~0.2 s of CPU that
    no installed board spends."""
    root = Path(__file__).resolve().parents[1]
    for package in ("noticeboard", "federation", "bench"):
        compileall.compile_dir(root / package, quiet=1)


def aushang_command() -> str:
    return str(Path(sys.executable).with_name("aushang"))


def start_board(config: Path, port: int, log_dir: Path) -> Process:
    return Process(
        "board",
        [aushang_command(), "serve", "--instance", str(config), "--port", str(port)],
        log_dir,
    )


def start_bare(db: Path, port: int, base_url: str, key_server: str, log_dir: Path) -> Process:
    return Process(
        "bare",
        [sys.executable, "-m", "bench.bare", "serve", str(db), str(port), base_url, key_server],
        log_dir,
        cwd=Path(__file__).resolve().parents[1],
    )
