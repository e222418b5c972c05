"""Backups and `aushang doctor` with real processes: a `kill -9` in the middle of a backup, and
the doctor's look at a board served over https with a certificate that runs out soon."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.processes import AUSHANG, BoardProcess, free_port
from tests.support.tls import make_ca

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instances" / "nordstadt.toml"
PICTURES = 40
PICTURE_SIZE = 1 << 20  # random bytes do not compress: writing the archive takes a while


def test_backup__kill_9_midway_leaves_the_previous_backup_and_nothing_that_looks_good(
    tmp_path: Path,
) -> None:
    board = BoardProcess(INSTANCE, tmp_path / "data", free_port())
    board.init()
    board.post("Vor der Sicherung", "Text")
    archive = tmp_path / "nightly.tar.gz"
    first = board.cli("backup", "--out", str(archive))
    previous = archive.read_bytes()
    media = board.data_dir / "media"
    media.mkdir(exist_ok=True)
    for n in range(PICTURES):  # not referenced by a notice, but a backup takes every file
        (media / f"{n:04d}.jpg").write_bytes(os.urandom(PICTURE_SIZE))
    partial = archive.with_name(archive.name + ".partial")

    process = subprocess.Popen(
        [str(AUSHANG), "backup", "--out", str(archive), "--instance", str(INSTANCE)],
        env=board.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not partial.exists() and process.poll() is None:
        time.sleep(0.001)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    restored = board.cli("restore", str(partial))
    board.env["AUSHANG_DATA_DIR"] = str(tmp_path / "elsewhere")
    from_previous = board.cli("restore", str(archive))

    assert first.returncode == 0, first.stderr
    assert process.returncode == -signal.SIGKILL, "the backup ended before it could be killed"
    assert archive.read_bytes() == previous
    assert restored.returncode == 2
    assert "no manifest" in restored.stderr or "damaged" in restored.stderr
    assert from_previous.returncode == 0, from_previous.stderr


def test_doctor__checks_a_board_served_over_https(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca")
    port = free_port()
    board = BoardProcess(
        INSTANCE,
        tmp_path / "data",
        port,
        tls=ca.issue(tmp_path / "tls"),
        ca_bundle=ca.certfile,
        env_extra={"AUSHANG_DOCTOR_CLOCK_SERVER": f"https://127.0.0.1:{port}/"},
    )
    board.init()
    with board:
        board.start()
        result = board.cli("doctor")
    board.env["AUSHANG_DOCTOR_CLOCK_SERVER"] = f"http://127.0.0.1:{free_port()}/"
    stopped = board.cli("doctor")

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"[ok] webfinger: {board.handle} is found" in result.stdout
    assert any(line.startswith("[WARNING] certificate:") and "days left" in line for line in lines)
    assert any(line.startswith("[ok] clock:") for line in lines)
    assert "[WARNING] backup: no backup has been made yet." in result.stdout
    assert "What to do: Run aushang backup" in result.stdout
    assert stopped.returncode == 1
    assert "[PROBLEM] webfinger:" in stopped.stdout and "did not answer" in stopped.stdout
    assert "[WARNING] clock: the clock was not compared" in stopped.stdout
    assert "offline?" in stopped.stdout
