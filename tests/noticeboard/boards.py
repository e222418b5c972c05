"""Fixtures for tests through the real app: a board served by uvicorn, the fake fediverse, a clock.

`tests/noticeboard/conftest.py` re-exports these fixtures; test modules elsewhere load them with
``pytest_plugins = ["tests.noticeboard.boards"]``. The module is imported before pytest could
rewrite its asserts, so it opts out of rewriting: PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import asyncio
import atexit
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation import store as fedstore
from federation.database import Database
from federation.keys import (
    generate_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)
from federation.store import LocalKey
from noticeboard.app import create_app
from noticeboard.config import Config, load_config
from noticeboard.state import MIGRATIONS, InitResult, initialise
from noticeboard.urls import BoardUrls
from tests.support.cli import AUSHANG, run_in_process, run_process
from tests.support.fediverse import (
    BackgroundLoop,
    Fediverse,
    ServerHandle,
    listening_socket,
    serve_in_process,
    shared_fediverse,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instances" / "nordstadt.toml"
ADMIN_PASSWORD = "board-admin-Passw0rd!"
ADMIN_USERNAME = "admin"  # the first account, named so by the tests (`aushang init --admin`)
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
AP_JSON = "application/activity+json"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

__all__ = [
    "ADMIN_PASSWORD",
    "AUSHANG",
    "AP_JSON",
    "INSTANCE",
    "MutableClock",
    "RunningBoard",
    "START",
    "board",
    "clock",
    "csrf_token",
    "fediverse",
    "make_board",
    "served_board",
    "wait_until",
]


class MutableClock:
    """An injected clock: returns a settable aware time, optionally ticking on every call.

    The tick (1 ms by default in `board`) keeps stored times distinct and ordered, as they are
    with a real clock, while the test decides where "now" is.
    """

    def __init__(self, start: datetime = START, tick: timedelta = timedelta(0)) -> None:
        self._now = start
        self._tick = tick
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self._now
            self._now += self._tick
            return now

    @property
    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a csrf_token"
    return match.group(1)


class RunningBoard:
    """An initialised board in a tmp dir, run in-process or served by uvicorn on 127.0.0.1.

    In-process (serve=False), the app runs on the board's own event loop without its background
    workers: the board's clients, and `RemoteActor.post`, reach it through the ASGI app, and a
    test runs the workers' steps with `drain()`. Its port is reserved but nothing listens, so
    anything that tries to connect over TCP is refused at once. Served (serve=True), a real
    uvicorn server listens on the port and the workers run as in production.
    """

    def __init__(
        self, data_dir: Path, clock: MutableClock, env: Mapping[str, str], *, serve: bool = False
    ) -> None:
        self.serve = serve
        self._sock: socket.socket | None = listening_socket()
        self.port = int(self._sock.getsockname()[1])
        self.clock = clock
        self.env_overrides = {
            "AUSHANG_BASE_URL": f"http://127.0.0.1:{self.port}",
            "AUSHANG_DATA_DIR": str(data_dir),
            **env,
        }
        self.config: Config = load_config(INSTANCE, environ=self.env_overrides)
        self.admin_password = ADMIN_PASSWORD
        self._loop: BackgroundLoop | None = None
        self._server: ServerHandle | None = None
        self._lifespan: _Lifespan | None = None
        self._asgi: httpx.ASGITransport | None = None
        self._clients: list[httpx.Client] = []
        self.client = self.new_client()

    # -- addresses --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def authority(self) -> str:
        return self.config.host

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/users/{self.config.username}"

    @property
    def inbox(self) -> str:
        return f"{self.actor_id}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- life cycle -----------------------------------------------------------------------

    def initialise(self, *, seed_keys: bool = True) -> InitResult:
        """Run `initialise`; with seed_keys, the session's two board keys are stored first."""
        loop = BackgroundLoop(name="board-init")
        try:
            if seed_keys:
                loop.run(_seed_keys(self.config, self.clock()))
            return loop.run(
                initialise(self.config, self.admin_password, self.clock, admin=ADMIN_USERNAME)
            )
        finally:
            loop.close()

    def initialise_from_template(self) -> InitResult:
        """Like `initialise()`, in a fraction of the time: copy the database that `initialise`
        made once this session (migrations, the session's keys, the admin's scrypt hash), with
        this board's addresses and a session secret of its own, then run `initialise` on it,
        which finds everything in place. The clock is read as often as `initialise()` reads it.
        """
        template = _template()
        if self.config.username != template.config.username:
            return self.initialise()
        self.clock()  # where initialise() stores the seeded keys
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with (
            closing(sqlite3.connect(template.config.db_path)) as source,
            closing(sqlite3.connect(self.config.db_path)) as copy,
        ):
            source.backup(copy)
            with copy:
                copy.execute(
                    "UPDATE local_keys SET actor_id = replace(actor_id, ?, ?),"
                    " key_id = replace(key_id, ?, ?)",
                    (template.base_url, self.base_url) * 2,
                )
                copy.execute(
                    "UPDATE settings SET value = ? WHERE key = 'session_secret'",
                    (secrets.token_urlsafe(48),),
                )
        return self.initialise(seed_keys=False)

    def start(self) -> None:
        """Build the app with create_app and run it (again): in-process, or served on the port."""
        assert not self.running, "already running"
        if self._sock is None:
            self._sock = listening_socket(self.port)
        self._loop = BackgroundLoop(name=f"board-{self.port}")
        app = create_app(self.config, clock=self.clock, workers=self.serve)
        self.app = app
        try:
            if self.serve:
                sock, self._sock = self._sock, None
                self._server = ServerHandle(self._loop, app, sock)
            else:
                self._lifespan = _Lifespan(self._loop, app)
                self._asgi = httpx.ASGITransport(app, raise_app_exceptions=False)
                serve_in_process(self.authority, _InProcess(self))
        except BaseException:
            self._loop.close()
            self._loop = None
            raise

    def run_on_board(self, work: Callable[[Any], Any]) -> Any:
        """Run `await work(board)` on the server's own loop, e.g. a periodic job right now."""
        assert self._loop is not None, "not running"
        return self._loop.run(work(self.app.state.runtime.state))

    def drain(self, *, periodic: bool = True) -> None:
        """Do the background workers' work now, until nothing is due: process received
        activities, send due deliveries and, with `periodic`, run the once-a-minute steps
        (expiry, batched poll totals, today's follower count). In-process boards only."""
        assert self._loop is not None, "not running"
        assert not self.serve, "a served board runs its own workers; wait for their effect"
        self._loop.run(self.app.state.runtime.drain(periodic=periodic))

    def stop(self) -> None:
        """Shut the board down (lifespan shutdown closes the database)."""
        for client in self._clients:
            client.close()
        server, lifespan, loop = self._server, self._lifespan, self._loop
        self._server = self._lifespan = self._asgi = self._loop = None
        serve_in_process(self.authority, None)
        try:
            if server is not None:
                server.stop()
            if lifespan is not None:
                lifespan.shutdown()
        finally:
            if loop is not None:
                loop.close()
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    @property
    def running(self) -> bool:
        return self._server is not None or self._lifespan is not None

    def _handle(self, request: httpx.Request) -> httpx.Response:
        """Run one request of a sync client through the app on the board's loop."""
        loop, asgi = self._loop, self._asgi
        if loop is None or asgi is None:
            raise httpx.ConnectError("the board is not running", request=request)
        body = request.read()
        forwarded = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=httpx.ByteStream(body),
            extensions=request.extensions,
        )

        async def send() -> httpx.Response:
            response = await asgi.handle_async_request(forwarded)
            assert isinstance(response.stream, httpx.AsyncByteStream)
            content = b"".join([chunk async for chunk in response.stream])
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(content),
                extensions=response.extensions,
            )

        try:
            return loop.run(send(), timeout=30)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("the board did not answer in 30 s", request=request) from exc

    # -- HTTP -----------------------------------------------------------------------------

    def new_client(self, **headers: str) -> httpx.Client:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            trust_env=False,
            follow_redirects=False,
            timeout=10.0,
            headers=headers,
            transport=None if self.serve else _InProcess(self),
        )
        self._clients.append(client)
        return client

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def get_json(self, path: str, accept: str = AP_JSON) -> Any:
        response = self.client.get(path, headers={"Accept": accept})
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def login(
        self,
        client: httpx.Client | None = None,
        *,
        username: str = "admin",
        password: str | None = None,
    ) -> httpx.Client:
        """Sign in through /login with the CSRF token of the form; return the signed-in client."""
        client = client or self.new_client()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(page.text),
                "username": username,
                "password": password or self.admin_password,
                "next": "/staff",
            },
        )
        assert response.status_code == 303, (response.status_code, response.text[:500])
        assert response.headers["location"] == "/staff"
        return client

    def compose(
        self, client: httpx.Client, title: str, body: str, *, action: str = "publish", **fields: str
    ) -> httpx.Response:
        """Submit the compose form as a signed-in staff member (action: publish or preview)."""
        page = client.get("/staff/notices/new")
        assert page.status_code == 200, (page.status_code, page.text[:300])
        data = {"csrf_token": csrf_token(page.text), "title": title, "body": body}
        data.update({"category": "", "action": action, **fields})
        return client.post("/staff/notices/new", data=data)

    def publish(self, client: httpx.Client, title: str, body: str = "Text", **fields: str) -> str:
        """Publish through the web form; return the new notice's URL."""
        before = self.value("SELECT max(id) FROM notices") or 0
        response = self.compose(client, title, body, **fields)
        assert response.status_code == 303, (response.status_code, response.text[:500])
        notice_id = self.value("SELECT max(id) FROM notices")
        assert notice_id == before + 1
        return self.url(f"/notices/{notice_id}")

    def public_key(self) -> PublicKeyTypes:
        """The board's public key, as a remote server reads it from the actor document."""
        document = self.get_json("/users/nordstadt")
        return load_public_key(document["publicKey"]["publicKeyPem"])

    # -- database -------------------------------------------------------------------------

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Read the board's SQLite database directly (WAL: readers never block the app)."""
        with closing(sqlite3.connect(self.config.db_path, timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return next(iter(rows[0].values())) if rows else None

    def deliveries(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM deliveries ORDER BY id")

    def followers(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM followers ORDER BY created")

    # -- command line ---------------------------------------------------------------------

    @property
    def cli_env(self) -> dict[str, str]:
        """The AUSHANG_* variables the command line gets for this board."""
        return {
            **self.env_overrides,
            "AUSHANG_ADMIN_PASSWORD": self.admin_password,
            "AUSHANG_STAFF_FIRST_OWNER": ADMIN_USERNAME,
        }

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `aushang <args> --instance instances/nordstadt.toml` with the board's env,
        in this process (see tests/support/cli.py)."""
        return run_in_process([*args, "--instance", str(INSTANCE)], self.cli_env, stdin=stdin)

    def cli_process(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the installed `aushang` script the same way, as a process of its own."""
        return run_process([*args, "--instance", str(INSTANCE)], self.cli_env)


class _InProcess(httpx.BaseTransport):
    """A sync transport into an in-process board (whichever app it runs at the time)."""

    def __init__(self, board: RunningBoard) -> None:
        self._board = board

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._board._handle(request)


class _Lifespan:
    """Run an ASGI app's lifespan on a loop as a server does: startup now, shutdown later."""

    def __init__(self, loop: BackgroundLoop, app: Any) -> None:
        self._loop = loop
        self._app = app
        self._receive: asyncio.Queue[dict[str, str]] | None = None
        self._sent: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        loop.run(self._start())

    async def _start(self) -> None:
        self._receive, self._sent = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        scope["state"] = {}
        self._task = asyncio.create_task(
            self._app(scope, self._receive.get, self._sent.put), name="lifespan"
        )
        await self._step("lifespan.startup")

    async def _step(self, message: str) -> None:
        assert self._receive is not None and self._sent is not None and self._task is not None
        await self._receive.put({"type": message})
        answer = asyncio.ensure_future(self._sent.get())
        await asyncio.wait({answer, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():
            answer.cancel()
            self._task.result()  # raises what went wrong
            raise RuntimeError(f"the app ended its lifespan without answering {message}")
        reply = answer.result()
        if reply["type"] != f"{message}.complete":
            raise RuntimeError(f"{message} failed: {reply.get('message', reply)}")

    def shutdown(self) -> None:
        self._loop.run(self._shutdown(), timeout=10)

    async def _shutdown(self) -> None:
        await self._step("lifespan.shutdown")
        assert self._task is not None
        await self._task


_TEMPLATE: list[RunningBoard] = []


def _template() -> RunningBoard:
    """The session's initialised board database, for `RunningBoard.initialise_from_template`."""
    if not _TEMPLATE:
        data_dir = Path(tempfile.mkdtemp(prefix="aushang-template-"))
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        template = RunningBoard(data_dir, MutableClock(START), {})
        template.initialise()
        template.stop()  # releases its port; the data stay
        _TEMPLATE.append(template)
    return _TEMPLATE[0]


_BOARD_KEYS: list[tuple[str, str]] = []


def _board_key_pems(index: int) -> tuple[str, str]:
    while len(_BOARD_KEYS) <= index:
        key = generate_private_key()
        _BOARD_KEYS.append((private_key_to_pem(key), public_key_to_pem(key)))
    return _BOARD_KEYS[index]


async def _seed_keys(config: Config, now: datetime) -> None:
    """Store this session's board keys so `initialise` skips generating two RSA keys per test."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(config.db_path)
    await db.connect()
    try:
        await db.migrate(MIGRATIONS)
        urls = BoardUrls(config.base_url, config.username)
        pairs = ((urls.actor, urls.key_id), (urls.instance_actor, urls.instance_key_id))
        async with db.transaction() as conn:
            for index, (actor, key_id) in enumerate(pairs):
                private_pem, public_pem = _board_key_pems(index)
                await fedstore.insert_local_key(
                    conn, LocalKey(actor, key_id, private_pem, public_pem), now
                )
    finally:
        await db.close()


@pytest.fixture
def fediverse() -> Iterator[Fediverse]:
    """The session's fake remote servers, emptied for this test."""
    world = shared_fediverse()
    world.reset()
    yield world
    world.reset()


@pytest.fixture
def clock() -> MutableClock:
    """The board's clock: starts at START and ticks 1 ms per reading."""
    return MutableClock(START, tick=timedelta(milliseconds=1))


BoardFactory = Callable[..., RunningBoard]


@pytest.fixture
def make_board(tmp_path: Path, fediverse: Fediverse, clock: MutableClock) -> Iterator[BoardFactory]:
    """Build boards: make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true", start=False);
    serve=True serves one on its port with its workers running, for tests that need TCP."""
    boards: list[RunningBoard] = []

    def build(*, start: bool = True, serve: bool = False, **env: str) -> RunningBoard:
        data_dir = tmp_path / f"board{len(boards)}"
        overrides = {"AUSHANG_FEDERATION_ALLOW_PRIVATE": ",".join(fediverse.allow_private)}
        overrides.update(env)
        running = RunningBoard(data_dir, clock, overrides, serve=serve)
        boards.append(running)
        running.initialise_from_template()
        if start:
            running.start()
        return running

    yield build
    for running in boards:
        running.stop()


@pytest.fixture
def board(make_board: BoardFactory) -> RunningBoard:
    """The Nordstadt example board, in-process, allowed to reach the fake servers."""
    return make_board()


@pytest.fixture
def served_board(make_board: BoardFactory) -> RunningBoard:
    """The Nordstadt example board served by uvicorn on 127.0.0.1, with its workers running."""
    return make_board(serve=True)
