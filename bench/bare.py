"""The bare baseline: the same jobs on the same stack (uvicorn, Starlette, aiosqlite, jinja2,
httpx, cryptography) without the board's layers — what the board is measured against.

`python -m bench.bare serve DB PORT KEYSERVER` serves, from a seeded board's database:
`/` (the newest 20 notices), `/notices/{id}`, `/users/bench/outbox` (collection and
`?page=true`), `/search?q=` (the board's FTS query, 50 best) and a signed inbox
`POST /users/bench/inbox` that verifies the draft-cavage signature (keys fetched once from the
key server) and Digest and inserts the row.

`python -m bench.bare fanout KEY.pem INBOXES.json` delivers one signed Create to each inbox:
a sign + POST loop with one small httpx client per host; it waits for a line on standard input
before it starts, so start-up is not counted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import ssl
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiosqlite
import httpx
import jinja2
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

PAGE = jinja2.Template(
    """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/style.css"></head><body><header><h1>{{ title }}</h1>
<form action="/search"><input name="q"></form></header><main>
{% for n in notices %}<article><h2><a href="/notices/{{ n.id }}">{{ n.title }}</a></h2>
<time datetime="{{ n.published }}">{{ n.published[:10] }}</time>{{ n.body_html | safe }}
</article>{% endfor %}</main></body></html>""",
    autoescape=True,
)
ACTOR = "/users/bench"
PAGE_SIZE = 20


class Bare:
    def __init__(self, db_path: Path, inbox_db: Path, base_url: str, key_server: str) -> None:
        self.db_path, self.inbox_db, self.base_url = db_path, inbox_db, base_url
        self.key_server = key_server
        self.keys: dict[str, rsa.RSAPublicKey] = {}
        self.http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self.db = await aiosqlite.connect(self.db_path)
        self.db.row_factory = aiosqlite.Row
        self.writes = await aiosqlite.connect(self.inbox_db)
        await self.writes.execute("PRAGMA journal_mode=WAL")
        await self.writes.execute("PRAGMA synchronous=NORMAL")
        await self.writes.execute(
            "CREATE TABLE IF NOT EXISTS inbox (id TEXT PRIMARY KEY, actor TEXT, type TEXT, "
            "body TEXT, received TEXT)"
        )
        await self.writes.commit()
        self.http = httpx.AsyncClient(timeout=10)

    async def stop(self) -> None:
        await self.db.close()
        await self.writes.close()
        if self.http:
            await self.http.aclose()

    async def healthz(self, request: Request) -> Response:
        await self.db.execute_fetchall("SELECT 1")
        return JSONResponse({"status": "ok"})

    async def home(self, request: Request) -> Response:
        rows = await self.db.execute_fetchall(
            "SELECT id, title, body_html, published FROM notices WHERE deleted IS NULL "
            "AND published < ? ORDER BY published DESC, id DESC LIMIT ?",
            ("\uffff", PAGE_SIZE + 1),
        )
        return HTMLResponse(PAGE.render(title="Aushänge", notices=list(rows)[:PAGE_SIZE]))

    async def notice(self, request: Request) -> Response:
        rows = list(
            await self.db.execute_fetchall(
                "SELECT id, title, body_html, published FROM notices WHERE id = ? "
                "AND deleted IS NULL",
                (request.path_params["notice_id"],),
            )
        )
        if not rows:
            return Response("no such notice", 404)
        return HTMLResponse(PAGE.render(title=rows[0]["title"], notices=rows))

    async def search(self, request: Request) -> Response:
        words = request.query_params.get("q", "").split()
        query = " ".join('"' + w.replace('"', "") + '"' for w in words)
        rows: list[aiosqlite.Row] = []
        if query:
            rows = list(
                await self.db.execute_fetchall(
                    "SELECT n.id, n.title, n.body_html, n.published FROM notice_search s "
                    "JOIN notices n ON n.id = s.rowid WHERE notice_search MATCH ? AND "
                    "n.deleted IS NULL ORDER BY bm25(notice_search, 5.0, 1.0, 2.0), "
                    "n.published DESC LIMIT 50",
                    (query,),
                )
            )
        return HTMLResponse(PAGE.render(title="Suche", notices=rows))

    async def outbox(self, request: Request) -> Response:
        actor = self.base_url + ACTOR
        collection = f"{actor}/outbox"
        if "page" not in request.query_params:
            rows = await self.db.execute_fetchall(
                "SELECT count(*) FROM outbox_activities WHERE actor = ? AND public = 1", (actor,)
            )
            total = list(rows)[0][0]
            return _activity_json(
                {"id": collection, "type": "OrderedCollection", "totalItems": total,
                 "first": f"{collection}?page=true"}
            )  # fmt: skip
        before = request.query_params.get("before") or "\uffff"
        rows = await self.db.execute_fetchall(
            "SELECT body, published FROM outbox_activities WHERE actor = ? AND public = 1 "
            "AND published < ? ORDER BY published DESC LIMIT ?",
            (actor, before, PAGE_SIZE),
        )
        items = []
        for row in rows:
            activity = json.loads(row["body"])
            activity.pop("@context", None)
            items.append(activity)
        return _activity_json(
            {"id": f"{collection}?page=true", "type": "OrderedCollectionPage",
             "partOf": collection, "orderedItems": items}
        )  # fmt: skip

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        fields = _signature_fields(request.headers.get("signature", ""))
        if fields is None:
            return Response("not signed", 401)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        if request.headers.get("digest") != digest:
            return Response("wrong digest", 401)
        date = parsedate_to_datetime(request.headers.get("date", ""))
        if abs((datetime.now(UTC) - date).total_seconds()) > 3600:
            return Response("too old", 401)
        key = await self._key(fields["keyId"])
        values = []
        for name in fields["headers"].split():
            if name == "(request-target)":
                values.append(f"{name}: post {request.url.path}")
            else:
                values.append(f"{name}: {request.headers.get(name, '')}")
        try:
            key.verify(
                base64.b64decode(fields["signature"]),
                "\n".join(values).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return Response("bad signature", 401)
        activity = json.loads(body)
        await self.writes.execute(
            "INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?, ?)",
            (activity["id"], activity["actor"], activity["type"], body.decode(), date.isoformat()),
        )
        await self.writes.commit()
        return Response("accepted", 202)

    async def _key(self, key_id: str) -> rsa.RSAPublicKey:
        key = self.keys.get(key_id)
        if key is None:
            assert self.http is not None
            document = (await self.http.get(key_id.split("#")[0])).json()
            loaded = serialization.load_pem_public_key(
                document["publicKey"]["publicKeyPem"].encode()
            )
            assert isinstance(loaded, rsa.RSAPublicKey)
            key = self.keys[key_id] = loaded
        return key


def _signature_fields(header: str) -> dict[str, str] | None:
    fields = {}
    for part in header.split(","):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip().strip('"')
    return fields if {"keyId", "headers", "signature"} <= fields.keys() else None


def _activity_json(document: dict[str, object]) -> Response:
    return JSONResponse(document, media_type="application/activity+json")


def app(bare: Bare) -> Starlette:
    return Starlette(
        routes=[
            Route("/", bare.home),
            Route("/healthz", bare.healthz),
            Route("/notices/{notice_id:int}", bare.notice),
            Route("/search", bare.search),
            Route(ACTOR + "/outbox", bare.outbox),
            Route(ACTOR + "/inbox", bare.inbox, methods=["POST"]),
        ],
        lifespan=lambda _app: _lifespan(bare),
    )


@contextlib.asynccontextmanager
async def _lifespan(bare: Bare) -> AsyncIterator[None]:
    await bare.start()
    try:
        yield
    finally:
        await bare.stop()


def serve(db: Path, port: int, base_url: str, key_server: str) -> None:
    bare = Bare(db, db.with_name("bare-inbox.sqlite3"), base_url, key_server)
    uvicorn.run(app(bare), host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def fanout(key_file: Path, inboxes_file: Path, base_url: str) -> None:
    """Deliver one Create to every inbox: per host one small client, its inboxes in turn."""
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    inboxes: list[str] = json.loads(inboxes_file.read_text())
    by_host: dict[str, list[str]] = defaultdict(list)
    for inbox in inboxes:
        by_host[urlsplit(inbox).netloc].append(inbox)
    actor = base_url + ACTOR
    body = json.dumps(
        {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}#bare-create",
         "type": "Create", "actor": actor,
         "object": {"id": f"{actor}#bare-note", "type": "Note", "content": "<p>Hallo</p>"}}
    ).encode()  # fmt: skip
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    tls = ssl.create_default_context()  # one certificate store for all clients
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    async def deliver(host: str, targets: list[str]) -> None:
        async with httpx.AsyncClient(
            timeout=30,
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=2),
            verify=tls,
        ) as client:
            for inbox in targets:
                path = urlsplit(inbox).path
                date = format_datetime(datetime.now(UTC), usegmt=True)
                signed = (
                    f"(request-target): post {path}\nhost: {host}\ndate: {date}\ndigest: {digest}"
                )
                signature = base64.b64encode(
                    key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
                ).decode()
                headers = {
                    "Date": date,
                    "Digest": digest,
                    "Content-Type": "application/activity+json",
                    "Signature": f'keyId="{actor}#main-key",algorithm="rsa-sha256",'
                    f'headers="(request-target) host date digest",signature="{signature}"',
                }
                await client.post(inbox, content=body, headers=headers)

    await asyncio.gather(*(deliver(h, t) for h, t in by_host.items()))
    print("done", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "fanout":
        asyncio.run(fanout(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]))
