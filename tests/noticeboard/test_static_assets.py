"""Static files under versioned addresses: kept for a year when the version is current, a few
minutes otherwise; an old address still gives the current file; ETag and 304 as before."""

from __future__ import annotations

import re
from pathlib import Path

from noticeboard.i18n import make_environment
from noticeboard.web.assets import IMMUTABLE, SHORT, STATIC_DIR, asset_version, static_url
from noticeboard.web.rendering import TEMPLATES_DIR
from tests.noticeboard.boards import RunningBoard

LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def test_static_url__the_version_follows_the_content(tmp_path: Path) -> None:
    css = tmp_path / "style.css"
    css.write_text("body { color: black }")
    first = static_url("style.css", tmp_path)
    assert re.fullmatch(r"/static/style\.css\?v=[0-9a-f]{12}", first)
    assert static_url("style.css", tmp_path) == first
    css.write_text("body { color: navy }")
    second = static_url("style.css", tmp_path)
    assert second != first and second.startswith("/static/style.css?v=")
    assert static_url("missing.css", tmp_path) == "/static/missing.css"
    assert asset_version(tmp_path / "missing.css") is None


def test_pages_link_static_files_by_version(board: RunningBoard) -> None:
    client = board.new_client()
    for path in ("/", "/about", "/login", "/follow"):
        links = LINKED.findall(client.get(path).text)
        assert "/static/style.css?v=" + str(asset_version(static_dir() / "style.css")) in links
        assert all("?v=" in link for link in links), (path, links)


def test_versioned_address__is_kept_for_a_year_the_others_briefly(board: RunningBoard) -> None:
    client = board.new_client()
    current = static_url("style.css")
    versioned = client.get(current)
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    plain = client.get("/static/style.css")
    assert plain.headers["cache-control"] == SHORT
    old = client.get("/static/style.css?v=0123456789ab")  # linked by a page before an upgrade
    assert old.status_code == 200 and old.headers["cache-control"] == SHORT
    assert old.content == plain.content == versioned.content
    assert old.content == (static_dir() / "style.css").read_bytes()


def test_static__etag_and_not_modified_still_work(board: RunningBoard) -> None:
    client = board.new_client()
    for encoding in ("identity", "br"):
        first = client.get(static_url("style.css"), headers={"Accept-Encoding": encoding})
        etag = first.headers["etag"]
        again = client.get(
            static_url("style.css"), headers={"If-None-Match": etag, "Accept-Encoding": encoding}
        )
        assert again.status_code == 304, encoding
        assert again.headers["cache-control"] == IMMUTABLE
    assert client.get("/static/nothing.css").status_code == 404


def test_paper_documents_link_the_versioned_print_style(board: RunningBoard) -> None:
    source = (TEMPLATES_DIR / "paper" / "_base.html").read_text()
    assert "static_url('paper.css')" in source
    env = make_environment(TEMPLATES_DIR)
    assert env.globals["static_url"]("paper.css") == static_url("paper.css")


def static_dir() -> Path:
    return STATIC_DIR
