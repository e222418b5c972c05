"""The fediverse around a benchmarked board, on 127.0.0.1: sink servers that accept deliveries,
and a small key server that serves the actors whose keys sign the inbox load.

Run as its own process (`python -m bench.peers ACTORS.json KEYPORT FIRSTSINK SINKS`) so it
does not share an event loop with the load generator. `GET /count` on the key server answers
how many POSTs the sinks have accepted so far.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

received = 0


def actor_document(base: str, name: str, public_pem: str) -> dict[str, object]:
    """A minimal Person with one RSA key, as Mastodon serves it."""
    actor = f"{base}/users/{name}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": name,
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem},
    }


def _answer(status: str, body: bytes, media: str = "text/plain") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: {media}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, documents: dict[str, bytes]
) -> None:
    global received
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if method == "POST":
                received += 1
                writer.write(_answer("202 Accepted", b""))
            elif path == "/count":
                writer.write(_answer("200 OK", str(received).encode()))
            elif path.split("#")[0] in documents:
                writer.write(
                    _answer("200 OK", documents[path.split("#")[0]], "application/activity+json")
                )
            else:
                writer.write(_answer("404 Not Found", b"no such thing"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(actors_file: Path, key_port: int, first_sink: int, sinks: int) -> None:
    base = f"http://127.0.0.1:{key_port}"
    actors = json.loads(actors_file.read_text())
    documents = {
        f"/users/{name}": json.dumps(actor_document(base, name, pem)).encode()
        for name, pem in actors.items()
    }

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve(reader, writer, documents)

    servers = [await asyncio.start_server(handle, "127.0.0.1", key_port, backlog=1024)]
    for port in range(first_sink, first_sink + sinks):
        servers.append(await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024))
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
