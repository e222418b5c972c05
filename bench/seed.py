"""Seeded boards for the benchmarks: N published notices in the board's own schema.

Publishing 100,000 notices through the use case would take minutes, so one notice is published
the real way (`aushang post`), and its rows — the notice, its Create in `outbox_activities`, its
audit entry; the search index follows by the board's own trigger — serve as the template for
the others, written with SQL in one transaction. The result is cached under `.bench-cache/`,
keyed by the migrations, this module's seed version and the board's address, so reruns start
in a second.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
SEED_VERSION = "1"
USERNAME = "bench"
DB_NAME = "aushang.sqlite3"
SEARCH_WORD = "Nachbarschaft"  # in about 60 % of the seeded notices
SEARCH_SHARE = 0.6
TEMPLATE_TITLE = "TEMPLATETITLE"
TEMPLATE_BODY = "TEMPLATEBODY"
# Seeded notices are spaced one minute apart, the newest this long before the seeding.
NEWEST_AGE = timedelta(hours=1)

WORDS = (
    "Hof Fest Kinder Garten Treffen Kaffee Kuchen Spende Fahrrad Werkstatt Bücher Tausch "
    "Mittwoch Freitag Samstag Abend Morgen Bürgerhaus Spielplatz Straße Hilfe Einkauf Nachbarn "
    "Musik Chor Flohmarkt Sprachcafé Beratung Sprechstunde Baum Pflanzen Müll Sammeln Nähen "
    "Reparatur Schule Sport Lauf Senioren Jugend Treff Raum Küche Suppe Brot Ausflug Park"
).split()
BOARD_TOML = """\
base_url = "{base_url}"
data_dir = "{data_dir}"
username = "{username}"
name = "Benchmark board"
summary = "A board seeded for the benchmarks."
language = "de"
timezone = "Europe/Berlin"

[contact]
email = "bench@bench.example"

[federation]
allow_private = [{allow}]
"""


def write_config(
    path: Path, base_url: str, data_dir: Path, allow_private: list[str] | None = None
) -> Path:
    """Write a board configuration for a benchmark run."""
    allow = ", ".join(json.dumps(a) for a in allow_private or [])
    path.write_text(
        BOARD_TOML.format(base_url=base_url, data_dir=data_dir, username=USERNAME, allow=allow)
    )
    return path


def aushang(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the installed `aushang` command; return its standard output."""
    command = [str(Path(sys.executable).with_name("aushang")), *args]
    environ = {**os.environ, "AUSHANG_ADMIN_PASSWORD": "bench-Passw0rd!", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, env=environ, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stderr or done.stdout}")
    return done.stdout


def schema_key(base_url: str) -> str:
    """What a cached board depends on: the migrations, the seeding and the address."""
    digest = hashlib.sha256(f"{SEED_VERSION} {base_url}".encode())
    for folder in (ROOT / "federation" / "migrations", ROOT / "noticeboard" / "migrations"):
        for sql in sorted(folder.glob("*.sql")):
            digest.update(sql.name.encode() + sql.read_bytes())
    return digest.hexdigest()[:16]


def seeded_board(notices: int, base_url: str, cache: Path = CACHE) -> Path:
    """The data folder of a board with `notices` published notices (built once, then cached)."""
    folder = cache / schema_key(base_url) / f"board-{notices}"
    if (folder / "complete").exists():
        return folder / "data"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data = folder / "data"
    config = write_config(folder / "board.toml", base_url, data)
    aushang("init", "--instance", str(config), "--admin", "admin")
    aushang("post", "--instance", str(config), "--title", TEMPLATE_TITLE, "--body", TEMPLATE_BODY)
    fill(data / DB_NAME, notices, base_url)
    (folder / "complete").write_text(f"{notices}\n")
    return data


