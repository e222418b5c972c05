"""Pictures: checked by their content, stripped of all metadata, resized, stored under new names,
with smaller copies (variants) for small screens and slow connections."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from noticeboard.i18n import N_

if TYPE_CHECKING:
    from PIL import Image

# Pillow and blurhash are imported where a picture is stored: pages only link to the files.

MAX_IMAGES = 4
MAX_UPLOAD = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
MAX_SIDE = 1600
# Widths of the smaller copies; browsers choose by screen (srcset). Never larger than the picture.
VARIANT_WIDTHS = (480, 960)
ALT_MAX = 1500
# What we accept, by what the bytes are (never by the file name), and what we store.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF"}
KIND_OF_EXTENSION = {extension: kind for kind, (_, extension) in FORMATS.items()}


class InvalidImage(ValueError):
    """A picture that cannot be used; `message` is a message id for the person uploading."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Variant:
    """A smaller copy of a picture: `<name>-<width>.<extension>` beside it."""

    file: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    file: str
    media_type: str
    width: int
    height: int
    alt: str
    blurhash: str | None
    variants: tuple[Variant, ...] = ()


def check_alt(alt: str) -> str:
    text = " ".join(alt.split())
    if not text:
        raise InvalidImage(N_("Please describe each picture for people who cannot see it."))
    if len(text) > ALT_MAX:
        raise InvalidImage(N_("The picture description is too long (at most 1500 characters)."))
    return text


def store_image(data: bytes, alt: str, media_dir: Path) -> StoredImage:
    """Decode, clean and save a picture; the name is generated, the type sniffed."""
    description = check_alt(alt)
    if len(data) > MAX_UPLOAD:
        raise InvalidImage(N_("The picture is too large (at most 10 MB)."))
    from PIL import ImageOps

    image = _open(data)
    image = ImageOps.exif_transpose(image)  # keep the orientation, drop the EXIF data itself
    image = _in_srgb(image)
    if image.mode not in ("RGB", "RGBA"):
        transparent = "transparency" in image.info or image.mode in ("P", "LA", "PA")
        image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    image = _pixels_only(image)
    kind = "PNG" if image.mode == "RGBA" else "JPEG"
    media_type, extension = FORMATS[kind]
    stem = secrets.token_hex(16)
    name = f"{stem}.{extension}"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / name).write_bytes(_encode(image, kind))
    variants = _save_variants(image, stem, kind, media_dir)
    return StoredImage(
        name, media_type, image.width, image.height, description, _blurhash(image), variants
    )


def make_variants(file: str, media_dir: Path) -> tuple[Variant, ...]:
    """The smaller copies of a stored picture (one stored before the board made them), made
    from its pixels as stored, which were cleaned when it came in."""
    stem, _, extension = file.partition(".")
    kind = KIND_OF_EXTENSION.get(extension)
    if kind is None or not is_media_name(file):
        raise InvalidImage(N_("This file is not a picture we can use."))
    try:
        data = (media_dir / file).read_bytes()
    except OSError:
        raise InvalidImage(N_("This file is not a picture we can use.")) from None
    image = _open(data)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.mode in ("LA", "PA", "P") else "RGB")
    return _save_variants(_pixels_only(image), stem, kind, media_dir)


def variant_files(file: str) -> list[str]:
    """The names the smaller copies of a picture may have (to delete them with it)."""
    stem, _, extension = file.partition(".")
    return [f"{stem}-{width}.{extension}" for width in VARIANT_WIDTHS]


def _save_variants(
    image: Image.Image, stem: str, kind: str, media_dir: Path
) -> tuple[Variant, ...]:
    """Smaller copies of a cleaned picture, each re-encoded from its pixels only (rule 33)."""
    from PIL import Image

    extension = FORMATS[kind][1]
    made = []
    for width in VARIANT_WIDTHS:
        if width >= image.width:
            break  # never enlarged
        height = max(1, round(image.height * width / image.width))
        small = _pixels_only(image.resize((width, height), Image.Resampling.LANCZOS))
        name = f"{stem}-{width}.{extension}"
        (media_dir / name).write_bytes(_encode(small, kind))
        made.append(Variant(name, width, height))
    return tuple(made)


def _encode(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "JPEG":
        image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    else:
        image.save(buffer, kind, optimize=True)
    return buffer.getvalue()


def _in_srgb(image: Image.Image) -> Image.Image:
    """The picture's colours moved into sRGB, which browsers assume when there is no profile,
    so that the profile itself (it may name the camera or the editor) can go (rule 33)."""
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, profile, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels as they are
    return converted if converted is not None else image


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image of the same pixels and nothing else: Pillow writes back what `info` holds
    (a JPEG comment, the ICC profile, XMP, PNG text), and a fresh image holds nothing."""
    from PIL import Image

    return Image.frombytes(image.mode, image.size, image.tobytes())


def _open(data: bytes) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    unusable = InvalidImage(N_("This file is not a picture we can use."))
    bombs = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, *bombs):
            raise unusable from None
        if image.format not in ACCEPTED:
            raise InvalidImage(N_("Please use a JPEG, PNG, WebP or GIF picture."))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidImage(N_("The picture has too many pixels."))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, *bombs):
            raise unusable from None
    return image


def _blurhash(image: Image.Image) -> str | None:
    import blurhash

    small = image.convert("RGB").resize((32, 32))
    pixels = [[small.getpixel((x, y)) for x in range(32)] for y in range(32)]
    return str(blurhash.encode(pixels, components_x=4, components_y=3))


def is_media_name(name: str) -> bool:
    """Tell whether a path segment is one of our generated file names, a picture's or one of
    its variants' (nothing else is served)."""
    stem, _, extension = name.partition(".")
    stem, dash, width = stem.partition("-")
    return (
        len(stem) == 32
        and all(c in "0123456789abcdef" for c in stem)
        and extension in KIND_OF_EXTENSION
        and (not dash or width in {str(w) for w in VARIANT_WIDTHS})
    )
