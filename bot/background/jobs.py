"""The job loop: runs due rows of the jobs table (storage/jobs.py) with the handler registered for
their kind. One loop per process; a job runs once across processes (a lease taken with SKIP LOCKED on
PostgreSQL, and the row held locked while its handler runs); jobs live in the database, so they survive
restarts; a failing job is retried with backoff and parked with its error after `max_attempts`.

Wiring (bot/background/workers.py): `runner.include(module.handlers)` for each module that declares handlers on a
`storage.jobs.JobHandlers`; the list is JOB_HANDLER_MODULES below.

    runner.run_once("report.daily", at=..., key="report:2026-11-27")       # schedule one run
    runner.run_repeating("report.weekly", every_s=7 * 86400)               # a repeating row, once across processes
    runner.every("media.keep", 5, keeper.tick)                             # this process's own periodic work

`every` is for work that calls the network and must not hold a transaction (downloading residents'
photos): the loop calls it outside any transaction, in each process; the work leases its own rows.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import random
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from bot.backoff import backoff_s
from bot.background.outbox import process_id
from bot.background.standing import schedule_standing
from storage import jobs
from storage.db import Database
from storage.jobs import Handler, JobHandlers, JobRun

log = logging.getLogger(__name__)

# Modules (below bot/) that expose `handlers: JobHandlers`; the job loop of every process includes them.
JOB_HANDLER_MODULES: list[str] = ["backend.workflow", "backend.surveys", "backend.charging", "backend.personal_data",
                                  "backend.takeover", "storage.replay"]


def registered_handlers() -> JobHandlers:
    handlers = JobHandlers()
    for name in JOB_HANDLER_MODULES:
        handlers.include(importlib.import_module(name).handlers)
    return handlers


@dataclass
class Periodic:
    """Work this process runs every `every_s` seconds on the job loop, outside any transaction."""

    name: str
    every_s: float
    work: Callable[[], Awaitable[object]]
    next_at: float = 0.0  # loop time; 0: at the first round
    task: asyncio.Task | None = None  # the run in progress, if any


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
        self.periodic: list[Periodic] = []
        self.standing: list = []  # schedules of standing jobs not yet made sure of (bot/background/standing.py)

    # --- registration and scheduling ------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers.add(kind, handler)

    def include(self, handlers: JobHandlers) -> None:
        self.handlers.include(handlers)

    def keep_scheduled(self, schedules: list) -> None:
        """Make sure these standing jobs exist at the first round that reaches the database."""
        self.standing = list(schedules)

    def every(self, name: str, every_s: float, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` every `every_s` seconds on this loop, outside any transaction (it may call the network)."""
        self.periodic.append(Periodic(name, every_s, work))

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
            if self.standing and await schedule_standing(self.db, self.clock, self.standing):
                self.standing = []
            try:
                ran = await self.tick()
            except Exception:
                log.exception("job round failed")
                ran = 0
            self.start_periodic()
            if ran == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.policy.poll_s)
                except asyncio.TimeoutError:
                    pass
        await self.finish_periodic()

    def start_periodic(self) -> list[asyncio.Task]:
        """Start the periodic work that is due, each in a task of its own, so that slow network calls (a photo
        download may take WeChat's whole timeout) never hold up due jobs such as the 1315 deadlines. Work still
        running from its last start is not started again. Returns the tasks started."""
        loop = asyncio.get_running_loop()
        started = []
        for periodic in self.periodic:
            if loop.time() < periodic.next_at or (periodic.task is not None and not periodic.task.done()):
                continue
            periodic.next_at = loop.time() + periodic.every_s
            periodic.task = asyncio.create_task(self._periodic(periodic))
            started.append(periodic.task)
        return started

    async def finish_periodic(self) -> None:
        """Wait for the periodic work in progress (at shutdown: let a download finish its file)."""
        await asyncio.gather(*(p.task for p in self.periodic if p.task is not None), return_exceptions=True)

    @staticmethod
    async def _periodic(periodic: Periodic) -> None:
        try:
            await periodic.work()
        except Exception:  # logged; the work runs again at its next period
            log.exception("periodic work %s failed", periodic.name)

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
