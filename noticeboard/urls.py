"""Where everything of one board lives; every id is built from the configured base_url."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class BoardUrls:
    base: str
    username: str

    @property
    def actor(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.actor}/inbox"

    @property
    def outbox(self) -> str:
        return f"{self.actor}/outbox"

    @property
    def followers(self) -> str:
        return f"{self.actor}/followers"

    @property
    def following(self) -> str:
        return f"{self.actor}/following"

    @property
    def featured(self) -> str:
        return f"{self.actor}/featured"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def profile(self) -> str:
        return f"{self.base}/about"

    @property
    def home(self) -> str:
        return f"{self.base}/"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def instance_key_id(self) -> str:
        return f"{self.instance_actor}#main-key"

    def notice(self, notice_id: int) -> str:
        return f"{self.base}/notices/{notice_id}"

    def notice_number(self, url: str | None) -> int | None:
        """The number of one of this board's notices from its id, e.g. https://board/notices/12."""
        prefix = f"{self.base}/notices/"
        number = url[len(prefix) :] if url and url.startswith(prefix) else ""
        return int(number) if number.isdigit() and len(number) <= 18 else None

    def media(self, file: str) -> str:
        return f"{self.base}/media/{file}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"

    def new_activity(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4()}"

    def group_actor(self, handle: str) -> str:
        return f"{self.base}/groups/{handle}"

    def group_page(self, handle: str) -> str:
        return f"{self.base}/gruppen/{handle}"

    def group_handle(self, url: str | None) -> str | None:
        """The handle of one of this board's groups from its actor id."""
        prefix = f"{self.base}/groups/"
        handle = url[len(prefix) :] if url and url.startswith(prefix) else ""
        return handle if handle and "/" not in handle and len(handle) <= 30 else None
