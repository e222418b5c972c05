"""Backups and restores through the command line, and the nightly backup of the server's loop."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import shutil
import sqlite3
import tarfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from noticeboard.backups import archive as backup_archive
from tests.noticeboard.boards import AP_JSON, BoardFactory, RunningBoard
from tests.noticeboard.test_participation_web import submit
from tests.noticeboard.test_upgrades import ALL, build, fill
from tests.support.cli import run_in_process
from tests.support.fediverse import Fediverse

INSTANCE_ARGS = ("--instance", "instances/nordstadt.toml")


def picture(tmp_path: Path) -> Path:
    path = tmp_path / "bild.png"
    Image.new("RGB", (40, 30), (200, 40, 40)).save(path, "PNG")
    return path


def board_with_everything(board: RunningBoard, fediverse: Fediverse, tmp_path: Path) -> None:
    """A notice with a picture, an accepted follower, and one delivery its server refused."""
    alice = fediverse.actor("alice")
    alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now)
    board.drain()
    posted = board.cli(
        "post", "--title", "Flohmarkt", "--body", "Am Samstag",
        "--image", str(picture(tmp_path)), "--alt", "Ein rotes Bild",
    )  # fmt: skip
    assert posted.returncode == 0, posted.stderr
    board.clock.set(datetime.now(UTC) + timedelta(seconds=1))  # the command line's clock is real
    fediverse.remote.default_post_status = 503  # alice's server is down
    board.drain()
    assert submit(board).status_code == 303  # a resident's notice waits in the queue


def restore(board: RunningBoard, archive: Path, *extra: str) -> tuple[int, str]:
    result = board.cli("restore", str(archive), *extra)
    return result.returncode, result.stdout + result.stderr


def test_backup__restored_board_is_the_same_actor_and_resumes_its_deliveries(
    board: RunningBoard, fediverse: Fediverse, tmp_path: Path
) -> None:
    board_with_everything(board, fediverse, tmp_path)
    key_before = board.get_json("/users/nordstadt")["publicKey"]["publicKeyPem"]
    [waiting] = [d for d in board.deliveries() if d["state"] == "pending"]
    assert waiting["attempts"] == 1
    archive = tmp_path / "board.tar.gz"

    made = board.cli("backup", "--out", str(archive))
    board.stop()
    shutil.move(board.config.data_dir, tmp_path / "the-lost-server")
    code, said = restore(board, archive)
    board.start()
    board.client = board.new_client()
    fediverse.remote.default_post_status = 202  # alice's server is back
    board.drain()

    assert made.returncode == 0, made.stderr
    assert code == 0, said
    assert "Deliveries waiting to be sent: 1" in said
    actor = board.get_json("/users/nordstadt")
    assert actor["publicKey"]["publicKeyPem"] == key_before
    note = board.get_json("/notices/1")
    picture_path = note["attachment"][0]["url"].removeprefix(board.base_url)
    assert "Flohmarkt" in note["content"]
    assert board.get(picture_path).headers["content-type"] == "image/jpeg"
    assert [f["actor_id"] for f in board.followers()] == [fediverse.actor("alice").id]
    assert [d["state"] for d in board.deliveries()] == ["sent", "sent"]
    board.login()  # the staff accounts came along
    assert [i["kind"] for i in json.loads(board.cli("queue", "list", "--json").stdout)] == [
        "submission"
    ]


def test_backup__archive_holds_manifest_with_checksums_and_private_permissions(
    board: RunningBoard, fediverse: Fediverse, tmp_path: Path
) -> None:
    board_with_everything(board, fediverse, tmp_path)
    archive = tmp_path / "board.tar.gz"

    board.cli("backup", "--out", str(archive))

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert archive.stat().st_mode & 0o077 == 0
    assert names[-1] == "manifest.json"
    assert manifest["board"]["handle"] == board.config.handle
    assert manifest["schema"]["noticeboard"] >= 9
    assert "noticeboard/0001_board.sql" in manifest["schema"]["migrations"]
    assert set(manifest["parts"]) == {n for n in names if n != "manifest.json"}
    assert {"database/aushang.sqlite3", "instance.toml"} < set(manifest["parts"])
    assert any(name.startswith("media/") for name in manifest["parts"])
    assert manifest["keys"][board.actor_id] == f"{board.actor_id}#main-key"


def test_restore__refuses_a_folder_that_is_not_empty_unless_forced(
    board: RunningBoard, tmp_path: Path
) -> None:
    archive = tmp_path / "board.tar.gz"
    board.cli("backup", "--out", str(archive))
    board.cli("post", "--title", "Nach der Sicherung", "--body", "Text")
    board.stop()

    refused, said = restore(board, archive)
    forced, _ = restore(board, archive, "--force")

    assert refused == 2 and "is not empty" in said and "--force" in said
    assert forced == 0
    [aside] = board.config.data_dir.glob("before-restore-*")
    with closing(sqlite3.connect(aside / "aushang.sqlite3")) as old:
        assert old.execute("SELECT count(*) FROM notices").fetchone()[0] == 1
    assert board.value("SELECT count(*) FROM notices") == 0


def rewrite(
    archive: Path, out: Path, change: dict[str, bytes], *, fix_manifest: bool = True
) -> None:
    """Copy an archive, replacing the contents of some parts (and, with `fix_manifest`, their
    checksums in the manifest, as a well-made archive of other contents would have)."""
    with tarfile.open(archive) as old:
        contents = {m.name: old.extractfile(m).read() for m in old}  # type: ignore[union-attr]
    contents.update(change)
    manifest = json.loads(contents.pop("manifest.json"))
    if fix_manifest:
        for name in change:
            manifest["parts"][name]["sha256"] = hashlib.sha256(change[name]).hexdigest()
    contents["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(out, "w:gz") as new:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_restore__checks_every_checksum_before_touching_the_folder(
    board: RunningBoard, tmp_path: Path
) -> None:
    archive, damaged = tmp_path / "board.tar.gz", tmp_path / "damaged.tar.gz"
    board.cli("backup", "--out", str(archive))
    rewrite(archive, damaged, {"instance.toml": b"name = 'Changed'\n"}, fix_manifest=False)
    board.stop()
    shutil.rmtree(board.config.data_dir)

    code, said = restore(board, damaged)

    assert code == 2 and "checksum mismatch" in said
    assert not board.config.data_dir.exists() or not any(board.config.data_dir.iterdir())


def test_restore__a_cut_off_archive_is_never_taken_for_a_good_one(
    board: RunningBoard, tmp_path: Path
) -> None:
    archive, cut = tmp_path / "board.tar.gz", tmp_path / "cut.tar.gz"
    board.cli("backup", "--out", str(archive))
    raw = gzip.decompress(archive.read_bytes())
    cut.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    board.stop()
    shutil.rmtree(board.config.data_dir)

    code, said = restore(board, cut)

    assert code == 2 and ("no manifest" in said or "damaged" in said), said


def test_restore__refuses_a_backup_of_another_address(board: RunningBoard, tmp_path: Path) -> None:
    archive = tmp_path / "board.tar.gz"
    board.cli("backup", "--out", str(archive))
    env = {**board.cli_env, "AUSHANG_BASE_URL": "https://elsewhere.example",
           "AUSHANG_DATA_DIR": str(tmp_path / "new")}  # fmt: skip

    result = run_in_process(["restore", str(archive), *INSTANCE_ARGS], env)

    assert result.returncode == 2
    assert "base_url" in result.stderr and board.base_url in result.stderr


def test_database_newer_than_the_code__is_refused_with_a_clear_message(
    board: RunningBoard, tmp_path: Path
) -> None:
    archive, newer = tmp_path / "board.tar.gz", tmp_path / "newer.tar.gz"
    board.cli("backup", "--out", str(archive))
    with closing(sqlite3.connect(board.config.db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO schema_migrations (name, applied) VALUES ('noticeboard/9999_future.sql', "
            "'2030-01-01T00:00:00.000000Z')"
        )
    board.stop()
    rewrite(archive, newer, {"database/aushang.sqlite3": board.config.db_path.read_bytes()})

    posting = board.cli("post", "--title", "T", "--body", "B")
    shutil.rmtree(board.config.data_dir)
    code, said = restore(board, newer)

    assert posting.returncode == 2
    assert "newer Aushang" in posting.stderr and "9999_future" in posting.stderr
    assert code == 2 and "newer Aushang" in said
    assert not board.config.db_path.exists()


def test_db_check__reports_sound_and_broken_databases(board: RunningBoard) -> None:
    sound = board.cli("db", "check")
    with closing(sqlite3.connect(board.config.db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO notice_images (notice_id, position, file, media_type, width, height, "
            "alt) VALUES (999, 0, 'x.png', 'image/png', 1, 1, 'x')"
        )
    broken = board.cli("db", "check")

    assert sound.returncode == 0 and "sound" in sound.stdout
    assert broken.returncode == 1
    assert "notice_images row" in broken.stdout and "notices" in broken.stdout


def test_nightly_backup__runs_once_a_night_and_keeps_the_last_n(make_board: BoardFactory) -> None:
    board = make_board(AUSHANG_BACKUP_HOUR="10", AUSHANG_BACKUP_KEEP="2")  # START is 10:00 here
    folder = board.config.data_dir / "backups"

    board.drain()
    board.drain()
    first = sorted(folder.iterdir())
    for _ in range(3):
        board.clock.advance(days=1)
        board.drain()
    kept = sorted(folder.iterdir())
    health = board.get("/healthz").json()

    assert len(first) == 1 and first[0].name.endswith(".tar.gz")
    assert len(kept) == 2 and first[0] not in kept
    assert kept[-1].name == "aushang-nordstadt-20260305-100000.tar.gz"
    assert health["backup"]["state"] == "ok"
    assert health["backup"]["last_success"].startswith("2026-03-05T09:00")


@pytest.mark.logs_errors("a failed nightly backup is logged as an error for the admin")
def test_nightly_backup__a_failure_shows_on_the_dashboard_and_in_healthz(
    make_board: BoardFactory, caplog: pytest.LogCaptureFixture
) -> None:
    board = make_board(AUSHANG_BACKUP_HOUR="10")
    board.config.data_dir.joinpath("backups").write_text("a file where the folder should be")
    staff = board.login()

    board.drain()
    dashboard = staff.get("/staff")
    health = board.get("/healthz").json()

    assert 'id="backup-failed"' in dashboard.text
    assert "Die letzte Sicherung ist am" in dashboard.text
    assert health["backup"]["state"] == "failing"
    assert health["status"] == "ok"
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in failures] == ["nightly backup"]


def test_healthz__reports_the_delivery_backlog_without_personal_data(
    board: RunningBoard, fediverse: Fediverse, tmp_path: Path
) -> None:
    board_with_everything(board, fediverse, tmp_path)
    board.clock.advance(timedelta(days=2))

    response = board.get("/healthz")

    assert response.headers["cache-control"] == "no-store"
    assert response.json()["deliveries"] == {"pending": 1, "due": 1}
    assert "alice" not in response.text and "127.0.0.1" not in response.text
    assert board.get("/users/nordstadt", headers={"Accept": AP_JSON}).status_code == 200


def test_doctor__names_the_servers_that_fail_to_take_deliveries(
    board: RunningBoard, fediverse: Fediverse, tmp_path: Path
) -> None:
    board_with_everything(board, fediverse, tmp_path)
    env = {**board.cli_env, "AUSHANG_DOCTOR_CLOCK_SERVER": "http://127.0.0.1:9/"}

    result = run_in_process(["doctor", *INSTANCE_ARGS], env)

    assert f"deliveries are failing to 1 server(s): {fediverse.remote.authority} (1)" in (
        result.stdout
    )
    assert "[ok] disk:" in result.stdout and "[ok] backup:" not in result.stdout


def test_restore__upgrades_a_backup_of_an_older_schema(board: RunningBoard, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    build(old, len(ALL) - 1, tmp_path / "migrations")
    fill(old)
    archive = tmp_path / "old.tar.gz"
    manifest = {
        "format": backup_archive.FORMAT,
        "format_version": backup_archive.FORMAT_VERSION,
        "created": "2025-01-01T00:00:00.000000Z",
        "board": {"handle": board.config.handle, "base_url": board.base_url},
        "keys": {},
    }
    backup_archive.write_archive(
        archive, manifest, [backup_archive.Part(backup_archive.DATABASE, old)]
    )
    board.stop()
    shutil.rmtree(board.config.data_dir)

    code, said = restore(board, archive)

    assert code == 0, said
    assert f"Upgraded the database: {ALL[-1][0]}" in said
    assert board.value("SELECT count(*) FROM schema_migrations") == len(ALL)
