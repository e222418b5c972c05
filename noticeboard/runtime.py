"""What the running server holds for its whole life, built once in the lifespan: the board's
state, the protocol's inbox and delivery worker wired to it, the renderer and rate limits.

The background work lives here too, as single steps (`run_once`) that the server's loops repeat
and that tests call directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from starlette.requests import Request

from federation.actors import ActorResolver
from federation.client import FederationClient
from federation.delivery import DeliveryWorker
from federation.inbox import Inbox
from noticeboard.accounts import sessions
from noticeboard.accounts.passwords import FailureThrottle, RateLimiter
from noticeboard.activitypub.handlers import BoardInbox
from noticeboard.backups import service as backups
from noticeboard.groups import service as groups
from noticeboard.mail import service as mail
from noticeboard.mail.sender import MailSender
from noticeboard.network import service as network
from noticeboard.notices import service as notices
from noticeboard.remote import actor_resolver
from noticeboard.reports import service as reports
from noticeboard.state import BoardState
from noticeboard.web.rendering import Renderer

log = logging.getLogger("noticeboard")


@dataclass(frozen=True)
class Limits:
    """Sliding-window limits per client address, and failed sign-ins per account name, kept
    in memory for the process's life."""

    login: RateLimiter = field(default_factory=lambda: RateLimiter(limit=10, window=300))
    account: FailureThrottle = field(default_factory=lambda: FailureThrottle(limit=5, window=900))
    inbox: RateLimiter = field(default_factory=lambda: RateLimiter(limit=300, window=60))
    vote: RateLimiter = field(default_factory=lambda: RateLimiter(limit=30, window=600))
    submission: RateLimiter = field(default_factory=lambda: RateLimiter(limit=5, window=3600))
    subscription: RateLimiter = field(default_factory=lambda: RateLimiter(limit=10, window=3600))
    printing: RateLimiter = field(default_factory=lambda: RateLimiter(limit=30, window=300))


@dataclass(frozen=True)
class Runtime:
    state: BoardState
    client: FederationClient
    resolver: ActorResolver
    inbox: Inbox
    worker: DeliveryWorker
    renderer: Renderer
    limits: Limits
    mail: MailSender | None = None  # only where the board has [mail]

    async def run_periodic_once(self) -> int:
        """One round of the minute's chores: expiry, batched poll totals, follower count,
        the daily snapshot of the report's figures, sessions that ran out, the nightly backup
        when its hour has come, mails with news that are due; return how many notices, polls
        and mails changed."""
        changed = await notices.expire_due(self.state)
        changed += await notices.forget_residents(self.state)
        changed += await notices.flush_polls(self.state)
        changed += await groups.announce_meetings(self.state)
        await network.record_follower_count(self.state)
        await reports.take_daily_snapshot(self.state)
        await sessions.purge(self.state)
        await backups.nightly(self.state)
        queued = await mail.periodic(self.state)
        if queued:
            self.wake_mail()
        return changed + queued

    def wake_mail(self) -> None:
        """Ask a running mail sender to look for due mails now."""
        if self.mail is not None:
            self.mail.wake()

    async def run_once(self, *, periodic: bool = True) -> int:
        """Process what is due now (received activities, with `periodic` the minute's chores,
        deliveries); return how much was done."""
        done = await self.inbox.process_due()
        if periodic:
            done += await self.run_periodic_once()
        if self.mail is not None:
            done += await self.mail.run_once()
        return done + await self.worker.run_once()

    async def drain(self, *, periodic: bool = True, rounds: int = 100) -> None:
        """Run single steps until nothing is due (a handler may queue deliveries, ...)."""
        for _ in range(rounds):
            if not await self.run_once(periodic=periodic):
                return
        raise RuntimeError(f"work was still due after {rounds} rounds")


def build_runtime(opened: BoardState, client: FederationClient) -> Runtime:
    """Wire the protocol pieces to the board: its inbox handlers and its outbox's worker."""
    resolver = actor_resolver(opened, client)
    inbox = Inbox(
        opened.db,
        resolver,
        opened.clock,
        own_host=opened.config.host,
        is_blocked=opened.blocks.refuses,
    )
    worker = DeliveryWorker(
        opened.db, client, opened.keys.signing, opened.clock, is_blocked=opened.blocks.any_blocked
    )
    state = opened.with_wakes(worker.wake, inbox.wake)
    BoardInbox(state).register(inbox)
    return Runtime(
        state=state,
        client=client,
        resolver=resolver,
        inbox=inbox,
        worker=worker,
        renderer=Renderer(state.config, state.urls, state.clock),
        limits=Limits(inbox=RateLimiter(limit=state.config.federation.inbox_rate_limit, window=60)),
        mail=MailSender(state.db, state.config.mail, state.clock) if state.config.mail else None,
    )


def runtime(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    found: Runtime = request.app.state.runtime
    return found
