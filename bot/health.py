"""/healthz: `ok` or `degraded`, and which part is degraded; never an error's text (that goes to the log)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from aiohttp import web
from sqlalchemy import text

from backend.monitoring import staff_undeliverable
from web.metrics import job_loop_state, outbox_backlog

log = logging.getLogger(__name__)


def health_handler(db, background: bool, staff_alarm_s: float = 86400):
    """The database answers, the job loop runs (or is off by BACKGROUND=off), and staff can be reached (no
    platform paused by an account error, no staff push in the last `staff_alarm_s` that did not arrive);
    with the outbox backlog (pending pushes, the oldest one's age, failed ones) for a look.

    503 only when this instance cannot serve (the database, the job loop): a load balancer takes it out. Staff
    delivery is the account's and the same on every instance, so it says `degraded` with 200: taking every
    instance out for one unreachable officer would stop the whole webhook."""
    async def healthz(request: web.Request) -> web.Response:
        report: dict = {"database": "ok", "job_loop": job_loop_state(background)}
        try:
            async with db.sessions() as session:
                await session.execute(text("SELECT 1"))
                now = datetime.now(timezone.utc)
                report["outbox"] = await outbox_backlog(session, now)
                report["staff_delivery"] = await staff_undeliverable(session, now, staff_alarm_s)
        except Exception as exc:
            log.warning("healthz: the database does not answer: %s: %s", type(exc).__name__, exc)
            report["database"] = "unavailable"
        staff = report.get("staff_delivery") or {}
        cannot_serve = [part for part, state in (("database", report["database"] != "ok"),
                                                 ("job_loop", report["job_loop"] == "stopped")) if state]
        degraded = cannot_serve + (["staff_undeliverable"] if staff.get("paused") or staff.get("staff_unreached")
                                   else [])
        body = {"ok": not degraded, "status": "degraded" if degraded else "ok", "degraded": degraded, **report}
        return web.json_response(body, status=503 if cannot_serve else 200)

    return healthz
