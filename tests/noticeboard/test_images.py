"""Pictures: sniffed by content, EXIF/GPS removed, resized, stored under generated names,
federated as attachments with alt text (rule 20)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from noticeboard.notices.images import MAX_SIDE, InvalidImage, is_media_name, store_image
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 27.0, 20.0), 3: "E", 4: (7.0, 0.0, 42.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_store_image__strips_exif_and_gps_and_resizes(tmp_path: Path) -> None:
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get(GPS_IFD) is not None
    stored = store_image(data, "  Ein blauer   Himmel ", tmp_path)
    with Image.open(tmp_path / stored.file) as saved:
        assert dict(saved.getexif()) == {}
        assert max(saved.size) == MAX_SIDE
        assert (stored.width, stored.height) == saved.size
    assert stored.alt == "Ein blauer Himmel"
    assert stored.media_type == "image/jpeg" and is_media_name(stored.file)
    assert stored.blurhash and len(stored.blurhash) >= 6


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.4\n",
        b"GIF89a\x01\x00",  # a truncated GIF
        b"MZ\x90\x00" + b"\x00" * 100,
        b"",
    ],
)
def test_store_image__refuses_what_is_not_a_picture(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InvalidImage):
        store_image(data, "x", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_store_image__refuses_decompression_bombs(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    with pytest.raises(InvalidImage) as error:
        store_image(buffer.getvalue(), "x", tmp_path)
    assert "pixels" in error.value.message or "picture" in error.value.message


def test_store_image__requires_a_description(tmp_path: Path) -> None:
    with pytest.raises(InvalidImage):
        store_image(jpeg_with_gps((10, 10)), "   ", tmp_path)


def publish_with(board: RunningBoard, files: dict[str, tuple[str, bytes, str]], **data: str):
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    form = {"csrf_token": token, "title": "Mit Bild", "body": "Schaut", "action": "publish"}
    return client.post("/staff/notices/new", data={**form, **data}, files=files)


def test_upload__is_federated_with_alt_text_and_served_under_a_new_name(
    board: RunningBoard,
) -> None:
    response = publish_with(
        board,
        {"image1": ("../../etc/passwd.php", jpeg_with_gps((800, 600)), "text/x-php")},
        alt1="Das Sommerfest im Hof",
    )
    assert response.status_code == 303
    note = board.get("/notices/1", headers={"Accept": AP_JSON}).json()
    (attachment,) = note["attachment"]
    assert attachment["type"] == "Image"
    assert attachment["name"] == "Das Sommerfest im Hof"
    assert attachment["mediaType"] == "image/jpeg"
    assert (attachment["width"], attachment["height"]) == (800, 600)
    assert attachment["blurhash"]
    name = attachment["url"].rsplit("/", 1)[1]
    assert is_media_name(name) and "passwd" not in name
    served = board.get(f"/media/{name}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    page = board.get("/notices/1").text
    assert 'alt="Das Sommerfest im Hof"' in page


def test_upload__without_description_or_not_a_picture_stores_nothing(board: RunningBoard) -> None:
    missing_alt = publish_with(board, {"image1": ("a.jpg", jpeg_with_gps((20, 20)), "image/jpeg")})
    assert missing_alt.status_code == 400
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    fake = publish_with(board, {"image1": ("a.png", svg, "image/png")}, alt1="Bild")
    assert fake.status_code == 400
    assert board.rows("SELECT * FROM notices") == []
    assert board.rows("SELECT * FROM notice_images") == []


def test_media__serves_only_generated_names_of_existing_pictures(board: RunningBoard) -> None:
    for path in (
        "/media/aushang.sqlite3",
        "/media/..%2Faushang.sqlite3",
        "/media/" + "a" * 32 + ".jpg",
    ):
        assert board.get(path).status_code == 404


def test_delete__removes_the_picture_files(board: RunningBoard) -> None:
    publish_with(
        board, {"image1": ("a.jpg", jpeg_with_gps((20, 20)), "image/jpeg")}, alt1="Ein Bild"
    )
    media = board.config.data_dir / "media"
    assert len(list(media.iterdir())) == 1
    assert board.cli("delete", "1").returncode == 0
    assert list(media.iterdir()) == []


def test_cli__posts_pictures_with_descriptions(board: RunningBoard, tmp_path: Path) -> None:
    picture = tmp_path / "foto.jpg"
    picture.write_bytes(jpeg_with_gps((100, 80)))
    result = board.cli(
        "post", "--title", "Fundsache", "--body", "Schlüssel gefunden", "--type", "lost-found",
        "--image", str(picture), "--alt", "Ein Schlüsselbund",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert board.rows("SELECT alt FROM notice_images") == [{"alt": "Ein Schlüsselbund"}]
    missing = board.cli("post", "--title", "x", "--body", "y", "--image", str(picture))
    assert missing.returncode == 2 and "--alt" in missing.stderr
