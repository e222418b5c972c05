"""SQL of notices: the notices themselves, their pictures, translations and the search index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from federation.database import Database, Row, to_db_time


@dataclass(frozen=True)
class NewNotice:
    title: str
    body_md: str
    body_html: str
    category: str | None
    author_id: int | None
    kind: str = "announcement"
    valid_until: datetime | None = None
    lang: str | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None
    place_name: str | None = None
    place_address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None
    poll_multiple: int = 0
    poll_closes: datetime | None = None
    poll_web_votes: str = "anyone"
    done: datetime | None = None
    origin: str = "staff"
    submitted_by: str | None = None
    on_behalf_of: str | None = None
    consent_method: str | None = None
    consent_given: datetime | None = None
    consent_until: datetime | None = None
    origin_id: str | None = None
    origin_url: str | None = None
    origin_actor: str | None = None
    origin_author: str | None = None

    def columns(self) -> dict[str, object]:
        """The notice as column values, times in storage form."""
        return {
            name: to_db_time(value) if isinstance(value, datetime) else value
            for name, value in self.__dict__.items()
        }


async def insert_notice(conn: aiosqlite.Connection, notice: NewNotice, now: datetime) -> int:
    values = {**notice.columns(), "published": to_db_time(now)}
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = await conn.execute(
        f"INSERT INTO notices ({names}) VALUES ({marks})", tuple(values.values())
    )
    return int(cursor.lastrowid or 0)


async def set_notice_federation_ids(
    conn: aiosqlite.Connection, notice_id: int, ap_id: str, create_activity_id: str
) -> None:
    await conn.execute(
        "UPDATE notices SET ap_id = ?, create_activity_id = ? WHERE id = ?",
        (ap_id, create_activity_id, notice_id),
    )


async def set_notice_announce_id(
    conn: aiosqlite.Connection, notice_id: int, announce_id: str
) -> None:
    await conn.execute("UPDATE notices SET announce_id = ? WHERE id = ?", (announce_id, notice_id))


async def get_notice_in(conn: aiosqlite.Connection, notice_id: int) -> Row:
    """Read a notice inside the current transaction (it may not be committed yet)."""
    rows = list(await conn.execute_fetchall("SELECT * FROM notices WHERE id = ?", (notice_id,)))
    return rows[0]


async def get_notice_including_deleted(db: Database, notice_id: int) -> Row | None:
    """A notice even if deleted: its URL then answers 410 with a Tombstone."""
    return await db.fetchone("SELECT * FROM notices WHERE id = ?", (notice_id,))


async def update_notice(
    conn: aiosqlite.Connection, notice_id: int, notice: NewNotice, now: datetime
) -> bool:
    """Change a notice's content; an expired one whose new date lies ahead is current again."""
    values = {k: v for k, v in notice.columns().items() if k not in KEPT_ON_EDIT}
    values["updated"] = to_db_time(now)
    assignments = ", ".join(f"{name} = ?" for name in values)
    until = values["valid_until"]
    cursor = await conn.execute(
        f"UPDATE notices SET {assignments}, "
        "expired = CASE WHEN ? IS NULL OR ? > ? THEN NULL ELSE expired END "
        "WHERE id = ? AND deleted IS NULL",
        (*values.values(), until, until, to_db_time(now), notice_id),
    )
    return cursor.rowcount > 0


