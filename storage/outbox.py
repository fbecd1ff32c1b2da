"""The outbox: what must reach a person, written in the caller's transaction and delivered later by the
sender in bot/background/outbox.py.

Rows
    platform + user_id  the recipient; `platform` picks the delivery adapter ("wechat" now, "wecom" later)
    kind                what the push is about (reply, case_status, dispatch, survey, charging, …)
    idempotency_key     unique: the same push cannot be queued twice (e.g. "case:12:status:accepted");
                        the sender also sends it along and logs it
    sending_at          set (and committed) right before the platform's API is called, cleared when the
                        outcome is recorded: a row whose lease ran out with it still set belonged to a
                        process that died during the call, so nobody knows whether the push arrived
    status              pending -> sent | failed | undeliverable | interrupted
                        sent:          delivered; `channel` says how (custom, template, subscribe, …)
                        failed:        the platform refused it for good (e.g. 43004 the resident unfollowed,
                                       40003 bad openid) or it kept failing for a day; see `error_code`
                        undeliverable: no channel could carry it (outside the 48 h window and no template
                                       configured for its kind); see `error_code` and `last_error`
                        interrupted:   its process died during the API call. WeChat's customer-service
                                       messages have no idempotency key, so sending again could deliver it
                                       twice; it is not sent again but listed with the delivery problems for
                                       staff. Where the platform drops a repeat itself (WeCom's duplicate
                                       check: `claim(resend_safe=…)`; a template message's client_msg_id for
                                       10 minutes: `resend_until`) it is sent again instead
    error_code          short reason: a platform errcode ("43004"), or "no_template", "no_template_data",
                        "gave_up"; `last_error` has the details in English

Payload convention
    {"text": "…"}                                   a text message, or
    {"articles": [{"title", "description", "url", "image"}, …]}   news (handlers.types.Reply.to_data())
    plus, optionally, "url": "/h5/cases/…"         the page the push is about: a path under PUBLIC_URL (or a
                                                    full URL), added as a link to a text message
    plus, optionally, the fallback for when the resident is outside WeChat's 48-hour window:
    "template": {"kind": "case_status",            which configured template ([case_status] in WECHAT_TEMPLATES_FILE)
                 "fields": {"case_number": "20261127-0012", "status": "处理中", …},
                 "url": "https://…" | "/h5/…"}      where tapping the notification leads (optional)
    The fields are domain names, whole (each kind's are declared in backend/pushes.py); the template
    configuration maps them to the template's keywords and fits each value to its keyword's type
    (bot/wechat/templates.py). A push without "template" outside the window is undeliverable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import lease
from storage.models import InboundMessage, OutboxMessage

FINAL_STATUSES = ("sent", "failed", "undeliverable", "interrupted")
PROBLEM_STATUSES = ("failed", "undeliverable", "interrupted")


def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    kind: str,
    payload: dict,
    idempotency_key: str,
    now: datetime,
) -> OutboxMessage:
    """Add one push to the caller's transaction. The idempotency key is unique: the same push cannot be
    queued twice, and the sender uses it so a crash between sending and marking repeats at most one."""
    row = OutboxMessage(
        platform=platform,
        user_id=user_id,
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class DeliveryProblem:
    """A push that did not arrive, as staff see it."""

    id: int
    platform: str
    user_id: str
    kind: str
    status: str  # failed | undeliverable | interrupted
    error_code: str | None
    detail: str | None
    payload: dict
    created_at: datetime
    attempts: int


async def delivery_problems(session: AsyncSession, *, user_id: str | None = None, since: datetime | None = None,
                            limit: int = 100) -> list[DeliveryProblem]:
    """Pushes that did not arrive (or may not have), newest first (for staff views and reports)."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(PROBLEM_STATUSES))
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    rows = (await session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit))).scalars()
    return [DeliveryProblem(r.id, r.platform, r.user_id, r.kind, r.status, r.error_code, r.last_error, r.payload,
                            r.created_at, r.attempts) for r in rows]


async def pending_by_platform(session: AsyncSession) -> dict[str, int]:
    """How many pushes wait on each platform."""
    return dict((await session.execute(select(OutboxMessage.platform, func.count()).where(
        OutboxMessage.status == "pending").group_by(OutboxMessage.platform))).all())


async def status_of(session: AsyncSession, idempotency_key: str) -> str | None:
    """pending | sent | failed | undeliverable | interrupted, or None if no such push was queued."""
    return (await session.execute(select(OutboxMessage.status).where(
        OutboxMessage.idempotency_key == idempotency_key))).scalar_one_or_none()


async def last_inbound_at(session: AsyncSession, platform: str, user_id: str) -> datetime | None:
    """When this person last wrote to us or did something else WeChat counts (storage.inbound.WINDOW_EVENTS):
    the start of WeChat's 48-hour customer-service window and of its allowance."""
    return (await session.execute(select(func.max(InboundMessage.received_at)).where(
        InboundMessage.platform == platform, InboundMessage.user_id == user_id,
        InboundMessage.opens_window.is_(True)))).scalar_one_or_none()


