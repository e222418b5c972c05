"""Section H of the security rules, part two: residents' data leaves when it should (rules 31-34).

The name of a resident whose consent has ended, invitation links in the server's log, the
metadata of uploaded pictures, and the cookies the privacy page has to list.
"""

from __future__ import annotations

import io
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from tests.noticeboard.boards import AP_JSON, INSTANCE, RunningBoard
from tests.noticeboard.test_images import GPS_IFD, jpeg_with_gps, publish_with
from tests.noticeboard.test_kinds import add_inbox, received
from tests.noticeboard.test_participation_web import (
    AFTER_CONSENT,
    assisted,
    origin_line,
    staff_client,
)
from tests.noticeboard.test_polls import post_poll
from tests.support.fediverse import Fediverse
from tests.support.processes import BoardProcess, free_port

RESIDENT = "Frau Yilmaz"

# --- rule 31: the resident's name goes when the consent ends -----------------------------------


def everywhere(board: RunningBoard, client: httpx.Client, notice_id: int) -> dict[str, str]:
    """Every page and document that could show the notice, as the given client sees them."""
    return {
        "notice": client.get(f"/notices/{notice_id}", params={"lang": "en"}).text,
        "archive": client.get("/archive").text,
        "home": client.get("/").text,
        "search": client.get("/search", params={"q": "Einkaufen"}).text,
        "feed": client.get("/feed.atom").text,
        "kind feed": client.get("/feed/need-help.atom").text,
        "object": client.get(f"/notices/{notice_id}", headers={"Accept": AP_JSON}).text,
    }


