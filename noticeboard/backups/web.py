"""GET /healthz: whether the board works, for Docker's healthcheck and monitoring.

Fast (three indexed reads) and without personal data: counts and times only.
"""

from __future__ import annotations

import logging
import sqlite3

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.database import to_db_time
from noticeboard.backups import queries
from noticeboard.runtime import runtime

log = logging.getLogger("noticeboard")


async def healthz(request: Request) -> Response:
    try:
        health = await queries.health(runtime(request).state)
    except sqlite3.Error as exc:
        log.error("health check: the database does not answer: %s", exc)
        return JSONResponse({"status": "failing", "database": "not answering"}, status_code=503)
    backup = health.backup
    return JSONResponse(
        {
            "status": "ok",
            "database": "ok",
            "deliveries": {"pending": health.pending_deliveries, "due": health.due_deliveries},
            "backup": {
                "state": "failing" if backup.failing else "ok" if backup.last_success else "none",
                "last_success": to_db_time(backup.last_success) if backup.last_success else None,
                "last_failure": to_db_time(backup.last_failure) if backup.last_failure else None,
            },
        },
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/healthz", healthz)]
