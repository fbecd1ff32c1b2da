"""/healthz: `ok` or `degraded`, and which part is degraded; never an error's text (that goes to the log)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from aiohttp import web
from sqlalchemy import text

from web.metrics import job_loop_state, outbox_backlog

log = logging.getLogger(__name__)


def health_handler(db, background: bool):
    """The database answers and the job loop runs (or is off by BACKGROUND=off); with the outbox backlog
    (pending pushes, the oldest one's age, failed ones) for a look. 200 when ok, 503 when degraded."""
    async def healthz(request: web.Request) -> web.Response:
        report: dict = {"database": "ok", "job_loop": job_loop_state(background)}
        try:
            async with db.sessions() as session:
                await session.execute(text("SELECT 1"))
                report["outbox"] = await outbox_backlog(session, datetime.now(timezone.utc))
        except Exception as exc:
            log.warning("healthz: the database does not answer: %s: %s", type(exc).__name__, exc)
            report["database"] = "unavailable"
        degraded = [part for part, state in (("database", report["database"] != "ok"),
                                             ("job_loop", report["job_loop"] == "stopped")) if state]
        body = {"ok": not degraded, "status": "degraded" if degraded else "ok", "degraded": degraded, **report}
        return web.json_response(body, status=503 if degraded else 200)

    return healthz
