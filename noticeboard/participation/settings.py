"""Who may take part: the reply policy, blocks of accounts and servers, limited federation.

Use cases take the board's state first and answer `Ok(...)` or `Refused(reason)`.
"""

from __future__ import annotations

from federation import store as fedstore
from noticeboard import audit
from noticeboard import store as board_store
from noticeboard.i18n import N_
from noticeboard.participation import store
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

REPLY_POLICIES = ("hold", "known", "open")
DEFAULT_REPLY_POLICY = "hold"


async def current_reply_policy(state: BoardState) -> str:
    """The reply policy in force: `hold` (staff approve each reply), `known` or `open`."""
    value = await board_store.get_setting(state.db, "reply_policy")
    return value if value in REPLY_POLICIES else DEFAULT_REPLY_POLICY


async def set_reply_policy(state: BoardState, policy: str) -> Result[None]:
    if policy not in REPLY_POLICIES:
        return Refused(N_("Please choose a reply policy: hold, known or open."))
    async with state.db.transaction() as conn:
        await board_store.set_setting(conn, "reply_policy", policy)
        await audit.record(conn, "settings.reply_policy", policy, state.clock())
    return Ok(None)


# --- blocks ------------------------------------------------------------------------------------


async def block_actor(state: BoardState, actor_id: str, reason: str = "") -> Result[None]:
    """Block one account: refused from now on, no longer a follower, its posts hidden."""
    now = state.clock()
    async with state.db.transaction() as conn:
        if not await fedstore.insert_blocked_actor(conn, actor_id, reason, now):
            return Refused(N_("This account is blocked already."))
        await fedstore.delete_follower(conn, state.urls.actor, actor_id)
        await store.hide_posts_of_actor(conn, actor_id)
        await audit.record(conn, "block.actor", actor_id, now, reason)
    return Ok(None)


async def unblock_actor(state: BoardState, actor_id: str) -> Result[None]:
    async with state.db.transaction() as conn:
        if not await fedstore.delete_blocked_actor(conn, actor_id):
            return Refused(N_("This account is not blocked."))
        await audit.record(conn, "unblock.actor", actor_id, state.clock())
    return Ok(None)


async def block_domain(state: BoardState, domain: str, reason: str = "") -> Result[int]:
    """Block a domain and its subdomains; drop their followers. Ok(how many followers)."""
    now = state.clock()
    async with state.db.transaction() as conn:
        if not await fedstore.insert_blocked_domain(conn, domain, reason, now):
            return Refused(N_("This server is blocked already."))
        removed = await fedstore.remove_followers_on_domain(conn, state.urls.actor, domain)
        await audit.record(conn, "block.domain", domain, now, reason)
    return Ok(removed)


async def unblock_domain(state: BoardState, domain: str) -> Result[None]:
    """Lift a domain block."""
    async with state.db.transaction() as conn:
        if not await fedstore.delete_blocked_domain(conn, domain):
            return Refused(N_("This server is not blocked."))
        await audit.record(conn, "unblock.domain", domain, state.clock())
    return Ok(None)


# --- limited federation --------------------------------------------------------------------------


async def set_limited_federation(state: BoardState, limited: bool) -> Result[None]:
    """Switch limited federation: only allowed servers may talk to the board."""
    async with state.db.transaction() as conn:
        await fedstore.set_limited(conn, limited)
        await audit.record(conn, "federation.limited", "on" if limited else "off", state.clock())
    return Ok(None)


async def allow_domain(state: BoardState, domain: str) -> Result[None]:
    async with state.db.transaction() as conn:
        if not await fedstore.insert_allowed_domain(conn, domain, state.clock()):
            return Refused(N_("This server is on the list already."))
        await audit.record(conn, "allow.domain", domain, state.clock())
    return Ok(None)


async def disallow_domain(state: BoardState, domain: str) -> Result[None]:
    async with state.db.transaction() as conn:
        if not await fedstore.delete_allowed_domain(conn, domain):
            return Refused(N_("This server is not on the list."))
        await audit.record(conn, "disallow.domain", domain, state.clock())
    return Ok(None)
