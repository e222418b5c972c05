"""Remote actors: fetch from their origin, validate, cache, and look up their keys."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urldefrag

from federation import store
from federation.client import FederationClient
from federation.database import Database, from_db_time, to_db_time
from federation.guard import FetchError
from federation.hosts import HostError, canonical_host
from federation.keys import load_public_key
from federation.multikey import MultikeyError, multikey_to_pem
from federation.store import RemoteActorRow, RemoteKey
from federation.vocab import ACTOR_TYPES, Json, as_list, get_id, get_type

Clock = Callable[[], datetime]
Signer = Callable[[str, str, bytes | None], dict[str, str]]

ACTOR_TTL = timedelta(days=1)
REFRESH_INTERVAL = timedelta(minutes=5)
MAX_KEYS = 20


class ActorError(Exception):
    """A remote actor or key that cannot be used, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_actor(doc: Json, now: datetime) -> RemoteActorRow:
    """Validate an actor document: links stay on the actor's host (Misskey CVE-2024-52591)."""
    actor_id = doc.get("id")
    if not isinstance(actor_id, str):
        raise ActorError("actor document has no id")
    if get_type(doc) not in ACTOR_TYPES:
        raise ActorError(f"not an actor type: {get_type(doc)!r}")
    host = _host(actor_id)
    inbox = _same_host_link(doc.get("inbox"), host, "inbox", required=True)
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    key_id, key_pem = _public_key(doc, actor_id, host)
    for name in ("outbox", "followers", "following"):
        _same_host_link(doc.get(name), host, name, required=False)
    url = get_id(doc.get("url"))
    return RemoteActorRow(
        id=actor_id,
        host=host,
        type=get_type(doc) or "Person",
        preferred_username=_text(doc.get("preferredUsername")),
        name=_text(doc.get("name")),
        url=url if url and _host_or_none(url) == host else None,
        inbox=inbox or "",
        shared_inbox=_same_host_link(shared, host, "sharedInbox", required=False),
        key_id=key_id,
        public_key_pem=key_pem,
        document=json.dumps(doc, ensure_ascii=False),
        fetched_at=to_db_time(now),
    )


def also_known_as(actor: RemoteActorRow) -> list[str]:
    """Read the aliases an actor names (Mastodon follows a Move only to a target whose
    `alsoKnownAs` lists the origin: app/lib/activitypub/activity/move.rb)."""
    doc = _document(actor)
    return [a for a in (get_id(x) for x in as_list(doc.get("alsoKnownAs"))) if a][:50]


def moved_to(actor: RemoteActorRow) -> str | None:
    """Read where an actor says it moved (`movedTo`, as Mastodon shows on moved accounts)."""
    return get_id(_document(actor).get("movedTo"))


def _document(actor: RemoteActorRow) -> Json:
    try:
        doc = json.loads(actor.document)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _public_key(doc: Json, actor_id: str, host: str) -> tuple[str | None, str | None]:
    """The actor's main key: the first `publicKey` it owns (Mastodon's single key)."""
    keys = _public_key_entries(doc, actor_id, host)
    return (keys[0].id, keys[0].public_key_pem) if keys else (None, None)


def parse_keys(doc: Json, actor_id: str) -> list[RemoteKey]:
    """Every key the actor lists as its own: `publicKey` (one or an array) and the `Multikey`s
    of `assertionMethod` (FEP-521a). Keys owned by another actor are left out; a publicKey on
    another host makes the actor unusable, an off-host Multikey is left out (rule 11)."""
    host = _host(actor_id)
    return _public_key_entries(doc, actor_id, host) + _multikeys(doc, actor_id, host)


def _public_key_entries(doc: Json, actor_id: str, host: str) -> list[RemoteKey]:
    keys = []
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        key_id, owner, pem = key.get("id"), get_id(key.get("owner")), key.get("publicKeyPem")
        if not isinstance(key_id, str) or not isinstance(pem, str):
            continue
        if owner not in (None, actor_id):
            continue
        if _host(key_id) != host:
            raise ActorError("publicKey id is on another host than the actor")
        keys.append(RemoteKey(key_id, actor_id, pem))
    return keys


def _multikeys(doc: Json, actor_id: str, host: str) -> list[RemoteKey]:
    keys = []
    for key in as_list(doc.get("assertionMethod"))[:MAX_KEYS]:
        if not isinstance(key, dict) or get_type(key) != "Multikey":
            continue
        key_id, multibase = key.get("id"), key.get("publicKeyMultibase")
        if not isinstance(key_id, str) or not isinstance(multibase, str):
            continue
        if get_id(key.get("controller")) != actor_id or _host_or_none(key_id) != host:
            continue
        try:
            keys.append(RemoteKey(key_id, actor_id, multikey_to_pem(multibase)))
        except MultikeyError:
            continue  # an RSA or P-256 Multikey: the actor may still sign with another key
    return keys


def _same_host_link(value: object, host: str, name: str, *, required: bool) -> str | None:
    link = get_id(value)
    if link is None:
        if required:
            raise ActorError(f"actor has no {name}")
        return None
    if _host(link) != host:
        raise ActorError(f"actor's {name} is on another host")
    return link


def _host(url: str) -> str:
    try:
        return canonical_host(url)
    except HostError as exc:
        raise ActorError(f"bad URL {url!r}: {exc}") from exc


def _host_or_none(url: str) -> str | None:
    try:
        return canonical_host(url)
    except HostError:
        return None


def _text(value: object) -> str | None:
    return value[:500] if isinstance(value, str) else None


