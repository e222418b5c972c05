"""Where the templates, static files and translations are: inside the installed package (a
wheel puts them in noticeboard/share/), else in the source checkout beside the package."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = PACKAGE_DIR / "share"
CHECKOUT = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """The folder `templates`, `static` or `locales` of this installation."""
    installed = INSTALLED / name
    return installed if installed.is_dir() else CHECKOUT / name