def test_rule_31__name_leaves_every_page_and_the_fediverse_when_consent_ends(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = add_inbox(board, fediverse)
    editor = staff_client(board, "editor")
    url = board.publish(editor, "Hilfe beim Einkaufen", **assisted(valid_until="2026-04-30"))
    notice_id = int(url.rsplit("/", 1)[1])
    assert RESIDENT in everywhere(board, board.client, notice_id)["notice"]

    board.clock.set(AFTER_CONSENT)

    for client in (board.client, editor):  # at once, before the minute's chores ran
        for page, text in everywhere(board, client, notice_id).items():
            assert RESIDENT not in text, page
    board.drain()
    assert board.value("SELECT on_behalf_of FROM notices") is None
    for page, text in everywhere(board, editor, notice_id).items():
        assert RESIDENT not in text, page
    page = board.get(f"/notices/{notice_id}", params={"lang": "en"})
    assert page.status_code == 200  # the notice stays in the archive ...
    assert origin_line(page.text) == "Posted on behalf of a resident"  # ... without the name
    [update] = received(fediverse, inbox, "Update")
    assert update["object"]["noticeExpired"] is True
    assert all(RESIDENT not in str(activity) for activity in fediverse.remote.posts(inbox))
    actions = board.rows("SELECT action FROM audit_log WHERE action = 'notice.consent_ended'")
    assert len(actions) == 1


def test_rule_31__notice_that_ended_before_the_consent_loses_the_name_when_consent_ends(
    board: RunningBoard,
) -> None:
    editor = staff_client(board, "editor")
    url = board.publish(editor, "Hilfe beim Einkaufen", **assisted(valid_until="2026-03-05"))
    notice_id = int(url.rsplit("/", 1)[1])
    board.clock.set(AFTER_CONSENT.replace(day=7))
    board.drain()
    assert RESIDENT in board.get("/archive").text  # archived, consent still running

    board.clock.set(AFTER_CONSENT)
    board.drain()

    assert RESIDENT not in board.get("/archive").text
    assert RESIDENT not in board.get(f"/notices/{notice_id}").text


# --- rule 32: invitation links never reach the server's log ------------------------------------


@pytest.fixture
def board_process(tmp_path: Path) -> Iterator[BoardProcess]:
    """A real `aushang serve` process, its log in a file."""
    with BoardProcess(INSTANCE, tmp_path / "served", free_port()) as process:
        process.init()
        process.start()
        yield process


def test_rule_32__invitation_token_is_not_in_the_server_log(board_process: BoardProcess) -> None:
    result = board_process.cli("staff", "invite", "neu", "--role", "editor")
    assert result.returncode == 0, result.stderr
    link = next(w for w in result.stdout.split() if "/invitation/" in w)
    token = link.rsplit("/", 1)[1]

    with httpx.Client(base_url=board_process.base_url) as browser:
        page = browser.get(f"/invitation/{token}")
        form = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert form is not None
        refused = browser.post(
            f"/invitation/{token}",
            data={"csrf_token": form.group(1), "password": "a" * 16,
                  "password_again": "b" * 16},
        )  # fmt: skip
        browser.get(f"/invitation/{token}x")  # a wrong one is a secret too

    assert page.status_code == 200 and refused.status_code == 400
    assert page.headers["referrer-policy"] == "no-referrer"
    log = wait_for_log(board_process, "POST /invitation/")
    assert token[:12] not in log
    assert "GET /invitation/…" in log and "POST /invitation/…" in log


def wait_for_log(process: BoardProcess, text: str, timeout: float = 10.0) -> str:
    """The log once it holds `text` (the server writes its access log as it answers)."""
    deadline = time.monotonic() + timeout
    while True:
        log = process.log_path.read_text(errors="replace")
        if text in log or time.monotonic() > deadline:
            assert text in log, process.log_tail()
            return log
        time.sleep(0.05)


# --- rule 33: uploaded pictures keep no metadata -----------------------------------------------

JPEG_APP_MARKERS = {0xE1, 0xE2, 0xED, 0xFE}  # EXIF/XMP, ICC, IPTC (Photoshop), comment
PNG_METADATA = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME", b"sRGB", b"gAMA", b"cHRM"}
SECRET = "Hinterhof-Nordstr-12-Kamera"


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the image data."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while pos < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the pixels follow
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


def picture(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn or COM segment right after the start of image."""
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def other_profile() -> bytes:
    """An ICC profile that is not sRGB (CIELAB), with a camera's name appended to it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes() + SECRET.encode()


def plain(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, (200, 80, 40) if mode == "RGB" else (200, 80, 40, 128))


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET)
    info.add_text("Comment", SECRET, zip=True)
    info.add_itxt("Description", SECRET, lang="de")
    exif = Image.Exif()
    exif[0x010F] = SECRET
    return picture(plain(mode="RGBA"), "PNG", pnginfo=info, exif=exif)


CRAFTED = {
    "jpeg comment": lambda: picture(plain(), "JPEG", comment=SECRET.encode()),
    "jpeg icc profile": lambda: picture(plain(), "JPEG", icc_profile=other_profile()),
    "jpeg xmp": lambda: with_segment(
        picture(plain(), "JPEG"),
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + SECRET.encode() + b"</x:xmpmeta>",
    ),
    "jpeg iptc": lambda: with_segment(
        picture(plain(), "JPEG"),
        0xED,
        b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x20"
        + b"\x1c\x02\x50\x00\x1a"
        + SECRET.encode(),
    ),
    "jpeg exif with gps": lambda: jpeg_with_gps((64, 48)),
    "png text chunks": png_with_text,
    "png icc profile": lambda: picture(plain(mode="RGBA"), "PNG", icc_profile=other_profile()),
    "webp exif and xmp": lambda: picture(
        plain(), "WEBP", exif=Image.Exif().tobytes(), xmp=SECRET.encode()
    ),
}


@pytest.mark.parametrize("case", CRAFTED)
def test_rule_33__uploaded_picture_keeps_no_metadata(board: RunningBoard, case: str) -> None:
    data = CRAFTED[case]()

    response = publish_with(
        board, {"image1": ("photo", data, "application/octet-stream")}, alt1="Ein Bild"
    )

    assert response.status_code == 303, response.text[:500]
    name = board.value("SELECT file FROM notice_images")
    served = board.get(f"/media/{name}").content
    assert SECRET.encode() not in served
    assert b"Exif\x00" not in served and b"http://ns.adobe.com" not in served
    if served[:2] == b"\xff\xd8":
        assert not JPEG_APP_MARKERS & set(jpeg_segments(served)), case
    else:
        assert not PNG_METADATA & set(png_chunks(served)), case
    with Image.open(io.BytesIO(served)) as stored:
        assert stored.info.get("icc_profile") is None
        assert dict(stored.getexif()) == {} and GPS_IFD not in stored.getexif()


def test_rule_33__colours_of_a_picture_with_a_profile_are_kept_in_srgb(board: RunningBoard) -> None:
    """Dropping a profile without converting would shift the colours: they are moved to sRGB."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = picture(plain(), "JPEG", icc_profile=srgb, quality=95)

    publish_with(board, {"image1": ("photo.jpg", data, "image/jpeg")}, alt1="Ein Bild")

    served = board.get(f"/media/{board.value('SELECT file FROM notice_images')}").content
    with Image.open(io.BytesIO(served)) as stored:
        red, green, blue = stored.convert("RGB").getpixel((32, 24))
    assert abs(red - 200) < 8 and abs(green - 80) < 8 and abs(blue - 40) < 8


# --- rule 34: the privacy page lists every cookie ----------------------------------------------


def cookies_set(response: httpx.Response) -> set[str]:
    return {h.split("=", 1)[0].strip() for h in response.headers.get_list("set-cookie")}


def test_rule_34__privacy_page_lists_every_cookie_the_board_sets(board: RunningBoard) -> None:
    notice_id = post_poll(board)
    reader = board.new_client(Origin=board.base_url)
    responses = [
        reader.get("/", params={"lang": "en"}),
        reader.post(f"/notices/{notice_id}/vote", data={"option": "1"}),
        reader.get("/login"),
        reader.get("/submit"),
    ]
    staff = board.new_client()
    page = staff.get("/login")
    responses.append(page)
    board.login(staff)

    names = set().union(*(cookies_set(r) for r in responses)) | set(staff.cookies.keys())

    assert names >= {"lang", "aushang_voter", "aushang_session"}, names
    for lang in ("de", "en"):
        privacy = board.new_client().get("/privacy", params={"lang": lang})
        assert privacy.status_code == 200
        listed = set(re.findall(r"<td><code>([^<]+)</code></td>", privacy.text))
        assert names <= listed, (lang, names - listed)