@dataclass(frozen=True)
class KeyOwner:
    """The actor a key id belongs to and the keys it stands for: one key, or every key of the
    actor when the key id is the actor's own URL (PeerTube signs so)."""

    actor: RemoteActorRow
    keys: tuple[RemoteKey, ...]


@dataclass
class ActorResolver:
    """Fetches actors (GETs signed by the instance actor) and caches them in SQLite."""

    db: Database
    client: FederationClient
    sign_get: Signer
    clock: Clock
    clean_text: Callable[[str], str] = str

    def __post_init__(self) -> None:
        self._last_refresh: dict[str, datetime] = {}

    async def get(self, actor_id: str, *, refresh: bool = False) -> RemoteActorRow:
        """Return an actor from the cache, fetching it when missing, stale or asked to."""
        cached = await store.get_remote_actor(self.db, actor_id)
        now = self.clock()
        if cached and not refresh and now - from_db_time(cached.fetched_at) < ACTOR_TTL:
            return cached
        return await self._fetch_actor(actor_id)

    async def cached(self, actor_id: str) -> RemoteActorRow | None:
        """Return an actor only if it is already cached (no network)."""
        return await store.get_remote_actor(self.db, actor_id)

    async def cached_many(self, actor_ids: Iterable[str]) -> dict[str, RemoteActorRow]:
        """Return those of the actors that are cached, by id, in one read (no network)."""
        return await store.remote_actors_by_id(self.db, actor_ids)

    async def key_owner(self, key_id: str) -> KeyOwner:
        """Find the actor owning key_id; the actor document must list that very key."""
        return await self._cached_key(key_id) or await self._resolve_key(key_id)

    async def _cached_key(self, key_id: str) -> KeyOwner | None:
        found = await store.get_remote_key_and_owner(self.db, key_id)
        if found is not None:
            key, actor = found
            return KeyOwner(actor, (key,)) if actor else None
        actor = await store.get_remote_actor(self.db, key_id)
        keys = await store.list_remote_keys(self.db, key_id) if actor else []
        return KeyOwner(actor, tuple(keys)) if actor and keys else None

    async def refresh_key(self, key_id: str, actor_id: str) -> KeyOwner | None:
        """Re-fetch a key once per interval after a failed verification (key rotation)."""
        now = self.clock()
        last = self._last_refresh.get(actor_id)
        if last and now - last < REFRESH_INTERVAL:
            return None
        self._last_refresh[actor_id] = now
        owner = await self._resolve_key(key_id)
        return owner if owner.actor.id == actor_id else None

    async def fetch_object(self, url: str) -> Json:
        """Fetch any object from its origin with a signed GET (rules 8 and 9)."""
        return await self._fetch(url)

    async def _resolve_key(self, key_id: str) -> KeyOwner:
        """Fetch a key from its origin and its owner, who must list it (rules 3 and 4). A key id
        that is the actor's own URL stands for the keys the actor lists (Mastodon accepts
        PeerTube's signatures so)."""
        doc = await self._fetch(urldefrag(key_id).url)
        confirmed = None
        if get_type(doc) in ACTOR_TYPES:
            actor = parse_actor(doc, self.clock())
        else:
            if doc.get("id") != key_id:
                raise ActorError("key document id differs from the keyId")
            owner_id = get_id(doc.get("owner")) or get_id(doc.get("controller"))
            if not owner_id:
                raise ActorError("key document names no owner")
            actor, confirmed = await self._fetch_parsed(owner_id), key_id
        keys = parse_keys(json.loads(actor.document), actor.id)
        chosen = tuple(k for k in keys if k.id == key_id or key_id == actor.id)
        if not chosen:
            raise ActorError("the key's owner does not list this key")
        await self._save(actor, confirmed_key=confirmed)
        return KeyOwner(actor, chosen)

    async def _fetch_actor(self, actor_id: str) -> RemoteActorRow:
        return await self._save(await self._fetch_parsed(actor_id), confirmed_key=None)

    async def _fetch_parsed(self, actor_id: str) -> RemoteActorRow:
        actor = parse_actor(await self._fetch(actor_id), self.clock())
        if actor.id != actor_id:
            raise ActorError("actor id differs from the URL it was fetched from")
        return actor

    async def _save(self, actor: RemoteActorRow, *, confirmed_key: str | None) -> RemoteActorRow:
        """Cache an actor and its keys; a key id outside the actor's document counts only once
        confirmed by fetching it."""
        if actor.name:
            actor = dataclasses.replace(actor, name=self.clean_text(actor.name))
        keys = [
            k
            for k in parse_keys(json.loads(actor.document), actor.id)
            if k.id == confirmed_key or urldefrag(k.id).url == actor.id
        ]
        for pem in [k.public_key_pem for k in keys] + [actor.public_key_pem or ""]:
            if pem:
                _check_pem(pem)
        if actor.key_id not in {k.id for k in keys}:
            actor = dataclasses.replace(actor, key_id=None)
        async with self.db.transaction() as conn:
            if actor.key_id:
                await store.release_key_id(conn, actor.key_id, actor.id)
            await store.upsert_remote_actor(conn, actor)
            await store.replace_remote_keys(conn, actor.id, keys)
        return actor

    async def _fetch(self, url: str) -> Json:
        try:
            fetched = await self.client.get_json(url, sign=self.sign_get)
        except FetchError as exc:
            raise ActorError(f"could not fetch {url}: {exc.reason}") from exc
        return fetched.data


def _check_pem(pem: str) -> None:
    try:
        load_public_key(pem)
    except ValueError as exc:
        raise ActorError("publicKeyPem is not a valid public key") from exc