async def sent_since(session: AsyncSession, platform: str, user_id: str, channel: str, since: datetime) -> int:
    """How many pushes went to this person by `channel` since a time (the per-message allowance)."""
    return (await session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.platform == platform, OutboxMessage.user_id == user_id, OutboxMessage.status == "sent",
        OutboxMessage.channel == channel, OutboxMessage.sent_at >= since))).scalar_one()


# --- the sender's steps (bot/background/outbox.py) --------------------------------------------------------------

@dataclass(frozen=True)
class Claimed:
    id: int
    platform: str
    user_id: str
    kind: str
    payload: dict
    idempotency_key: str
    attempts: int  # including this one
    created_at: datetime


async def claim(session: AsyncSession, *, platforms: list[str], owner: str, now: datetime, lease_s: float,
                limit: int, resend_safe: frozenset[str] = frozenset()) -> list[Claimed]:
    """Lease up to `limit` due pushes to `owner` and count the attempt.

    Only the oldest pending push of each recipient is claimable, so one person's pushes go out one at a
    time and in order, whichever process sends them. PostgreSQL skips rows another claim has locked;
    SQLite's single writer serialises claims. Pushes whose process died during the API call are first
    marked interrupted, except on the `resend_safe` platforms and where the platform still drops a repeat of
    the call that was cut off (`resend_until`, e.g. a template message's client_msg_id): those are simply
    claimable again.
    """
    if not platforms:
        return []
    died_sending = and_(OutboxMessage.status == "pending", OutboxMessage.sending_at.is_not(None),
                        OutboxMessage.lease_until < now, OutboxMessage.platform.in_(platforms))
    repeat_dropped = or_(OutboxMessage.platform.in_(resend_safe),
                         and_(OutboxMessage.resend_until.is_not(None), OutboxMessage.resend_until > now))
    await session.execute(update(OutboxMessage).where(died_sending, ~repeat_dropped)
                          .values(status="interrupted", error_code="interrupted", lease_owner=None, lease_until=None,
                                  last_error="the sending process died during the API call (at sending_at); "
                                             "not sent again, so it cannot arrive twice"))
    earlier = aliased(OutboxMessage)
    blocked = select(earlier.id).where(earlier.platform == OutboxMessage.platform,
                                       earlier.user_id == OutboxMessage.user_id, earlier.status == "pending",
                                       earlier.id < OutboxMessage.id).exists()
    rows = await lease.claim(
        session, OutboxMessage, available=[OutboxMessage.status == "pending"],
        due=[OutboxMessage.platform.in_(platforms), OutboxMessage.next_attempt_at <= now, ~blocked],
        order_by=[OutboxMessage.next_attempt_at, OutboxMessage.id], owner=owner, now=now, lease_s=lease_s,
        limit=limit, returning=[OutboxMessage.id, OutboxMessage.platform, OutboxMessage.user_id, OutboxMessage.kind,
                                OutboxMessage.payload, OutboxMessage.idempotency_key, OutboxMessage.attempts,
                                OutboxMessage.created_at])
    return sorted((Claimed(r.id, r.platform, r.user_id, r.kind, r.payload or {}, r.idempotency_key, r.attempts,
                           r.created_at) for r in rows), key=lambda c: c.id)


def _ours(row_id: int, owner: str):
    return and_(OutboxMessage.id == row_id, OutboxMessage.lease_owner == owner, OutboxMessage.status == "pending")


async def finish(session: AsyncSession, row_id: int, *, owner: str, status: str, now: datetime,
                 channel: str | None = None, error_code: str | None = None, detail: str | None = None) -> bool:
    """Record the end of a push (sent, failed or undeliverable); False if our lease had been lost."""
    assert status in FINAL_STATUSES
    result = await session.execute(update(OutboxMessage).where(_ours(row_id, owner)).values(
        status=status, channel=channel, error_code=error_code, last_error=detail,
        sent_at=now if status == "sent" else None, lease_owner=None, lease_until=None, sending_at=None,
        resend_until=None))
    return result.rowcount == 1


async def retry_later(session: AsyncSession, row_id: int, *, owner: str, at: datetime, error_code: str | None,
                      detail: str) -> bool:
    """A transient failure: release the lease and try again at `at`."""
    result = await session.execute(update(OutboxMessage).where(_ours(row_id, owner)).values(
        next_attempt_at=at, error_code=error_code, last_error=detail, lease_owner=None, lease_until=None,
        sending_at=None, resend_until=None))
    return result.rowcount == 1


async def begin_send(session: AsyncSession, row_id: int, *, owner: str, now: datetime,
                     resend_until: datetime | None = None) -> bool:
    """Note that the API call for this push starts now (commit before calling), and until when the platform
    would drop a repeat of it; False if the lease is lost."""
    result = await session.execute(update(OutboxMessage).where(_ours(row_id, owner)).values(
        sending_at=now, resend_until=resend_until))
    return result.rowcount == 1
