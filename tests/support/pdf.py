"""Read a PDF as a person would: its text (pdftotext), its pages as pictures (pdftoppm), and
every QR code on them (zbar)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops
from pyzbar.pyzbar import ZBarSymbol, decode


def pdf_text(pdf: bytes) -> str:
    """The text in reading order, every run of white space (line breaks too) as one space."""
    return " ".join(_run(["pdftotext", "-", "-"], pdf).decode("utf-8").split())


def page_count(pdf: bytes) -> int:
    info = _run(["pdfinfo", "-"], pdf).decode("utf-8")
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def page_sizes_mm(pdf: bytes) -> tuple[float, float]:
    info = _run(["pdfinfo", "-"], pdf).decode("utf-8")
    match = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    assert match, info
    return float(match.group(1)) * 25.4 / 72, float(match.group(2)) * 25.4 / 72


def pages(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    """Every page as an RGB picture."""
    with tempfile.TemporaryDirectory(prefix="aushang-pdf-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", str(source), str(Path(tmp) / "page")],
            check=True,
            timeout=60,
        )
        files = sorted(Path(tmp).glob("page-*.png"))
        return [Image.open(f).convert("RGB") for f in files]


def qr_codes(pdf: bytes) -> list[str]:
    """The text of every QR code on every page, in the order zbar finds them."""
    return [
        symbol.data.decode("utf-8")
        for page in pages(pdf)
        for symbol in decode(page, symbols=[ZBarSymbol.QRCODE])
    ]


def colour_difference(page: Image.Image) -> int:
    """How far any pixel is from grey: the largest difference between its red, green, blue."""
    red, green, blue = page.split()
    return max(
        ImageChops.difference(a, b).getextrema()[1]  # type: ignore[index]
        for a, b in ((red, green), (green, blue), (red, blue))
    )


@dataclass(frozen=True)
class Word:
    text: str
    height: float  # in points: the line box of the font, about 1.16 × its size for DejaVu


def words(pdf: bytes) -> list[Word]:
    """Every word with the height of its box (pdftotext -bbox)."""
    html = _run(["pdftotext", "-bbox", "-", "-"], pdf).decode("utf-8")
    found = re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html
    )
    return [Word(text, float(y2) - float(y1)) for y1, y2, text in found]


def _run(argv: list[str], data: bytes) -> bytes:
    return subprocess.run(argv, input=data, capture_output=True, check=True, timeout=60).stdout
