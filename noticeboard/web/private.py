"""Responses that no browser, proxy or shared computer may keep (rule 42)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "aushang_session"
# Staff pages, sign-in and invitations, and the submission form (a resident's contact details
# come back on it when something must be corrected).
PRIVATE_PATHS = ("/staff", "/login", "/logout", "/invitation/", "/submit")


def is_private(scope: Scope) -> bool:
    """A private path, or a request of someone with a session (staff, or a form in progress):
    what they see may name people or carry a form's token."""
    path: str = scope.get("path", "")
    if path.startswith(PRIVATE_PATHS):
        return True
    for name, value in scope.get("headers", []):
        if name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value:
            return True
    return False


class NoStore:
    """Mark private responses `Cache-Control: no-store`, replacing any other caching rule."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_private(scope):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in (b"cache-control", b"expires", b"pragma")
                ]
                message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_no_store)