async def mark_notice_deleted(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> bool:
    """Delete a notice's content; the row stays so its URL can answer 410 Gone."""
    cursor = await conn.execute(
        "UPDATE notices SET deleted = ?, title = '', body_md = '', body_html = '', pinned = 0 "
        "WHERE id = ? AND deleted IS NULL",
        (to_db_time(now), notice_id),
    )
    await conn.execute("DELETE FROM notice_translations WHERE notice_id = ?", (notice_id,))
    return cursor.rowcount > 0


async def set_notice_pinned(conn: aiosqlite.Connection, notice_id: int, pinned: bool) -> bool:
    cursor = await conn.execute(
        "UPDATE notices SET pinned = ? WHERE id = ? AND deleted IS NULL AND pinned != ?",
        (int(pinned), notice_id, int(pinned)),
    )
    return cursor.rowcount > 0


async def get_notice_by_id(db: Database, notice_id: int) -> Row | None:
    return db.lookup_one("SELECT * FROM notices WHERE id = ? AND deleted IS NULL", (notice_id,))


async def list_notices(
    db: Database,
    *,
    before: str | None,
    limit: int,
    now: datetime | None = None,
    kind: str | None = None,
) -> list[Row]:
    """Newest first, keyset-paged; with `now`, only notices still valid then (the board)."""
    sql = "SELECT * FROM notices WHERE deleted IS NULL AND published < ?"
    params: list[object] = [before or "\uffff"]
    if now is not None:
        sql += " AND expired IS NULL AND (valid_until IS NULL OR valid_until > ?)"
        params.append(to_db_time(now))
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY published DESC, id DESC LIMIT ?"
    return db.lookup(sql, (*params, limit))


async def list_pinned_notices(db: Database, now: datetime) -> list[Row]:
    """Pinned notices still valid, newest first (shown above the others and in `featured`)."""
    return db.lookup(
        "SELECT * FROM notices WHERE deleted IS NULL AND pinned = 1 AND expired IS NULL "
        "AND (valid_until IS NULL OR valid_until > ?) ORDER BY published DESC",
        (to_db_time(now),),
    )


async def list_upcoming_events(db: Database, now: datetime, limit: int = 100) -> list[Row]:
    """Events that have not ended yet, soonest first."""
    return await db.fetchall(
        "SELECT * FROM notices WHERE deleted IS NULL AND kind = 'event' AND event_end > ? "
        "ORDER BY event_start LIMIT ?",
        (to_db_time(now), limit),
    )


async def list_archived_notices(
    db: Database, *, before: str | None, limit: int, now: datetime
) -> list[Row]:
    """Notices whose validity has ended, newest first."""
    return await db.fetchall(
        "SELECT * FROM notices WHERE deleted IS NULL AND published < ? AND "
        "(expired IS NOT NULL OR valid_until <= ?) ORDER BY published DESC, id DESC LIMIT ?",
        (before or "\uffff", to_db_time(now), limit),
    )


async def list_notices_to_expire(db: Database, now: datetime) -> list[Row]:
    """Notices past their validity that followers have not been told about yet."""
    return await db.fetchall(
        "SELECT * FROM notices WHERE deleted IS NULL AND expired IS NULL AND valid_until <= ?",
        (to_db_time(now),),
    )


async def mark_notice_expired(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE notices SET expired = ? WHERE id = ? AND expired IS NULL",
        (to_db_time(now), notice_id),
    )
    return cursor.rowcount > 0


async def erase_ended_consents(conn: aiosqlite.Connection, now: datetime) -> list[int]:
    """Forget the names of residents whose consent has ended; return those notices."""
    cursor = await conn.execute(
        "UPDATE notices SET on_behalf_of = NULL WHERE on_behalf_of IS NOT NULL"
        " AND consent_until <= ? RETURNING id",
        (to_db_time(now),),
    )
    return [row[0] for row in await cursor.fetchall()]


async def touch_notice(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> None:
    """Set `updated`, which an Update of the notice carries."""
    await conn.execute("UPDATE notices SET updated = ? WHERE id = ?", (to_db_time(now), notice_id))


async def mark_notice_done(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE notices SET done = ? WHERE id = ? AND done IS NULL AND deleted IS NULL",
        (to_db_time(now), notice_id),
    )
    return cursor.rowcount > 0


async def count_notices(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) AS n FROM notices WHERE deleted IS NULL")
    return int(row["n"]) if row else 0


async def insert_images(
    conn: aiosqlite.Connection, notice_id: int, images: Sequence[Mapping[str, object]]
) -> None:
    await conn.executemany(
        "INSERT INTO notice_images (notice_id, position, file, media_type, width, height, alt, "
        "blurhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                notice_id,
                position,
                image["file"],
                image["media_type"],
                image["width"],
                image["height"],
                image["alt"],
                image["blurhash"],
            )
            for position, image in enumerate(images)
        ],
    )
    for image in images:
        variants = image.get("variants") or ()
        assert isinstance(variants, tuple | list)
        await insert_variants(conn, str(image["file"]), variants)


async def insert_variants(conn: aiosqlite.Connection, file: str, variants: Sequence[Any]) -> None:
    """Record a picture's smaller copies (objects with `file`, `width`, `height`)."""
    await conn.executemany(
        "INSERT OR IGNORE INTO notice_image_variants (file, variant, width, height) "
        "VALUES (?, ?, ?, ?)",
        [(file, v.file, v.width, v.height) for v in variants],
    )


async def list_images_with_variant_widths(db: Database) -> list[Row]:
    """Every picture of a notice still on the board, with the widths of the copies it has."""
    return await db.fetchall(
        "SELECT i.file, i.width, (SELECT group_concat(v.width) FROM notice_image_variants v "
        "WHERE v.file = i.file) AS widths FROM notice_images i "
        "JOIN notices n ON n.id = i.notice_id WHERE n.deleted IS NULL "
        "ORDER BY i.notice_id, i.position"
    )


async def images_in(conn: aiosqlite.Connection, notice_id: int) -> list[Row]:
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM notice_images WHERE notice_id = ? ORDER BY position", (notice_id,)
        )
    )


async def list_images(db: Database, notice_ids: Sequence[int]) -> dict[int, list[Row]]:
    """Pictures of several notices at once (one query for a whole page)."""
    if not notice_ids:
        return {}
    marks = ", ".join("?" for _ in notice_ids)
    rows = db.lookup(
        "SELECT i.*, (SELECT group_concat(v.variant || ' ' || v.width || ' ' || v.height, ',') "
        "FROM notice_image_variants v WHERE v.file = i.file) AS variants "
        f"FROM notice_images i WHERE i.notice_id IN ({marks}) ORDER BY i.notice_id, i.position",
        tuple(notice_ids),
    )
    found: dict[int, list[Row]] = {}
    for row in rows:
        found.setdefault(row["notice_id"], []).append(row)
    return found


