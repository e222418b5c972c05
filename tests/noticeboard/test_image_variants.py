"""Smaller copies of pictures: made at upload (never enlarged, as clean as the picture),
offered with srcset/sizes and width/height, served for a year, deleted with the notice, and
made later for pictures stored by an older version (`aushang images rebuild`)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms

from noticeboard.notices.images import (
    MAX_SIDE,
    VARIANT_WIDTHS,
    InvalidImage,
    is_media_name,
    make_variants,
    store_image,
)
from tests.noticeboard.boards import AP_JSON, RunningBoard
from tests.noticeboard.test_images import jpeg_with_gps, publish_with

IMG = re.compile(r"<img\b[^>]*>")


def png_with_alpha(size: tuple[int, int]) -> bytes:
    image = Image.new("RGBA", size, (10, 200, 30, 128))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_profile_and_comment(size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (200, 100, 50))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", icc_profile=profile, comment=b"Kamera von Frau Muster")
    return buffer.getvalue()


def assert_clean(path: Path) -> None:
    with Image.open(path) as saved:
        assert dict(saved.getexif()) == {}
        assert "icc_profile" not in saved.info and "comment" not in saved.info
        assert "exif" not in saved.info and "xmp" not in saved.info


def test_store_image__makes_smaller_copies_of_the_right_sizes_without_metadata(
    tmp_path: Path,
) -> None:
    stored = store_image(jpeg_with_gps((3000, 2000)), "Hof", tmp_path)
    assert (stored.width, stored.height) == (MAX_SIDE, 1067)
    assert [(v.width, v.height) for v in stored.variants] == [(480, 320), (960, 640)]
    stem = stored.file.removesuffix(".jpg")
    assert [v.file for v in stored.variants] == [f"{stem}-480.jpg", f"{stem}-960.jpg"]
    for variant in stored.variants:
        assert is_media_name(variant.file)
        with Image.open(tmp_path / variant.file) as saved:
            assert saved.format == "JPEG" and saved.size == (variant.width, variant.height)
        assert_clean(tmp_path / variant.file)
    assert_clean(tmp_path / stored.file)


def test_store_image__copies_of_a_picture_with_a_profile_are_in_srgb_and_clean(
    tmp_path: Path,
) -> None:
    stored = store_image(jpeg_with_profile_and_comment((1200, 900)), "Profil", tmp_path)
    assert [v.width for v in stored.variants] == [480, 960]
    for name in [stored.file, *(v.file for v in stored.variants)]:
        assert_clean(tmp_path / name)


@pytest.mark.parametrize(
    ("width", "expected"),
    [(3000, [480, 960]), (961, [480, 960]), (960, [480]), (700, [480]), (480, []), (200, [])],
)
def test_store_image__never_enlarges(tmp_path: Path, width: int, expected: list[int]) -> None:
    stored = store_image(jpeg_with_gps((width, 100)), "Streifen", tmp_path)
    assert [v.width for v in stored.variants] == expected
    assert len(list(tmp_path.iterdir())) == 1 + len(expected)


def test_store_image__transparent_pictures_keep_png_copies(tmp_path: Path) -> None:
    stored = store_image(png_with_alpha((1000, 500)), "Logo", tmp_path)
    assert stored.media_type == "image/png"
    for variant in stored.variants:
        assert variant.file.endswith(".png")
        with Image.open(tmp_path / variant.file) as saved:
            assert saved.format == "PNG" and saved.mode == "RGBA"


def test_is_media_name__takes_only_the_copies_widths() -> None:
    stem = "a" * 32
    assert is_media_name(f"{stem}.jpg") and is_media_name(f"{stem}-480.png")
    for name in (f"{stem}-481.jpg", f"{stem}-.jpg", f"{stem}-480-960.jpg", f"{stem}-480.gif"):
        assert not is_media_name(name), name


def test_page__offers_srcset_and_sizes_and_every_img_has_width_and_height(
    board: RunningBoard,
) -> None:
    response = publish_with(
        board,
        {"image1": ("hof.jpg", jpeg_with_gps((2400, 1600)), "image/jpeg")},
        alt1="Der Hof im Sommer",
    )
    assert response.status_code == 303
    file = board.value("SELECT file FROM notice_images")
    stem = file.removesuffix(".jpg")
    reader = board.new_client()
    for path in ("/", "/notices/1"):
        tags = IMG.findall(reader.get(path).text)
        assert tags, path
        for tag in tags:
            assert re.search(r'\bwidth="\d+"', tag) and re.search(r'\bheight="\d+"', tag), tag
        (picture,) = [t for t in tags if "notice__image" in t]
        srcset = re.search(r'srcset="([^"]+)"', picture)
        assert srcset is not None, picture
        assert srcset.group(1) == ", ".join(
            [
                board.url(f"/media/{stem}-480.jpg") + " 480w",
                board.url(f"/media/{stem}-960.jpg") + " 960w",
                board.url(f"/media/{file}") + " 1600w",
            ]
        )
        assert 'sizes="(min-width: 46rem) 44rem, 100vw"' in picture
        assert f'src="{board.url("/media/" + file)}"' in picture
        assert 'width="1600" height="1067"' in picture
    for width in VARIANT_WIDTHS:
        served = reader.get(f"/media/{stem}-{width}.jpg")
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(served.content)).width == width


def test_fediverse_gets_the_full_picture_as_before(board: RunningBoard) -> None:
    publish_with(
        board, {"image1": ("a.jpg", jpeg_with_gps((2400, 1600)), "image/jpeg")}, alt1="Hof"
    )
    note = board.get("/notices/1", headers={"Accept": AP_JSON}).json()
    (attachment,) = note["attachment"]
    file = board.value("SELECT file FROM notice_images")
    assert attachment["url"] == board.url(f"/media/{file}")
    assert (attachment["width"], attachment["height"]) == (1600, 1067)
    assert attachment["blurhash"]


def test_delete__removes_the_copies_too(board: RunningBoard) -> None:
    publish_with(board, {"image1": ("a.jpg", jpeg_with_gps((2000, 1000)), "image/jpeg")}, alt1="B")
    media = board.config.data_dir / "media"
    assert len(list(media.iterdir())) == 3
    copy = board.value("SELECT variant FROM notice_image_variants WHERE width = 480")
    assert board.cli("delete", "1").returncode == 0
    assert list(media.iterdir()) == []
    assert board.rows("SELECT * FROM notice_image_variants") == []
    assert board.new_client().get(f"/media/{copy}").status_code == 404


def test_media__a_copy_name_without_a_recorded_copy_is_404(board: RunningBoard) -> None:
    publish_with(board, {"image1": ("a.jpg", jpeg_with_gps((300, 200)), "image/jpeg")}, alt1="K")
    file = board.value("SELECT file FROM notice_images")
    media = board.config.data_dir / "media"
    stray = media / file.replace(".jpg", "-480.jpg")
    stray.write_bytes((media / file).read_bytes())  # a file nobody recorded is not served
    assert board.new_client().get(f"/media/{stray.name}").status_code == 404


def as_stored_by_an_older_version(board: RunningBoard) -> list[str]:
    """Remove the copies as if the pictures had been stored before the board made them (the
    state migration 0014 leaves an upgraded board in: its table of copies is empty)."""
    media = board.config.data_dir / "media"
    copies = [r["variant"] for r in board.rows("SELECT variant FROM notice_image_variants")]
    for name in copies:
        (media / name).unlink()

    async def forget(state: Any) -> None:
        async with state.db.transaction() as conn:
            await conn.execute("DELETE FROM notice_image_variants")

    board.run_on_board(forget)
    return copies


def test_upgraded_board__serves_old_pictures_and_rebuild_adds_the_copies(
    board: RunningBoard, tmp_path: Path
) -> None:
    for n, size in enumerate([(2000, 1500), (700, 400), (300, 200)], start=1):
        picture = tmp_path / f"{n}.jpg"
        picture.write_bytes(jpeg_with_gps(size))
        posted = board.cli(
            "post", "--title", f"Bild {n}", "--body", "Text", "--image", str(picture), "--alt", "B"
        )
        assert posted.returncode == 0, posted.stderr
    copies = as_stored_by_an_older_version(board)
    assert len(copies) == 3
    reader = board.new_client()
    page = reader.get("/").text
    assert "srcset" not in page  # the pictures themselves, as before the upgrade
    for row in board.rows("SELECT file FROM notice_images"):
        assert reader.get(f"/media/{row['file']}").status_code == 200

    result = board.cli("images", "rebuild", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"pictures": 2, "files": 3, "unusable": []}
    assert sorted(
        r["variant"] for r in board.rows("SELECT variant FROM notice_image_variants")
    ) == (sorted(copies))
    for name in copies:
        assert_clean(board.config.data_dir / "media" / name)
        assert reader.get(f"/media/{name}").status_code == 200
    assert reader.get("/").text.count("srcset=") == 2
    again = board.cli("images", "rebuild")
    assert again.returncode == 0 and "0 picture(s)" in again.stdout


def test_rebuild__names_a_picture_whose_file_is_missing_and_exits_1(
    board: RunningBoard, tmp_path: Path
) -> None:
    picture = tmp_path / "a.jpg"
    picture.write_bytes(jpeg_with_gps((1200, 800)))
    board.cli("post", "--title", "Bild", "--body", "Text", "--image", str(picture), "--alt", "B")
    as_stored_by_an_older_version(board)
    file = board.value("SELECT file FROM notice_images")
    (board.config.data_dir / "media" / file).write_bytes(b"not a picture any more")
    result = board.cli("images", "rebuild")
    assert result.returncode == 1
    assert file in result.stdout and "cannot be read" in result.stdout
    assert board.rows("SELECT * FROM notice_image_variants") == []


def test_make_variants__refuses_names_that_are_not_ours(tmp_path: Path) -> None:
    with pytest.raises(InvalidImage):
        make_variants("../aushang.sqlite3", tmp_path)


def test_static_copy__shows_the_pictures_themselves(board: RunningBoard, tmp_path: Path) -> None:
    publish_with(board, {"image1": ("a.jpg", jpeg_with_gps((2000, 1000)), "image/jpeg")}, alt1="B")
    assert "srcset=" in board.new_client().get("/notices/1").text
    site = tmp_path / "site"
    result = board.cli("export", "--static", str(site))
    assert result.returncode == 0, result.stderr
    for page in (site / "index.html", site / "notices" / "1" / "index.html"):
        html = page.read_text(encoding="utf-8")
        assert "srcset=" not in html and "sizes=" not in html, page
        (src,) = re.findall(r'<img class="notice__image" src="([^"]+)"', html)
        assert (page.parent / src).resolve().is_file()
