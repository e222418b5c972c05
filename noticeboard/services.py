"""What the running server holds for its whole life, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from federation.actors import ActorResolver
from federation.client import FederationClient
from federation.delivery import DeliveryWorker
from federation.inbox import Inbox
from noticeboard.auth import RateLimiter
from noticeboard.board import Board
from noticeboard.rendering import Renderer


@dataclass
class Services:
    board: Board
    client: FederationClient
    resolver: ActorResolver
    inbox: Inbox
    worker: DeliveryWorker
    renderer: Renderer
    login_limiter: RateLimiter
    inbox_limiter: RateLimiter
    vote_limiter: RateLimiter
    submission_limiter: RateLimiter
