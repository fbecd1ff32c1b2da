"""When a push that matters to staff cannot reach them, or a platform stops taking pushes at all: the
supervisors are told, by whatever route they have (the server's /healthz and log say it too, in bot/).

Called by the outbox sender in the transaction that records the push's end, so an alarm is queued exactly
when the failure is recorded. An alarm that cannot be delivered either raises no further alarm.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend import staff as staff_mod, texts as T
from backend.pushes import STAFF_KINDS, time_field
from storage import outbox

ALARM_KIND = "staff_unreachable"


async def staff_push_unreached(session: AsyncSession, *, platform: str, user_id: str, kind: str, payload: dict,
                               reason: str, push_id: int, now: datetime) -> int:
    """A staff push ended without arriving (`reason`: outside_window, no_template, or a platform code):
    tell every other supervisor. Returns how many alarms were queued."""
    if kind not in STAFF_KINDS or kind == ALARM_KIND:
        return 0
    person = await staff_mod.identify(session, platform, user_id)
    if person is None:
        return 0
    fields = dict((payload.get("template") or {}).get("fields") or {})
    what = T.PUSH_TITLE.get(kind, T.PUSH_TITLE_DEFAULT)
    why = T.UNREACHABLE_REASON.get(reason) or T.UNREACHABLE_REFUSED.format(code=reason)
    text = T.STAFF_UNREACHABLE.format(name=person.name, staff_id=person.id, what=what, reason=why,
                                      text=payload.get("text") or "")
    template = {"kind": ALARM_KIND, "fields": {**{f: fields.get(f, "") for f in ("case_number", "place")},
                                               "title": T.PUSH_TITLE[ALARM_KIND], "time": time_field(now),
                                               "summary": T.UNREACHABLE_SUMMARY.format(name=person.name, what=what)}}
    return await _to_supervisors(session, {"text": text, "template": template}, f"unreached:{push_id}", now,
                                 skip_staff=person.id)


async def platform_paused(session: AsyncSession, *, platform: str, code: str, now: datetime) -> int:
    """A platform refused our account's set-up: tell the supervisors reachable elsewhere."""
    text = T.DELIVERY_PAUSED.format(platform=T.PLATFORM_NAME.get(platform, platform), code=code)
    return await _to_supervisors(session, {"text": text}, f"paused:{platform}:{now.isoformat()}", now,
                                 skip_platform=platform)


async def _to_supervisors(session: AsyncSession, payload: dict, key: str, now: datetime, *,
                          skip_staff: str | None = None, skip_platform: str | None = None) -> int:
    queued = 0
    for supervisor in await staff_mod.supervisors(session):
        address = await staff_mod.push_address(session, supervisor.id)
        if supervisor.id == skip_staff or address is None or address[0] == skip_platform:
            continue
        outbox.enqueue(session, platform=address[0], user_id=address[1], kind=ALARM_KIND, payload=payload,
                       idempotency_key=f"{key}:{supervisor.id}", now=now)
        queued += 1
    return queued