def copy_board(source: Path, target: Path) -> Path:
    """A fresh copy of a seeded data folder for one run (runs write to it)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def fill(db_path: Path, notices: int, base_url: str) -> None:
    """Replace the template notice by `notices` notices built from its rows."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        template = conn.execute(
            "SELECT * FROM notices WHERE title = ?", (TEMPLATE_TITLE,)
        ).fetchone()
        activity = conn.execute(
            "SELECT * FROM outbox_activities WHERE object_id = ?", (template["ap_id"],)
        ).fetchone()
        audit = conn.execute(
            "SELECT * FROM audit_log WHERE target = ?", (template["ap_id"],)
        ).fetchone()
        with conn:
            _remove_template(conn, template["id"], template["ap_id"])
            _insert(conn, notices, dict(template), dict(activity), dict(audit), base_url)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _remove_template(conn: sqlite3.Connection, notice_id: int, ap_id: str) -> None:
    conn.execute("DELETE FROM outbox_activities WHERE object_id = ?", (ap_id,))
    conn.execute("DELETE FROM audit_log WHERE target = ?", (ap_id,))
    conn.execute("DELETE FROM notices WHERE id = ?", (notice_id,))
    conn.execute("DELETE FROM notice_search WHERE rowid = ?", (notice_id,))


def notice_text(number: int) -> tuple[str, str]:
    """A notice's title and Markdown body; the search word in about 60 % of them."""
    rng = random.Random(number)
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 60))]
    if rng.random() < SEARCH_SHARE:
        words.insert(rng.randrange(len(words)), SEARCH_WORD)
    return title, " ".join(words) + "."


def _insert(
    conn: sqlite3.Connection,
    count: int,
    template: dict[str, object],
    activity: dict[str, object],
    audit: dict[str, object],
    base_url: str,
) -> None:
    from federation.database import to_db_time

    body = json.loads(str(activity["body"]))
    template_html = str(template["body_html"])
    newest = datetime.now(UTC).replace(microsecond=0) - NEWEST_AGE
    notice_columns = [c for c in template if c != "id"]
    notice_rows, activity_rows, audit_rows = [], [], []
    for number in range(1, count + 1):
        title, body_md = notice_text(number)
        body_html = f"<p>{html.escape(body_md, quote=False)}</p>\n"
        moment = newest - timedelta(minutes=count - number)
        published = to_db_time(moment)
        ap_id = f"{base_url}/notices/{number}"
        activity_id = f"{ap_id}/activity"
        values = {
            **template,
            "title": title,
            "body_md": body_md,
            "body_html": body_html,
            "ap_id": ap_id,
            "create_activity_id": activity_id,
            "published": published,
        }
        notice_rows.append((number, *(values[c] for c in notice_columns)))
        activity_rows.append(
            (
                activity_id,
                activity["actor"],
                activity["type"],
                ap_id,
                _activity_body(body, template_html, number, title, body_md, body_html, moment),
                activity["public"],
                published,
            )
        )
        audit_rows.append((published, audit["staff"], audit["action"], ap_id, audit["reason"]))
    names = ", ".join(["id", *notice_columns])
    marks = ", ".join("?" for _ in range(len(notice_columns) + 1))
    conn.executemany(f"INSERT INTO notices ({names}) VALUES ({marks})", notice_rows)
    conn.executemany(
        "INSERT INTO outbox_activities (id, actor, type, object_id, body, public, published) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        activity_rows,
    )
    conn.executemany(
        "INSERT INTO audit_log (created, staff, action, target, reason) VALUES (?, ?, ?, ?, ?)",
        audit_rows,
    )


def _activity_body(
    template: dict[str, object],
    template_html: str,
    number: int,
    title: str,
    body_md: str,
    body_html: str,
    moment: datetime,
) -> str:
    """The template's Create with this notice's ids, text and time."""
    text = json.dumps(template, ensure_ascii=False)
    text = text.replace("/notices/1/", f"/notices/{number}/").replace(
        '/notices/1"', f'/notices/{number}"'
    )
    activity = json.loads(text)
    note = activity["object"]
    escaped_title = html.escape(title, quote=False)
    content = (
        str(note["content"])
        .replace(TEMPLATE_TITLE, escaped_title)
        .replace(template_html, body_html)
    )
    note["content"] = content
    note["contentMap"] = {k: content for k in note.get("contentMap", {})}
    note["noticeTitle"] = title
    note["source"] = {**note["source"], "content": body_md}
    note["published"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(activity, ensure_ascii=False)
