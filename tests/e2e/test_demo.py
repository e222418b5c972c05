"""`python -m demo` (`make demo`): three boards on 127.0.0.1 over TLS follow each other and share
each other's notices; Ctrl-C or SIGTERM stops every `aushang serve` and the demo ends with 0.

One demo run serves the checks of the running boards and of Ctrl-C; the pages are read while it
runs, the /proc table after it ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from icalendar import Calendar

from tests.support.processes import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc (Linux)"),
]

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ("nordstadt", "suedstadt", "familienzentrum")
READY_TIMEOUT = 60.0  # about 15 s on an idle machine with two cores
STOP_TIMEOUT = 20.0
# Shared into calendars by demo/__main__.py: by hand (Südstadt) and by the rule (Nordstadt).
SHARED_EVENTS = {
    "suedstadt": "Stadtteilfest auf dem Nordplatz",
    "nordstadt": "Eltern-Kind-Flohmarkt im Familienzentrum",
}


class Output:
    """The demo's output, read by a thread so that waiting for a line can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._stream = stream
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(text in line for line in self.lines):
                if self._ended or time.monotonic() > deadline:
                    return False
                self._changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            return True

    def value(self, label: str) -> str:
        """The text after `label:` in the first line that has it."""
        for line in list(self.lines):
            if f"{label}:" in line:
                return line.split(f"{label}:", 1)[1].strip()
        raise AssertionError(f"the demo printed no '{label}:' line\n{self.text}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._stream.close()


@dataclass
class DemoRun:
    ports: dict[str, int]
    names: dict[str, str]
    data_dir: Path
    output: Output | None = None
    ready: bool = False
    ca_file_existed: bool = False
    pages: dict[tuple[str, str], str] = field(default_factory=dict)
    returncode: int | None = None
    stop_seconds: float | None = None
    leftovers: list[int] = field(default_factory=list)

    def page(self, board: str, path: str) -> str:
        return self.pages[(board, path)]

    def others(self, board: str) -> list[str]:
        return [name for name in INSTANCES if name != board]


def distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def board_names() -> dict[str, str]:
    return {
        name: tomllib.loads((ROOT / "instances" / f"{name}.toml").read_text())["name"]
        for name in INSTANCES
    }


def start_demo(ports: list[int], data_dir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUSHANG_", "DEMO_"))}
    env.update(DEMO_PORTS=",".join(map(str, ports)), DEMO_DIR=str(data_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "demo"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # signals reach the demo only from this test
    )


def serve_processes(ports: list[int], pids: list[int]) -> list[int]:
    """`aushang serve` processes still alive: the given PIDs, or any serving one of the ports."""
    wanted = {str(port).encode() for port in ports}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")  # empty for a zombie
        except OSError:
            continue
        if b"serve" not in args or not any(a.endswith(b"aushang") for a in args):
            continue
        port = args[args.index(b"--port") + 1] if b"--port" in args[:-1] else None
        if int(entry.name) in pids or port in wanted:
            found.append(int(entry.name))
    return found


def get(url: str, context: ssl.SSLContext, accept: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": accept, "Accept-Language": "de"})
    with urllib.request.urlopen(request, timeout=15, context=context) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8")


def stop(process: subprocess.Popen[str], signum: signal.Signals) -> tuple[int, float]:
    """Send `signum` and return the exit status and how long the demo took to end."""
    began = time.monotonic()
    process.send_signal(signum)
    returncode = process.wait(timeout=STOP_TIMEOUT)
    return returncode, time.monotonic() - began


def kill_leftovers(process: subprocess.Popen[str], ports: list[int], pids: list[int]) -> None:
    """After a failed test: end the demo and whatever it left running, by PID."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in serve_processes(ports, pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def printed_pids(output: Output) -> list[int]:
    with contextlib.suppress(AssertionError, ValueError):
        return [int(p) for p in output.value("Server PIDs").split()]
    return []


def read_pages(run: DemoRun) -> None:
    """Read each board's home, network and calendar over https, trusting the demo's CA."""
    assert run.output is not None
    ca_file = Path(run.output.value("CA certificate"))
    run.ca_file_existed = ca_file.is_file()
    context = ssl.create_default_context(cafile=str(ca_file))
    for board, port in run.ports.items():
        for path, accept in (
            ("/", "text/html"),
            ("/network", "text/html"),
            ("/calendar.ics", "text/calendar"),
        ):
            url = f"https://127.0.0.1:{port}{path}"
            try:
                run.pages[(board, path)] = get(url, context, accept)
            except OSError as exc:
                raise AssertionError(f"GET {url}: {exc}\n{run.output.text}") from exc


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    ports = distinct_free_ports(3)
    run = DemoRun(
        dict(zip(INSTANCES, ports, strict=True)),
        board_names(),
        tmp_path_factory.mktemp("demo") / "data",
    )
    process = start_demo(ports, run.data_dir)
    assert process.stdout is not None
    run.output = output = Output(process.stdout)
    try:
        run.ready = output.wait_for("Demo ready", READY_TIMEOUT)
        if run.ready:
            read_pages(run)
            run.returncode, run.stop_seconds = stop(process, signal.SIGINT)
            run.leftovers = serve_processes(ports, printed_pids(output))
        yield run
    finally:
        kill_leftovers(process, ports, printed_pids(output))
        output.close()


@pytest.fixture
def running(demo_run: DemoRun) -> DemoRun:
    assert demo_run.output is not None
    if not demo_run.ready:
        pytest.fail(f"the demo did not get ready in {READY_TIMEOUT:.0f} s:\n{demo_run.output.text}")
    return demo_run


def test_demo__prints_addresses_logins_and_the_ca(running: DemoRun) -> None:
    assert running.output is not None
    text = running.output.text
    for board, port in running.ports.items():
        assert f"https://127.0.0.1:{port}/login" in text
        assert f"@{board}@127.0.0.1:{port}" in text
    assert text.count("user admin") == 3
    assert text.count("password ") == 3
    assert running.ca_file_existed


def test_demo__home_pages_show_notices_shared_from_the_others(running: DemoRun) -> None:
    for board in INSTANCES:
        home = running.page(board, "/")
        shared_from = [
            o for o in running.others(board) if f"Geteilt von {running.names[o]}" in home
        ]
        assert shared_from, f"{board}'s home page shows nothing shared from the other boards"


def test_demo__network_pages_list_both_partners(running: DemoRun) -> None:
    for board in INSTANCES:
        network = running.page(board, "/network")
        for other in running.others(board):
            assert running.names[other] in network, f"{board}'s /network lacks {other}"
            assert f"@{other}@127.0.0.1:{running.ports[other]}" in network


def test_demo__calendars_include_events_shared_by_hand_and_by_rule(running: DemoRun) -> None:
    for board, title in SHARED_EVENTS.items():
        calendar = Calendar.from_ical(running.page(board, "/calendar.ics"))
        summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
        assert title in summaries, f"{board}'s calendar.ics: {summaries}"


def test_demo__ctrl_c_stops_every_server_and_exits_0(running: DemoRun) -> None:
    assert running.returncode == 0, running.output.text if running.output else ""
    assert running.stop_seconds is not None and running.stop_seconds < STOP_TIMEOUT
    assert running.leftovers == []
    assert not running.data_dir.exists()


def test_demo__sigterm_while_setting_up__stops_the_servers_and_exits_0(tmp_path: Path) -> None:
    ports = distinct_free_ports(3)
    process = start_demo(ports, tmp_path / "data")
    assert process.stdout is not None
    output = Output(process.stdout)
    try:
        assert output.wait_for("follow each other", READY_TIMEOUT), output.text
        assert len(serve_processes(ports, [])) == 3
        returncode, _ = stop(process, signal.SIGTERM)
        assert returncode == 0, output.text
        assert serve_processes(ports, []) == []
        assert not (tmp_path / "data").exists()
    finally:
        kill_leftovers(process, ports, [])
        output.close()


def test_demo__taken_port__fails_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        process = start_demo([free_port(), taken, free_port()], tmp_path / "data")
        stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout.strip().count("\n") == 0, stdout
    assert f"port {taken}" in stdout and "DEMO_PORTS" in stdout
    assert not (tmp_path / "data").exists()
