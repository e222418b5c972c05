"""The Dockerfile's build-install-start sequence, replayed outside the checkout (no Docker engine
here): the build stage's sources are copied and built into a wheel, the wheel is installed into a
fresh venv, and the board is initialised and served from the installed package alone."""

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


def stages() -> tuple[str, str]:
    """The build stage and the final stage of the Dockerfile."""
    build, final = re.split(r"^FROM .+$", DOCKERFILE, flags=re.M)[1:]
    return build, final


def copies(stage: str) -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context in a stage."""
    found = []
    for line in stage.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, dest = shlex.split(line)[1:]
            found += [(src, dest) for src in sources]
    return found


def copy_into(folder: Path, bin_dir: Path, source: str, dest: str) -> None:
    origin = ROOT / source
    if origin.is_dir():
        shutil.copytree(origin, folder / source, ignore=shutil.ignore_patterns("__pycache__"))
    elif dest.startswith("/usr/local/bin"):
        bin_dir.mkdir(exist_ok=True)
        shutil.copy2(origin, bin_dir / Path(dest).name)
    else:
        shutil.copy2(origin, folder / source)


def healthcheck_command() -> str:
    match = re.search(r'CMD python -c "(.+)"', DOCKERFILE)
    assert match, "the Dockerfile has a python healthcheck"
    return match.group(1)


def test_dockerfile__runs_as_non_root_with_a_data_volume_and_healthcheck() -> None:
    build, final = stages()
    assert re.search(r"^FROM python:3\.1\d-slim AS build", DOCKERFILE, re.M)
    assert "pip wheel" in build
    assert "--no-index /wheels/*.whl" in final and " -e " not in final
    assert not any(source in ("federation", "noticeboard") for source, _ in copies(final))
    assert "/healthz" in healthcheck_command()
    assert re.search(r"^USER aushang$", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE
    assert 'ENTRYPOINT ["docker-entrypoint.sh"]' in DOCKERFILE


def test_container_sequence__installs_initialises_and_serves(tmp_path: Path) -> None:
    src, app, bin_dir = tmp_path / "src", tmp_path / "app", tmp_path / "bin"
    build, final = stages()
    for folder, stage in ((src, build), (app, final)):
        folder.mkdir()
        for source, dest in copies(stage):
            copy_into(folder, bin_dir, source, dest)
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert wheel.returncode == 0, wheel.stderr[-2000:]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin/pip"), "install", "--quiet", *map(str, tmp_path.glob("aushang-*.whl"))],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    shutil.rmtree(src)  # nothing may be found in the sources any more

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
        assert '<html lang="de" dir="ltr">' in page
        assert "Zum Inhalt springen" in page  # "Skip to content", from the installed catalogue
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5) as css:
            assert css.status == 200 and css.headers["content-type"].startswith("text/css")
        log_text = (tmp_path / "serve.log").read_text(errors="replace")
        assert "Password (shown only now" in log_text
        assert (tmp_path / "data/aushang.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
