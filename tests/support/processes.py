"""Run real `aushang` processes for end-to-end and interop tests."""

from __future__ import annotations

import contextlib
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
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

ADMIN_PASSWORD = "interop-admin-Passw0rd!"
AUSHANG = Path(sys.executable).parent / "aushang"


class BoardStartupError(RuntimeError):
    """The board process died or never answered /healthz before the deadline."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago (the OS may hand it out again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _username_from_instance(instance_file: Path) -> str:
    """Find the board's username in its TOML, falling back to the file's stem."""
    try:
        config = tomllib.loads(instance_file.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return instance_file.stem
    found = _find_key(config, ("username", "handle", "preferred_username"))
    return found if isinstance(found, str) and found else instance_file.stem


def _find_key(table: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in table and isinstance(table[name], str):
            return table[name]
    for value in table.values():
        if isinstance(value, Mapping):
            found = _find_key(value, names)
            if found is not None:
                return found
    return None


class BoardProcess:
    """One `aushang serve` process with its own data dir, port and log file."""

    def __init__(
        self,
        instance_file: str | Path,
        data_dir: str | Path,
        port: int,
        *,
        base_url: str | None = None,
        tls: tuple[str | Path, str | Path] | None = None,
        ca_bundle: str | Path | None = None,
        allow_private: Iterable[str] = (),
        env_extra: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        username: str | None = None,
        startup_timeout: float = 30.0,
        serve_args: Iterable[str] = (),
    ) -> None:
        self.instance_file = Path(instance_file).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.tls = (Path(tls[0]), Path(tls[1])) if tls else None
        self.ca_bundle = Path(ca_bundle) if ca_bundle else None
        scheme = "https" if self.tls else "http"
        self.base_url = (base_url or f"{scheme}://{host}:{port}").rstrip("/")
        self.allow_private = list(allow_private)
        self.username = username or _username_from_instance(self.instance_file)
        self.admin_password = ADMIN_PASSWORD
        self.startup_timeout = startup_timeout
        self.serve_args = list(serve_args)  # more options of `aushang serve`
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "aushang-serve.log"
        self.env = self._build_env(env_extra)
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- identity -----------------------------------------------------------------

    @property
    def authority(self) -> str:
        """Return `host:port` of the base URL, as used in handles."""
        return urlsplit(self.base_url).netloc

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.authority}"

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- environment ----------------------------------------------------------------

    def _build_env(self, env_extra: Mapping[str, str] | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUSHANG_")}
        env.update(
            {
                "AUSHANG_BASE_URL": self.base_url,
                "AUSHANG_DATA_DIR": str(self.data_dir),
                "AUSHANG_FEDERATION_ALLOW_PRIVATE": ",".join(self.allow_private),
                "AUSHANG_ADMIN_PASSWORD": self.admin_password,
                "AUSHANG_STAFF_FIRST_OWNER": "admin",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.ca_bundle:
            env["AUSHANG_FEDERATION_CA_BUNDLE"] = str(self.ca_bundle)
        env.update(env_extra or {})
        return env

    # -- CLI ------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `aushang <args> --instance FILE` with the board's environment."""
        return subprocess.run(
            [str(AUSHANG), *args, "--instance", str(self.instance_file)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self) -> subprocess.CompletedProcess[str]:
        """Run `aushang init`; raise with its output if it fails."""
        result = self.cli("init")
        if result.returncode != 0:
            raise RuntimeError(f"aushang init failed ({result.returncode}):\n{_output(result)}")
        return result

    def post(self, title: str, body: str, category: str | None = None) -> str:
        """Publish a notice with `aushang post` and return the URL it prints."""
        args = ["post", "--title", title, "--body", body]
        if category:
            args += ["--category", category]
        result = self.cli(*args)
        if result.returncode != 0:
            raise RuntimeError(f"aushang post failed ({result.returncode}):\n{_output(result)}")
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        if not lines:
            raise RuntimeError(f"aushang post printed no URL:\n{_output(result)}")
        return lines[-1].strip()

    # -- serve ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Spawn `aushang serve` and wait until GET /healthz answers 200."""
        if self.running:
            raise RuntimeError("board already running")
        cmd = [
            str(AUSHANG),
            "serve",
            "--instance",
            str(self.instance_file),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        if self.tls:
            cmd += ["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]
        cmd += self.serve_args
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {time.strftime('%H:%M:%S')} start: {' '.join(cmd)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no attempt yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise BoardStartupError(
                    f"aushang serve exited with {code} during startup\n{self.log_tail()}"
                )
            if "Application startup failed" in self._log_text()[self._log_offset :]:
                self.stop()
                raise BoardStartupError(
                    f"aushang serve: application startup failed\n{self.log_tail()}"
                )
            try:
                status, body = self.http_get("/healthz", timeout=2.0)
                if status == 200:
                    return
                last_error = f"HTTP {status}: {body[:200]!r}"
            except (OSError, urllib.error.URLError) as exc:
                last_error = repr(exc)
            time.sleep(0.1)
        self.stop()
        raise BoardStartupError(
            f"{self.url('/healthz')} not healthy after {self.startup_timeout}s "
            f"(last: {last_error})\n{self.log_tail()}"
        )

    def ssl_context(self) -> ssl.SSLContext:
        """Return a client context that trusts the board's CA bundle (if any)."""
        if self.ca_bundle:
            return ssl.create_default_context(cafile=str(self.ca_bundle))
        return ssl.create_default_context()

    def http_get(
        self, path: str, *, accept: str = "*/*", timeout: float = 10.0
    ) -> tuple[int, bytes]:
        """GET a path on the board; return (status, body) for any status code."""
        request = urllib.request.Request(self.url(path), headers={"Accept": accept})
        context = self.ssl_context() if self.base_url.startswith("https:") else None
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            with contextlib.closing(exc):
                return exc.code, exc.read()

    def stop(self, timeout: float = 10.0) -> None:
        """Send SIGTERM, wait, then SIGKILL if the process is still there."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def kill9(self) -> None:
        """Kill the process with SIGKILL, as a crash would."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        text = self._log_text()
        if not text:
            return f"(nothing logged at {self.log_path})"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_path} ---\n{tail}"

    def __enter__(self) -> BoardProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"BoardProcess({self.handle}, data_dir={self.data_dir})"


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
