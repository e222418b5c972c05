"""Starting the board loads what serving pages needs, and not the large libraries of rare tasks
(feeds, calendars, pictures, printing, Markdown, cleaning HTML): they load on first use."""

from __future__ import annotations

import json
import sqlite3
import ssl
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation import client as client_module
from federation.client import FederationClient
from federation.keys import public_key_to_pem
from noticeboard.cli import GROUPS, SERVER, groups_for
from noticeboard.i18n import make_environment
from noticeboard.state import BoardNotInitialised, open_state
from noticeboard.web.rendering import TEMPLATES_DIR
from noticeboard.web.templatecache import fingerprint, use_template_cache
from tests.noticeboard.boards import INSTANCE

LAZY = ("lxml", "feedgen", "icalendar", "PIL", "blurhash", "weasyprint", "segno", "markdown_it")
LAZY_MAIL = ("aiosmtplib",)  # only a board with [mail] sends mail
LAZY_TOO = ("bleach", "html5lib")
ERROR_PAGE = {"status": 404, "message": "gone", "lang": "de", "board": None, "now": None}


def modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def loaded_after(code: str) -> set[str]:
    return {name.split(".")[0] for name in modules_after(code)}


def test_startup__importing_the_app_leaves_rare_libraries_unloaded() -> None:
    modules = modules_after(
        "import noticeboard.app\nfrom noticeboard.cli import build_parser\nbuild_parser()"
    )
    loaded = {name.split(".")[0] for name in modules}

    assert "starlette" in loaded, "the probe sees what the import loaded"
    assert sorted(loaded & {*LAZY, *LAZY_TOO, *LAZY_MAIL}) == []
    # Catalogues are compiled when first read, and then read as kept.
    assert sorted(name for name in modules if name.startswith("babel.messages")) == []


def test_startup__the_rare_libraries_load_when_used() -> None:
    loaded = loaded_after(
        "from noticeboard.notices.text import render_markdown\n"
        "from noticeboard.paper.qr import qr_svg\n"
        "render_markdown('*hello* https://example.org')\n"
        "qr_svg('https://example.org', label='x')\n"
        "from noticeboard.mail.sender import connection_errors\n"
        "connection_errors()"
    )

    assert {"markdown_it", "bleach", "segno", "aiosmtplib"} <= loaded


def test_startup__serving_builds_only_its_own_command() -> None:
    loaded = modules_after(
        "from noticeboard.cli import build_parser, groups_for\n"
        "parser, handlers = build_parser(groups_for(['serve', '--port', '8001']))\n"
        "assert sorted(handlers) == ['init', 'serve'], handlers\n"
        "assert parser.parse_args(['serve', '--instance', 'b.toml']).port == 8000"
    )

    assert SERVER in loaded
    assert sorted(loaded & set(GROUPS[1:])) == []
    assert groups_for(["post", "--title", "serve"]) == GROUPS


@pytest.mark.anyio
async def test_startup__keys_are_parsed_when_first_used(make_board: Any) -> None:
    running = make_board(start=False)
    state = await open_state(running.config)
    try:
        assert state.keys.signing.parsed() == []
        assert set(state.keys.signing) == {state.urls.actor, state.urls.instance_actor}

        key = state.keys.signing[state.urls.actor]

        assert isinstance(key.private_key, rsa.RSAPrivateKey)
        assert key.key_id == state.urls.key_id
        assert state.keys.signing.parsed() == [state.urls.actor]
        assert public_key_to_pem(key.private_key) == state.keys.public_pems[state.urls.actor]
    finally:
        await state.close()


@pytest.mark.anyio
async def test_startup__a_board_without_its_keys_still_fails_when_opened(make_board: Any) -> None:
    running = make_board(start=False)
    with closing(sqlite3.connect(running.config.db_path)) as conn, conn:
        conn.execute("DELETE FROM local_keys WHERE actor_id LIKE '%/actor'")

    with pytest.raises(BoardNotInitialised, match="no key for"):
        await open_state(running.config)


def test_startup__the_client_reads_the_certificate_store_for_its_first_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str | None] = []
    real = client_module.build_ssl_context

    def counting(ca_bundle: str | None = None) -> ssl.SSLContext:
        built.append(ca_bundle)
        return real(ca_bundle)

    monkeypatch.setattr(client_module, "build_ssl_context", counting)
    client = FederationClient(user_agent="test")
    assert built == []

    client._new_pool()
    client._new_pool()

    assert built == [None]


