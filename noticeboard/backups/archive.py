"""The backup archive: a gzipped tar of the database copy, the pictures and the instance file,
with a manifest of sha256 checksums. Written under a temporary name and renamed only when
complete, so an interrupted backup never leaves a file that looks like a good one."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "aushang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database/aushang.sqlite3"
INSTANCE = "instance.toml"
MEDIA = "media/"
PARTIAL = ".partial"
CHUNK = 1 << 20


class ArchiveError(ValueError):
    """An archive that cannot be used, with a reason for humans."""


@dataclass(frozen=True)
class Part:
    """One file of the archive: its name inside the archive and where it is read from."""

    name: str
    source: Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(out: Path, manifest: dict[str, Any], parts: list[Part]) -> dict[str, Any]:
    """Write the archive to `out` atomically; the manifest gets every part's checksum and
    goes last, so a cut-off archive has none. Return the manifest written."""
    partial = out.with_name(out.name + PARTIAL)
    checksums: dict[str, dict[str, Any]] = {}
    try:
        with _private_file(partial) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for part in parts:
                entry = _add_file(tar, part)
                if entry is not None:
                    checksums[part.name] = entry
            manifest = {**manifest, "parts": checksums}
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
        _fsync_dir(out.parent)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _private_file(path: Path) -> BinaryIO:
    """Open a new file only its owner can read: the archive holds the board's private keys."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def _add_file(tar: tarfile.TarFile, part: Part) -> dict[str, Any] | None:
    try:
        data = part.source.read_bytes()
    except FileNotFoundError:  # a picture deleted since the database was copied
        return None
    _add_bytes(tar, part.name, data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def media_parts(media_dir: Path) -> list[Part]:
    if not media_dir.is_dir():
        return []
    return [
        Part(MEDIA + path.name, path)
        for path in sorted(media_dir.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, checked for shape (not yet the checksums)."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            member = tar.getmember(MANIFEST)
            file = tar.extractfile(member)
            manifest = json.loads(file.read() if file else b"")
    except FileNotFoundError as exc:
        raise ArchiveError(f"no such file: {archive}") from exc
    except KeyError as exc:
        raise ArchiveError(f"{archive} has no manifest: not a complete Aushang backup") from exc
    except (OSError, tarfile.TarError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{archive} is damaged or not an Aushang backup ({exc})") from exc
    _check_manifest(manifest)
    return manifest  # type: ignore[no-any-return]


def _check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("the archive's manifest is not one of an Aushang backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"backup format {manifest.get('format_version')!r} is not known to this version"
        )
    parts = manifest.get("parts")
    if not isinstance(parts, dict) or DATABASE not in parts:
        raise ArchiveError("the manifest lists no database")
    for name, entry in parts.items():
        if not _safe_name(name) or not isinstance(entry, dict) or "sha256" not in entry:
            raise ArchiveError(f"the manifest lists an unusable part: {name!r}")


def _safe_name(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    if name in (DATABASE, INSTANCE):
        return True
    rest = name.removeprefix(MEDIA)
    return name.startswith(MEDIA) and rest not in ("", ".", "..") and "/" not in rest


def extract_verified(archive: Path, manifest: dict[str, Any], target: Path) -> None:
    """Extract every part into `target`, checking each against its checksum; raise
    ArchiveError (and leave `target` removed) on the first mismatch or missing part."""
    parts: dict[str, Any] = manifest["parts"]
    seen: set[str] = set()
    target.mkdir(mode=0o700)
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member, file in _members(tar):
                if member.name == MANIFEST:
                    continue
                if member.name not in parts or member.name in seen:
                    raise ArchiveError(f"the archive holds {member.name!r}, not in its manifest")
                _extract_one(file, target / member.name, parts[member.name]["sha256"])
                seen.add(member.name)
        missing = sorted(set(parts) - seen)
        if missing:
            raise ArchiveError(f"the archive lacks {len(missing)} part(s), e.g. {missing[0]}")
    except (OSError, tarfile.TarError, EOFError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise ArchiveError(f"{archive} is damaged: {exc}") from exc
    except ArchiveError:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _members(tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, io.BufferedReader]]:
    for member in tar:
        if not member.isfile():
            raise ArchiveError(f"the archive holds {member.name!r}, which is not a plain file")
        file = tar.extractfile(member)
        assert file is not None
        yield member, file  # type: ignore[misc]


def _extract_one(file: Any, path: Path, expected: str) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    digest = hashlib.sha256()
    with _private_file(path) as out:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected:
        raise ArchiveError(f"checksum mismatch for {path.name}: the archive is damaged")
