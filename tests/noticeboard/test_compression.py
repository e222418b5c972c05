"""Compressed answers: brotli or gzip for text, the same content after decoding, `Vary`, and
nothing compressed that must not be (small bodies, pictures, PDFs, 304, HEAD, ranges, private
pages: rule 51)."""

from __future__ import annotations

import gzip
import io

import brotli
import httpx
import pytest
from PIL import Image

from noticeboard.web.compression import chosen_encoding, compressible, with_vary
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token


def fetch_raw(
    client: httpx.Client, path: str, encoding: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent, before any decoding."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding, **headers}) as response:
        raw = b"".join(response.iter_raw())
    return response, raw


def decoded(response: httpx.Response, raw: bytes) -> bytes:
    encoding = response.headers.get("content-encoding")
    if encoding == "br":
        return bytes(brotli.decompress(raw))
    if encoding == "gzip":
        return gzip.decompress(raw)
    assert encoding is None, encoding
    return raw


def fill_board(board: RunningBoard) -> None:
    client = board.login()
    for n in range(3):
        board.publish(client, f"Hoffest Nummer {n}", "Wir feiern im Hof. " * 20)


PUBLIC = [
    ("/", "text/html"),
    ("/notices/1", "text/html"),
    ("/feed.atom", "application/atom+xml"),
    ("/calendar.ics", "text/calendar"),
    ("/users/nordstadt", "application/activity+json"),
    ("/users/nordstadt/outbox?page=true", "application/activity+json"),
    ("/static/style.css", "text/css"),
]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_public_answers__compressed_decode_to_the_same_body_with_vary(
    board: RunningBoard, encoding: str
) -> None:
    fill_board(board)
    client = board.new_client()
    for path, media_type in PUBLIC:
        accept = {"Accept": AP_JSON} if media_type.endswith("activity+json") else {}
        plain, plain_raw = fetch_raw(client, path, "identity", **accept)
        packed, packed_raw = fetch_raw(client, path, encoding, **accept)
        assert plain.status_code == packed.status_code == 200, path
        assert packed.headers["content-type"].startswith(media_type), path
        if len(plain_raw) < 512:
            continue  # the calendar of a board without events is small
        assert "content-encoding" not in plain.headers, path
        assert packed.headers["content-encoding"] == encoding, path
        assert len(packed_raw) < len(plain_raw) / 2, path
        assert int(packed.headers["content-length"]) == len(packed_raw)
        assert decoded(packed, packed_raw) == plain_raw, path
        for answer in (plain, packed):
            vary = [v.strip().lower() for v in answer.headers["vary"].split(",")]
            assert "accept-encoding" in vary, path


def test_brotli_is_preferred_and_gzip_taken_when_brotli_is_refused(board: RunningBoard) -> None:
    client = board.new_client()
    assert fetch_raw(client, "/", "gzip, deflate, br")[0].headers["content-encoding"] == "br"
    assert fetch_raw(client, "/", "gzip, br;q=0")[0].headers["content-encoding"] == "gzip"
    assert "content-encoding" not in fetch_raw(client, "/", "gzip;q=0, br;q=0")[0].headers
    assert "content-encoding" not in fetch_raw(client, "/", "")[0].headers


def test_page_keeps_its_own_vary_and_adds_accept_encoding(board: RunningBoard) -> None:
    vary = board.new_client().get("/").headers["vary"]
    names = [v.strip() for v in vary.split(",")]
    assert names[:3] == ["Accept", "Accept-Language", "Cookie"]
    assert names[-1] == "Accept-Encoding"
    assert all(names.count(name) == 1 for name in names), vary


def test_small_bodies_are_not_compressed(board: RunningBoard) -> None:
    small, small_raw = fetch_raw(board.new_client(), "/media/nothing.jpg", "br, gzip")
    assert small.status_code == 404 and len(small_raw) < 512
    assert "content-encoding" not in small.headers


def test_pictures_and_pdfs_are_sent_as_they_are(board: RunningBoard) -> None:
    client = board.login()
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (200, 10, 10)).save(buffer, "PNG")  # compresses well
    token = csrf_token(client.get("/staff/notices/new").text)
    form = {"csrf_token": token, "title": "Bild", "body": "Text", "action": "publish"}
    form["alt1"] = "Ein rotes Rechteck"
    sent = client.post(
        "/staff/notices/new", data=form, files={"image1": ("a.png", buffer.getvalue(), "image/png")}
    )
    assert sent.status_code == 303
    file = board.value("SELECT file FROM notice_images")
    reader = board.new_client()
    picture, picture_raw = fetch_raw(reader, f"/media/{file}", "br, gzip")
    assert picture.status_code == 200 and "content-encoding" not in picture.headers
    assert picture_raw == (board.config.data_dir / "media" / file).read_bytes()
    pdf, pdf_raw = fetch_raw(reader, "/follow/poster.pdf", "br, gzip")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "content-encoding" not in pdf.headers and pdf_raw.startswith(b"%PDF")


def test_not_modified_head_and_ranges_are_not_compressed(board: RunningBoard) -> None:
    client = board.new_client()
    first, _ = fetch_raw(client, "/static/style.css", "br")
    etag = first.headers["etag"]
    assert etag.startswith("W/")  # the compressed bytes are not the file's bytes
    again, again_raw = fetch_raw(client, "/static/style.css", "br", **{"If-None-Match": etag})
    assert again.status_code == 304 and again_raw == b""
    assert "content-encoding" not in again.headers
    head = client.head("/static/style.css", headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and "content-encoding" not in head.headers
    assert "Accept-Encoding" in head.headers["vary"]
    part, part_raw = fetch_raw(client, "/static/style.css", "br", Range="bytes=0-99")
    assert part.status_code == 206 and len(part_raw) == 100
    assert "content-encoding" not in part.headers


def test_helpers__encoding_choice_types_and_vary() -> None:
    assert chosen_encoding("gzip, deflate, br, zstd") == "br"
    assert chosen_encoding("gzip;q=0.5, br;q=0") == "gzip"
    assert chosen_encoding("*") == "br"
    assert chosen_encoding("identity") is None
    assert chosen_encoding("br;q=x, gzip") == "gzip"
    assert compressible("text/html; charset=utf-8")
    assert compressible('application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    assert not compressible("image/jpeg") and not compressible("application/pdf")
    assert not compressible("application/zip") and not compressible("")
    assert with_vary(None) == "Accept-Encoding"
    assert with_vary("Accept") == "Accept, Accept-Encoding"
    assert with_vary("accept-encoding") == "accept-encoding"
    assert with_vary("*") == "*"


@pytest.mark.parametrize("path", ["/", "/login", "/hilfe", "/gibt-es-nicht"])
def test_pages_name_each_header_they_vary_on_once(board: RunningBoard, path: str) -> None:
    vary = board.new_client().get(path).headers["vary"]
    names = [v.strip().lower() for v in vary.split(",")]
    assert "cookie" in names and "accept-language" in names, vary
    assert len(names) == len(set(names)), vary
