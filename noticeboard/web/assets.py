"""The board's static files under versioned addresses, kept by browsers for a year.

Templates link `static_url("style.css")`, which reads `/static/style.css?v=<hash of the
content>`. An answer to the current version's address may be kept for a year without asking
again; when the file changes, so does its address. Any other address of the file (no version,
or one from before an upgrade) gets the current file, kept for a few minutes only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from noticeboard.resources import resource_dir

STATIC_DIR = resource_dir("static")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
_versions: dict[Path, tuple[int, int, str]] = {}  # file -> (mtime_ns, size, version)


def asset_version(path: Path) -> str | None:
    """The version of a file: the start of its content's SHA-256, or None if there is none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    known = _versions.get(path)
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _versions[path] = (stat.st_mtime_ns, stat.st_size, version)
    return version


def static_url(name: str, static_dir: Path = STATIC_DIR) -> str:
    """The address of a static file, with its version: `/static/style.css?v=1a2b3c4d5e6f`."""
    version = asset_version(static_dir / name)
    return f"/static/{name}" if version is None else f"/static/{name}?v={version}"


class StaticAssets(StaticFiles):
    """Static files (with ETag and 304 as before) whose caching follows the version asked for."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        super().__init__(directory=directory)
        self.root = Path(directory)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            asked = QueryParams(scope.get("query_string", b"")).get("v")
            current = asset_version(self.root / path)
            fresh = asked is not None and asked == current
            response.headers["cache-control"] = IMMUTABLE if fresh else SHORT
        return response
