"""Starting the board loads what serving pages needs, and not the large libraries of rare tasks
(feeds, calendars, pictures, printing, Markdown, cleaning HTML): they load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("lxml", "feedgen", "icalendar", "PIL", "blurhash", "weasyprint", "segno", "markdown_it")
LAZY_TOO = ("bleach", "html5lib")


def loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


def test_startup__importing_the_app_leaves_rare_libraries_unloaded() -> None:
    loaded = loaded_after("import noticeboard.app, noticeboard.cli")

    assert "starlette" in loaded, "the probe sees what the import loaded"
    assert sorted(loaded & {*LAZY, *LAZY_TOO}) == []


def test_startup__the_rare_libraries_load_when_used() -> None:
    loaded = loaded_after(
        "from noticeboard.notices.text import render_markdown\n"
        "from noticeboard.paper.qr import qr_svg\n"
        "render_markdown('*hello* https://example.org')\n"
        "qr_svg('https://example.org', label='x')"
    )

    assert {"markdown_it", "bleach", "segno"} <= loaded
