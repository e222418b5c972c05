"""The board's way out to other servers, built the same for the server and the command line."""

from __future__ import annotations

from federation import httpsig
from federation.actors import ActorResolver
from federation.client import FederationClient
from noticeboard import __version__
from noticeboard.config import Config
from noticeboard.sanitize import clean_text
from noticeboard.state import BoardState


def federation_client(config: Config) -> FederationClient:
    """The one HTTP client of a process: SSRF-safe, with the board's User-Agent."""
    return FederationClient(
        user_agent=f"Aushang/{__version__} (+{config.base_url})",
        own_hosts=[config.host],
        allow_private=config.federation.allow_private,
        ca_bundle=config.federation.ca_bundle,
    )


def actor_resolver(state: BoardState, client: FederationClient) -> ActorResolver:
    """A resolver that signs its GETs as the board's server actor (authorized fetch)."""

    def sign_get(method: str, url: str, body: bytes | None) -> dict[str, str]:
        key = state.keys.signing[state.urls.instance_actor]  # parsed on the first signed GET
        return httpsig.sign_request(method, url, body, key.key_id, key.private_key, state.clock())

    return ActorResolver(state.db, client, sign_get, state.clock, clean_text)