async def get_media_type_by_name(db: Database, name: str) -> str | None:
    """The type of a stored picture or of one of its smaller copies, by file name."""
    row = await db.fetchone(
        "SELECT media_type FROM notice_images WHERE file = ? UNION ALL "
        "SELECT i.media_type FROM notice_image_variants v "
        "JOIN notice_images i ON i.file = v.file WHERE v.variant = ?",
        (name, name),
    )
    return str(row["media_type"]) if row else None


async def delete_images(conn: aiosqlite.Connection, notice_id: int) -> list[str]:
    """Forget a notice's pictures; return their file names (the smaller copies' too) so the
    files can go too."""
    rows = await images_in(conn, notice_id)
    variants = await conn.execute_fetchall(
        "SELECT v.variant FROM notice_image_variants v JOIN notice_images i ON i.file = v.file "
        "WHERE i.notice_id = ?",
        (notice_id,),
    )
    await conn.execute(
        "DELETE FROM notice_image_variants WHERE file IN "
        "(SELECT file FROM notice_images WHERE notice_id = ?)",
        (notice_id,),
    )
    await conn.execute("DELETE FROM notice_images WHERE notice_id = ?", (notice_id,))
    return [r["file"] for r in rows] + [v["variant"] for v in variants]


async def upsert_translation(
    conn: aiosqlite.Connection,
    notice_id: int,
    lang: str,
    title: str,
    body_md: str,
    body_html: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO notice_translations (notice_id, lang, title, body_md, body_html, updated) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (notice_id, lang) DO UPDATE SET "
        "title = excluded.title, body_md = excluded.body_md, body_html = excluded.body_html, "
        "updated = excluded.updated",
        (notice_id, lang, title, body_md, body_html, to_db_time(now)),
    )


async def delete_translation(conn: aiosqlite.Connection, notice_id: int, lang: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM notice_translations WHERE notice_id = ? AND lang = ?", (notice_id, lang)
    )
    return cursor.rowcount > 0


async def translations_in(conn: aiosqlite.Connection, notice_id: int) -> list[Row]:
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM notice_translations WHERE notice_id = ? ORDER BY lang", (notice_id,)
        )
    )


async def translation_languages(db: Database, notice_ids: Sequence[int]) -> dict[int, list[str]]:
    """The languages each of several notices is translated into (one query for a page)."""
    if not notice_ids:
        return {}
    marks = ", ".join("?" for _ in notice_ids)
    rows = db.lookup(
        f"SELECT notice_id, lang FROM notice_translations WHERE notice_id IN ({marks}) "
        "ORDER BY notice_id, lang",
        tuple(notice_ids),
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["notice_id"], []).append(row["lang"])
    return found


async def list_translations(db: Database, notice_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM notice_translations WHERE notice_id = ? ORDER BY lang", (notice_id,)
    )


SEARCH_CANDIDATES = 500


async def search_notices(
    db: Database,
    match: str,
    *,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Row]:
    """Full-text search over current and archived notices, best matches first: `limit` of
    them after the first `offset`, each with `found`, how many notices were ranked.

    Only the newest SEARCH_CANDIDATES matches are ranked: a word in most notices would
    otherwise cost a relevance score for every one of them. Only the notices of the page
    asked for are read whole. Equal scores go newest first, so pages neither repeat nor
    skip a notice. Deleted notices are not in the index (its update trigger leaves them
    out)."""
    filters, params = "", [match]
    if kind:
        filters += " AND n.kind = ?"
        params.append(kind)
    if since:
        filters += " AND n.published >= ?"
        params.append(to_db_time(since))
    if until:
        filters += " AND n.published < ?"
        params.append(to_db_time(until))
    join = " JOIN notices n ON n.id = s.rowid" if filters else ""
    sql = (
        "SELECT n.*, r.found FROM (SELECT c.id, c.score, m.published, count(*) OVER () AS found "
        "FROM (SELECT s.rowid AS id, bm25(notice_search, 5.0, 1.0, 2.0) AS score "
        f"FROM notice_search s{join} WHERE notice_search MATCH ?{filters} "
        "ORDER BY s.rowid DESC LIMIT ?) c JOIN notices m ON m.id = c.id "
        "WHERE m.deleted IS NULL ORDER BY c.score, m.published DESC, c.id DESC LIMIT ? OFFSET ?) r "
        "JOIN notices n ON n.id = r.id ORDER BY r.score, r.published DESC, r.id DESC"
    )
    return await db.fetchall(sql, (*params, SEARCH_CANDIDATES, limit, offset))


KEPT_ON_EDIT = frozenset(
    (
        "author_id",
        "done",
        "origin",
        "submitted_by",
        "on_behalf_of",
        "consent_method",
        "consent_given",
        "consent_until",
        "origin_id",
        "origin_url",
        "origin_actor",
        "origin_author",
    )
)
