"""The job loop: runs due rows of the jobs table (storage/jobs.py) with the handler registered for
their kind. One loop per process; a job runs once across processes (a lease taken with SKIP LOCKED on
PostgreSQL, and the row held locked while its handler runs); jobs live in the database, so they survive
restarts; a failing job is retried with backoff and parked with its error after `max_attempts`.

Wiring (bot/background/workers.py): `runner.include(module.handlers)` for each module that declares handlers on a
`storage.jobs.JobHandlers`; the list is JOB_HANDLER_MODULES below.

    runner.run_once("report.daily", at=..., key="report:2026-11-27")       # schedule one run
    runner.run_repeating("outbox.cleanup", every_s=3600, key="outbox.cleanup")
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import random
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from bot.backoff import backoff_s
from bot.background.outbox import process_id
from storage import jobs
from storage.db import Database
from storage.jobs import Handler, JobHandlers, JobRun

log = logging.getLogger(__name__)

# Modules (below bot/) that expose `handlers: JobHandlers`; the job loop of every process includes them.
# e.g. "backend.surveys", "backend.sla" once those exist.
JOB_HANDLER_MODULES: list[str] = ["backend.workflow", "backend.surveys", "backend.charging", "backend.personal_data"]


def registered_handlers() -> JobHandlers:
    handlers = JobHandlers()
    for name in JOB_HANDLER_MODULES:
        handlers.include(importlib.import_module(name).handlers)
    return handlers


@dataclass(frozen=True)
class JobPolicy:
    batch: int = 20
    lease_s: float = 300.0
    max_attempts: int = 5
    retry_base_s: float = 30.0
    retry_max_s: float = 3600.0
    poll_s: float = 1.0


class JobRunner:
    def __init__(self, db: Database, *, clock: Callable[[], datetime], owner: str | None = None,
                 policy: JobPolicy = JobPolicy(), rng: random.Random | None = None):
        self.db = db
        self.clock = clock
        self.owner = owner or process_id()
        self.policy = policy
        self.rng = rng or random.Random()
        self.handlers = JobHandlers()

    # --- registration and scheduling ------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers.add(kind, handler)

    def include(self, handlers: JobHandlers) -> None:
        self.handlers.include(handlers)

    async def run_once(self, kind: str, *, at: datetime | None = None, delay_s: float = 0, payload: dict | None = None,
                       key: str | None = None) -> int:
        """Schedule one run of `kind` (at a time, or after a delay), in its own transaction."""
        now = self.clock()
        async with self.db.transaction() as session:
            return await jobs.schedule(session, kind, at or now + timedelta(seconds=delay_s), payload, key=key,
                                       now=now)

    async def run_repeating(self, kind: str, *, every_s: int, first: datetime | None = None,
                            payload: dict | None = None, key: str | None = None) -> int:
        """Schedule `kind` every `every_s` seconds from `first` (default: now). Idempotent on `key`
        (default: the kind), so every process may call it at start-up."""
        now = self.clock()
        async with self.db.transaction() as session:
            return await jobs.schedule(session, kind, first or now, payload, key=key or kind, every_s=every_s,
                                       now=now)

    # --- running ---------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """One round: claim due jobs, run each in its own transaction. Returns how many ran."""
        now = self.clock()
        async with self.db.transaction() as session:
            claimed = await jobs.claim(session, kinds=sorted(self.handlers.by_kind), owner=self.owner, now=now,
                                       lease_s=self.policy.lease_s, limit=self.policy.batch)
        for run in claimed:
            await self._run(run)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """The loop: rounds until `stop` is set; sleeps `poll_s` when nothing was due."""
        log.info("job loop %s started for %d kinds", self.owner, len(self.handlers.by_kind))
        while not stop.is_set():
            try:
                ran = await self.tick()
            except Exception:
                log.exception("job round failed")
                ran = 0
            if ran == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.policy.poll_s)
                except asyncio.TimeoutError:
                    pass

    async def _run(self, run: JobRun) -> None:
        handler = self.handlers.by_kind[run.kind]
        now = self.clock()
        run = JobRun(run.id, run.kind, run.key, run.payload, run.due_at, now, run.attempt)
        try:
            async with self.db.transaction() as session:
                if not await jobs.hold(session, run, owner=self.owner, now=now, lease_s=self.policy.lease_s):
                    log.warning("job %s (%s): lease lost or cancelled before it ran", run.id, run.kind)
                    return
                await handler(session, run)
                await jobs.complete(session, run, now=self.clock())
        except Exception as exc:
            await self._failed(run, exc)
            return
        log.info("job %s (%s) done on attempt %d", run.id, run.kind, run.attempt)

    async def _failed(self, run: JobRun, exc: Exception) -> None:
        error = "".join(traceback.format_exception(exc, limit=-3)).strip()
        now = self.clock()
        retry_at = None
        if run.attempt < self.policy.max_attempts:
            retry_at = now + timedelta(seconds=backoff_s(run.attempt, base_s=self.policy.retry_base_s,
                                                         max_s=self.policy.retry_max_s, rng=self.rng))
        async with self.db.transaction() as session:
            outcome = await jobs.record_failure(session, run, owner=self.owner, error=error, now=now,
                                                retry_at=retry_at)
        level = logging.ERROR if outcome == "parked" else logging.WARNING
        log.log(level, "job %s (%s) attempt %d failed: %s: %s -> %s", run.id, run.kind, run.attempt,
                type(exc).__name__, exc, outcome)