def test_startup__an_extra_certificate_bundle_is_checked_at_once(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")

    with pytest.raises(ssl.SSLError):
        FederationClient(user_agent="test", ca_bundle=str(bundle))


def test_startup__a_restarted_server_loads_its_compiled_templates(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "templates"
    first = use_template_cache(make_environment(TEMPLATES_DIR), folder)
    html = first.get_template("error.html").render(ERROR_PAGE)
    kept = sorted(p.name for p in folder.iterdir())
    assert kept, "the compiled templates are kept"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"

    again = use_template_cache(make_environment(TEMPLATES_DIR), folder)
    compiled: list[str | None] = []
    real_compile = again.compile

    def compile_spy(source: Any, name: str | None = None, *args: Any, **kw: Any) -> Any:
        compiled.append(name)
        return real_compile(source, name, *args, **kw)

    again.compile = compile_spy  # type: ignore[method-assign]

    assert again.get_template("error.html").render(ERROR_PAGE) == html
    assert compiled == []
    assert sorted(p.name for p in folder.iterdir()) == kept


def test_startup__other_template_options_do_not_use_the_compiled_code(tmp_path: Path) -> None:
    plain = make_environment(TEMPLATES_DIR)
    other = make_environment(TEMPLATES_DIR)
    other.trim_blocks = False

    assert fingerprint(plain) == fingerprint(make_environment(TEMPLATES_DIR))
    assert fingerprint(plain) != fingerprint(other)


def test_startup__templates_render_when_their_folder_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder would be")
    env = use_template_cache(make_environment(TEMPLATES_DIR), blocker / "templates")

    assert "404" in env.get_template("error.html").render(ERROR_PAGE)


def test_startup__the_collector_pauses_only_while_modules_load() -> None:
    assert modules_after(
        "import gc\nimport noticeboard.cli\nassert gc.isenabled()\n"
        "with noticeboard.cli.loading():\n    assert not gc.isenabled()\n"
        "assert gc.isenabled()\n"
        "gc.disable()\nwith noticeboard.cli.loading():\n    pass\nassert not gc.isenabled()"
    )


def test_startup__the_started_server_sets_its_start_up_objects_aside_from_collection() -> None:
    import asyncio
    import gc
    import socket

    import uvicorn

    from noticeboard.serving import BoardServer

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = BoardServer(uvicorn.Config(app, lifespan="off", log_config=None))
    frozen: list[int] = []

    async def serve_until_started() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        frozen.append(gc.get_freeze_count())
        server.should_exit = True
        await serving

    gc.unfreeze()
    try:
        asyncio.run(serve_until_started())
        assert frozen[0] > 0
    finally:
        gc.unfreeze()
        sock.close()


@pytest.mark.anyio
async def test_startup__a_running_board_gets_ready_for_its_first_delivery_in_the_background(
    make_board: Any,
) -> None:
    running = make_board(start=False)
    code = (
        "import asyncio, json, sys, time\n"
        "from noticeboard import app as app_module\n"
        "from noticeboard.config import load_config\n"
        f"config = load_config({str(INSTANCE)!r}, environ={running.env_overrides!r})\n"
        "app_module.GET_READY_AFTER = 0.2\n"
        "app = app_module.create_app(config, workers=True)\n"
        "async def main():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        keys = app.state.runtime.state.keys.signing\n"
        "        at_start = (keys.parsed(), 'bleach' in sys.modules)\n"
        "        deadline = time.monotonic() + 20\n"
        "        while len(keys.parsed()) < len(keys) and time.monotonic() < deadline:\n"
        "            await asyncio.sleep(0.05)\n"
        "        await asyncio.sleep(0.1)\n"
        "        print(json.dumps([at_start, sorted(keys.parsed()), len(keys)]))\n"
        "asyncio.run(main())\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    figures, modules = out.stdout.splitlines()[-2:]
    at_start, parsed, total = json.loads(figures)
    assert at_start == [[], False]  # nothing of this was done before the board was up
    assert len(parsed) == total == 2
    assert {"bleach", "markdown_it"} <= set(json.loads(modules))
