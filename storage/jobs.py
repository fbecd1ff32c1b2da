"""The jobs table: time-based work (SLA deadlines, surveys, revisits, reminders) as rows.

Scheduling, from anywhere below bot/ and inside the caller's transaction, so a job exists exactly when the
change that needs it commits:

    from storage import jobs
    await jobs.schedule(session, "survey.send", due_at, {"case_id": 12}, key="survey:12:1")
    await jobs.cancel(session, "survey:12:1")

Handling: a module declares its handlers on a `JobHandlers` registry (the bot's job loop includes it):

    handlers = jobs.JobHandlers()

    @handlers.handler("survey.send")
    async def send_survey(session: AsyncSession, job: jobs.JobRun) -> None:
        ...  # job.payload, job.now; writes (outbox rows, new jobs) commit with the job's completion

A handler runs in one transaction that also marks the job done: its writes and the completion commit
together, or neither does (a raise rolls back its writes; the job is retried with backoff and, after
too many attempts, parked with its error). Handlers must not call the network: to reach a person they
write to the outbox. Statuses: pending -> done | parked | cancelled; a repeating job (`every_s`) stays
pending and moves its `due_at` on after each run.

The functions below the line are the job loop's (bot/background/jobs.py) claim/run/finish steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import lease
from storage.db import insert_for
from storage.models import Job


@dataclass(frozen=True)
class JobRun:
    """What a handler is given about the job it runs."""

    id: int
    kind: str
    key: str | None
    payload: dict
    due_at: datetime
    now: datetime  # the time of this run (the loop's clock)
    attempt: int  # 1 on the first run


Handler = Callable[[AsyncSession, JobRun], Awaitable[Any]]


class JobHandlers:
    """Handlers by job kind. Modules keep one each; the job loop includes them all."""

    def __init__(self) -> None:
        self.by_kind: dict[str, Handler] = {}

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.add(kind, fn)
            return fn
        return register

    def add(self, kind: str, fn: Handler) -> None:
        if kind in self.by_kind and self.by_kind[kind] is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self.by_kind[kind] = fn

    def include(self, other: "JobHandlers") -> None:
        for kind, fn in other.by_kind.items():
            self.add(kind, fn)


async def schedule(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    payload: dict | None = None,
    *,
    key: str | None = None,
    every_s: int | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> int:
    """Add a job to the caller's transaction and return its id.

    With a `key`, scheduling is idempotent: a second call with the same key returns the existing job and
    changes nothing, unless `replace=True`, which moves it to the new due time and payload and re-arms it
    (also when it had finished, been cancelled or parked). `every_s` makes it repeat.
    """
    now = now or datetime.now(timezone.utc)
    values = dict(kind=kind, key=key, payload=payload or {}, due_at=due_at, every_s=every_s, status="pending",
                  attempts=0, created_at=now, updated_at=now)
    if key is None:
        row = Job(**values)
        session.add(row)
        await session.flush()
        return row.id
    statement = (insert_for(session)(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
                 .returning(Job.id))
    job_id = (await session.execute(statement)).scalar_one_or_none()
    if job_id is not None:
        return job_id
    job_id = (await session.execute(select(Job.id).where(Job.key == key))).scalar_one()
    if replace:
        await session.execute(update(Job).where(Job.id == job_id).values(
            kind=kind, payload=payload or {}, due_at=due_at, every_s=every_s, status="pending", attempts=0,
            last_error=None, finished_at=None, updated_at=now))
    return job_id


async def cancel(session: AsyncSession, key: str, *, now: datetime | None = None) -> bool:
    """Cancel the pending job with this key in the caller's transaction; False if there is none.
    A run in progress is not interrupted: cancel waits for it (row lock) and then finds it done."""
    now = now or datetime.now(timezone.utc)
    values = dict(status="cancelled", finished_at=now, updated_at=now)
    result = await session.execute(update(Job).where(Job.key == key, Job.status == "pending").values(**values))
    return result.rowcount > 0


async def find(session: AsyncSession, key: str) -> Job | None:
    return (await session.execute(select(Job).where(Job.key == key))).scalar_one_or_none()


async def parked(session: AsyncSession, *, limit: int = 100) -> list[Job]:
    """Jobs that failed too often and wait for a person (newest first)."""
    return list((await session.execute(
        select(Job).where(Job.status == "parked").order_by(Job.updated_at.desc()).limit(limit))).scalars())


async def unpark(session: AsyncSession, job_id: int, *, now: datetime) -> bool:
    """Give a parked job a fresh set of attempts, due now."""
    result = await session.execute(update(Job).where(Job.id == job_id, Job.status == "parked").values(
        status="pending", attempts=0, due_at=now, updated_at=now, lease_owner=None, lease_until=None))
    return result.rowcount == 1


# --- the job loop's steps (bot/background/jobs.py) -------------------------------------------------------

async def claim(session: AsyncSession, *, kinds: list[str], owner: str, now: datetime, lease_s: float,
                limit: int) -> list[JobRun]:
    """Lease up to `limit` due jobs of these kinds to `owner` and count the attempt (storage/lease.py)."""
    if not kinds:
        return []
    rows = await lease.claim(session, Job, available=[Job.status == "pending"],
                             due=[Job.kind.in_(kinds), Job.due_at <= now], order_by=[Job.due_at, Job.id],
                             owner=owner, now=now, lease_s=lease_s, limit=limit,
                             returning=[Job.id, Job.kind, Job.key, Job.payload, Job.due_at, Job.attempts])
    return sorted((JobRun(r.id, r.kind, r.key, r.payload or {}, r.due_at, now, r.attempts) for r in rows),
                  key=lambda run: (run.due_at, run.id))


async def hold(session: AsyncSession, run: JobRun, *, owner: str, now: datetime, lease_s: float) -> bool:
    """First statement of a run's transaction: check the lease is still ours and lock the row (a write,
    so PostgreSQL row-locks it and SQLite takes its write lock) until the run commits or rolls back."""
    result = await session.execute(
        update(Job).where(Job.id == run.id, Job.lease_owner == owner, Job.status == "pending")
        .values(lease_until=now + timedelta(seconds=lease_s)))
    return result.rowcount == 1


async def complete(session: AsyncSession, run: JobRun, *, now: datetime) -> None:
    """Mark a run done in its transaction; a repeating job moves to its next due time instead."""
    every_s = (await session.execute(select(Job.every_s).where(Job.id == run.id))).scalar_one()
    if every_s:
        await session.execute(update(Job).where(Job.id == run.id).values(
            due_at=next_occurrence(run.due_at, every_s, now), attempts=0, lease_owner=None, lease_until=None,
            updated_at=now))
    else:
        await session.execute(update(Job).where(Job.id == run.id).values(
            status="done", lease_owner=None, lease_until=None, last_error=None, updated_at=now,
            finished_at=now))


async def record_failure(session: AsyncSession, run: JobRun, *, owner: str, error: str, now: datetime,
                         retry_at: datetime | None) -> str:
    """After a failed run: retry at `retry_at`, or park (a repeating job skips to its next time instead).
    Returns the job's new status word for the log: retry | parked | skipped | lost."""
    job = (await session.execute(select(Job).where(Job.id == run.id, Job.lease_owner == owner,
                                                   Job.status == "pending"))).scalar_one_or_none()
    if job is None:
        return "lost"
    values: dict = dict(last_error=error[:4000], lease_owner=None, lease_until=None, updated_at=now)
    if retry_at is not None:
        values.update(due_at=retry_at)
        outcome = "retry"
    elif job.every_s:
        values.update(due_at=next_occurrence(run.due_at, job.every_s, now), attempts=0)
        outcome = "skipped"
    else:
        values.update(status="parked", finished_at=now)
        outcome = "parked"
    await session.execute(update(Job).where(Job.id == run.id).values(**values))
    return outcome


def next_occurrence(due_at: datetime, every_s: int, now: datetime) -> datetime:
    """The first time after `now` on the grid due_at + k * every_s (missed runs are not made up)."""
    step = timedelta(seconds=every_s)
    missed = int((now - due_at) / step) + 1 if now >= due_at else 1
    return due_at + missed * step
