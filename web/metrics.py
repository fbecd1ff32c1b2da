"""/metrics (Prometheus text format 0.0.4, written here: a handful of series does not need a client
library) and the facts /healthz reports.

In-process series (since this process started): inbound messages by kind and the reply latency histogram
(time from the webhook handing an Update to the pipeline until the answer is ready). Read from the
database at scrape time (the same for every process): cases by status, outbox rows by status and the
pending backlog, SLA breaches, jobs by status.
"""
from __future__ import annotations

import asyncio
import hmac
import time
from collections import Counter

from aiohttp import web

from backend import analytics, monitoring
from backend.monitoring import outbox_backlog  # noqa: F401  (/healthz reads it from here)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class MessageMetrics:
    def __init__(self) -> None:
        self.by_kind: Counter = Counter()
        self.bucket_counts = [0] * len(LATENCY_BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0

    def observe(self, kind: str, seconds: float) -> None:
        self.by_kind[kind] += 1
        self.latency_sum += seconds
        self.latency_count += 1
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.bucket_counts[i] += 1

    def instrument(self, pipeline) -> None:
        """Time every `pipeline.process(update)` of this process (wraps the instance's method)."""
        process = pipeline.process

        async def timed(update, *args, **kwargs):
            started = time.perf_counter()
            try:
                return await process(update, *args, **kwargs)
            finally:
                self.observe(update.kind, time.perf_counter() - started)

        pipeline.process = timed


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(lines: list[str], name: str, kind: str, help_text: str, samples: list[tuple[str, dict, float]]) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for suffix, labels, value in samples:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        lines.append(f"{name}{suffix}{{{label_text}}} {value:g}" if labels else f"{name}{suffix} {value:g}")


async def exposition(metrics: MessageMetrics, db) -> str:
    async with db.sessions() as session:
        cases = await analytics.cases_by_status(session)
        outbox = await monitoring.outbox_by_status(session)
        breaches = await analytics.sla_breaches(session)
        jobs = await monitoring.jobs_by_status(session)
    lines: list[str] = []
    _family(lines, "gongzhi_messages_total", "counter", "Inbound messages and events handled by this process, by kind.",
            [("", {"kind": k}, n) for k, n in sorted(metrics.by_kind.items())])
    buckets = []
    for bound, n in zip(LATENCY_BUCKETS, metrics.bucket_counts):
        buckets.append(("_bucket", {"le": f"{bound:g}"}, n))
    buckets.append(("_bucket", {"le": "+Inf"}, metrics.latency_count))
    _family(lines, "gongzhi_reply_seconds", "histogram", "Time from receiving a message to the answer being ready.",
            buckets + [("_sum", {}, round(metrics.latency_sum, 6)), ("_count", {}, metrics.latency_count)])
    _family(lines, "gongzhi_cases", "gauge", "Cases by status.",
            [("", {"status": s}, n) for s, n in sorted(cases.items())])
    _family(lines, "gongzhi_outbox_backlog", "gauge", "Pushes waiting to be sent (outbox rows pending).",
            [("", {}, outbox.get("pending", 0))])
    _family(lines, "gongzhi_outbox_messages", "gauge", "Outbox rows by status (failed, undeliverable and interrupted need a look).",
            [("", {"status": s}, n) for s, n in sorted(outbox.items())])
    _family(lines, "gongzhi_sla_breaches_total", "counter", "1315 deadlines missed (sla_breached events).",
            [("", {}, breaches)])
    _family(lines, "gongzhi_jobs", "gauge", "Scheduled jobs by status.", [("", {"status": s}, n) for s, n in sorted(jobs.items())])
    return "\n".join(lines) + "\n"


def metrics_handler(metrics: MessageMetrics, db, token: str | None):
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").encode()
        if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):  # constant time
            return web.Response(status=401, text="bearer token required\n")
        return web.Response(text=await exposition(metrics, db), content_type="text/plain",
                            charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})

    return handle


def job_loop_state(background: bool) -> str:
    """running | stopped (it should run here but its task is gone) | off (BACKGROUND=off)."""
    if not background:
        return "off"
    alive = any(t.get_name() == "job-loop" and not t.done() for t in asyncio.all_tasks())
    return "running" if alive else "stopped"
