"""The Dockerfile's install-and-start sequence, replayed in a fresh venv (no Docker engine here)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def dockerfile_copies() -> list[tuple[str, str]]:
    """(source, destination) of every COPY, with destinations relative to WORKDIR /app."""
    copies = []
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY "):
            *sources, dest = shlex.split(line)[1:]
            copies += [(src, dest) for src in sources]
    return copies


def healthcheck_command() -> str:
    match = re.search(r'CMD python -c "(.+)"', DOCKERFILE)
    assert match, "the Dockerfile has a python healthcheck"
    return match.group(1)


def test_dockerfile__runs_as_non_root_with_a_data_volume_and_healthcheck() -> None:
    assert re.search(r"^FROM python:3\.1\d-slim", DOCKERFILE, re.M)
    assert re.search(r"^USER aushang$", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE
    assert 'ENTRYPOINT ["docker-entrypoint.sh"]' in DOCKERFILE


def test_container_sequence__installs_initialises_and_serves(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    for source, dest in dockerfile_copies():
        target = app / source if dest in ("./", ".") or dest.startswith("./") else tmp_path / "bin"
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, app / source, ignore=shutil.ignore_patterns("__pycache__"))
        elif dest.startswith("/usr/local/bin"):
            (tmp_path / "bin").mkdir(exist_ok=True)
            shutil.copy2(origin, tmp_path / "bin" / Path(dest).name)
        else:
            shutil.copy2(origin, target)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin/pip"), "install", "--quiet", "-e", str(app)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    port = free_port()
    env = {
        "PATH": f"{tmp_path / 'bin'}:{venv / 'bin'}:{os.environ['PATH']}",
        "AUSHANG_INSTANCE": str(app / "instances/nordstadt.toml"),
        "AUSHANG_DATA_DIR": str(tmp_path / "data"),
        "AUSHANG_BASE_URL": f"http://127.0.0.1:{port}",
        "AUSHANG_LISTEN": "127.0.0.1",
        "AUSHANG_PORT": str(port),
        "HOME": str(tmp_path),
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(tmp_path / "bin/docker-entrypoint.sh"), "serve"],
        cwd=app,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        probe = healthcheck_command().replace("8000", str(port))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            check = subprocess.run(
                [str(venv / "bin/python"), "-c", probe], env=env, check=False, capture_output=True
            )
            if check.returncode == 0:
                break
            time.sleep(0.3)
        else:
            pytest.fail((tmp_path / "serve.log").read_text(errors="replace")[-3000:])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            page = response.read().decode()
        assert '<html lang="de">' in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5) as css:
            assert css.status == 200
        log_text = (tmp_path / "serve.log").read_text(errors="replace")
        assert "Password (shown only now" in log_text
        assert (tmp_path / "data/aushang.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
