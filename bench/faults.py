"""Faults: kill -9 under load, and WeChat's API down for a minute. Prints a PASS/FAIL table.

    .venv/bin/python bench/faults.py --pg postgresql+asyncpg://USER:PASS@127.0.0.1:5432/DB
                                     [--kill-seconds 60] [--kill-every 5] [--outage-seconds 60]

Both parts run two server processes (`main.py serve`, BACKGROUND=on: each runs the outbox sender and the
job loop) on one PostgreSQL database (its public schema is dropped and made again), with
WECHAT_API_BASE pointing at a fake WeChat API (bot/sandbox/fake_wechat.py) served by this process on
127.0.0.1; it records every push with the sender's X-Idempotency-Key. All 12 demo staff bind themselves
first, so every report's dispatch is a push to a WeChat openid. Short leases and deadlines so that a
run takes minutes: OUTBOX_LEASE_S=10, JOBS_LEASE_S=10, OUTBOX_RETRY_MAX_S=5, SLA_ACCEPT_S=5,
SLA_DEPART_S=10, SLA_ARRIVE_S=20 (the 1315 jobs fire during the run).

(a) kill -9: residents report (intake dialogs) against both processes (a refused connection is retried on
    the other, with the same MsgId, as a load balancer and WeChat's retry would); every --kill-every s one
    of the two gets SIGKILL and is started again. Then: every message answered with a reply is in the
    inbound log; every case number a resident was given is a case of that resident; the outbox drains;
    idempotency keys are unique in the outbox and no key reached the fake API twice (a push whose API call a
    kill cut off is marked interrupted and not sent again: counted, with how many had arrived); no job ran twice
    (at most one sla_breached event per case and stage).
(b) outage: the fake API answers 503 for --outage-seconds while residents report; afterwards every
    push is delivered, each exactly once.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scale_kit import (AES_KEY, APP_ID, APP_SECRET, NUMBER, TOKEN, Reporter, Said, free_port,  # noqa: E402
                             prepare_database, server_env, start_server, stop_server, wait_ready)
from bot.sandbox.fake_wechat import FakeWeChat  # noqa: E402
from bot.wechat.simulator import WeChatSimulator  # noqa: E402

STAFF = [f"S{i:02d}" for i in range(1, 13)]
FAST = dict(BACKGROUND="on", OUTBOX_LEASE_S="10", JOBS_LEASE_S="10", OUTBOX_RETRY_BASE_S="1",
            OUTBOX_RETRY_MAX_S="5", OUTBOX_POLL_S="0.5", JOBS_POLL_S="0.5", SLA_ACCEPT_S="5", SLA_DEPART_S="10",
            SLA_ARRIVE_S="20", LOG_LEVEL="WARNING")


class Cluster:
    """Two server processes on one database, each restartable on its own port."""

    def __init__(self, db_url: str, api_base: str, tmp: str):
        self.ports = [free_port(), free_port()]
        self.envs = [server_env(db_url, p, tmp, WECHAT_API_BASE=api_base, **FAST) for p in self.ports]
        self.logs = [Path(tmp) / f"server-{i}.log" for i in range(2)]
        self.procs = [None, None]
        self.kills = 0

    def start(self, i: int) -> None:
        self.procs[i] = start_server(self.envs[i], log=self.logs[i])

    async def up(self) -> None:
        for i in range(2):
            if self.procs[i] is None or self.procs[i].poll() is not None:
                self.start(i)
        await asyncio.gather(*(wait_ready(f"http://127.0.0.1:{p}/healthz") for p in self.ports))

    def kill9(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.kills += 1

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None:
                stop_server(proc)

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}/wechat"


async def deliver(http, cluster: Cluster, actor: Reporter, log: list[Said], rng: random.Random) -> Said:
    """One message to a random process; a refused/broken connection is retried on the other with the same
    XML (same MsgId), as WeChat retries, for up to 20 s."""
    xml, msg_id = actor.next_xml()
    said = Said(actor.kind, actor.openid, msg_id, time.perf_counter())
    first = rng.randrange(2)
    deadline = time.monotonic() + 20
    attempt = 0
    while time.monotonic() < deadline:
        i = (first + attempt) % 2
        attempt += 1
        params, body = actor.sim.signed(xml)
        try:
            async with http.post(cluster.url(i), params=params, data=body,
                                 headers={"Content-Type": "text/xml"}) as r:
                text = await r.text()
                said.status = r.status
                said.text = (actor.sim.open_reply(text) or {}).get("Content") if r.status == 200 else None
                break
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
            said.error = type(exc).__name__
            await asyncio.sleep(0.2)
    said.latency = time.perf_counter() - said.started
    log.append(said)
    actor.heard(said.text)
    return said


async def bind_staff(http, cluster: Cluster, sim: WeChatSimulator, codes: dict[str, str], prefix: str) -> None:
    for staff_id, code in codes.items():
        params, body = sim.signed(sim.text(f"{prefix}-{staff_id}", f"绑定 {code}"))
        async with http.post(cluster.url(0), params=params, data=body) as r:
            reply = (sim.open_reply(await r.text()) or {}).get("Content") or ""
        if "绑定成功" not in reply:
            raise RuntimeError(f"{staff_id} did not bind: {reply}")


async def residents(http, cluster, sim, prefix: str, count: int, stop: asyncio.Event, log: list[Said]):
    rng = random.Random(3)
    people = [Reporter(f"{prefix}-r{i}", sim, random.Random(i)) for i in range(count)]

    async def one(person: Reporter):
        while not stop.is_set():
            await deliver(http, cluster, person, log, rng)
            await asyncio.sleep(rng.uniform(0.05, 0.3))

    await asyncio.gather(*(one(p) for p in people))
    return people


async def wait_drained(db, timeout: float) -> tuple[bool, float]:
    from sqlalchemy import func, select

    from storage.models import OutboxMessage

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        async with db.sessions() as s:
            pending = (await s.execute(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.status == "pending"))).scalar_one()
        if pending == 0:
            return True, time.monotonic() - started
        await asyncio.sleep(1)
    return False, time.monotonic() - started


async def push_checks(db, fake: FakeWeChat, results: list) -> None:
    from sqlalchemy import func, select

    from storage.models import OutboxMessage

    async with db.sessions() as s:
        rows = (await s.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status, OutboxMessage.platform)
                                )).all()
        dup_outbox = (await s.execute(select(OutboxMessage.idempotency_key).group_by(OutboxMessage.idempotency_key)
                                      .having(func.count() > 1))).scalars().all()
    statuses = Counter(r.status for r in rows)
    sent = {r.idempotency_key for r in rows if r.status == "sent" and r.platform == "wechat"}
    delivered = fake.keys()
    repeated = {k: n for k, n in delivered.items() if n > 1}
    missing = sent - set(delivered)
    # (whether the outbox drained is checked by wait_drained; rows pending here were queued after that by
    # 1315 jobs still firing in the live cluster)
    results.append(("idempotency keys unique in the outbox", not dup_outbox,
                    f"{len(rows)} rows {dict(statuses)}, {len(dup_outbox)} repeated"))
    results.append(("no key pushed twice to the API", not repeated,
                    f"{sum(delivered.values())} pushes, {len(delivered)} keys" + (f"; repeated: {repeated}" if repeated else "")))
    results.append(("every sent push reached the API", not missing, f"{len(sent)} sent, {len(missing)} not recorded"))
    cut_off = {r.idempotency_key for r in rows if r.status == "interrupted"}
    results.append(("pushes cut off mid-call marked interrupted, not resent", all(delivered.get(k, 0) <= 1 for k in cut_off),
                    f"{len(cut_off)} interrupted, {len(cut_off & set(delivered))} of them had reached the API"))


async def part_kill(args, fake: FakeWeChat, api_base: str, tmp: str) -> list:
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import Case, CaseEvent, CaseFollower, InboundMessage, Job

    codes = await prepare_database(args.pg, officers=STAFF)
    cluster = Cluster(args.pg, api_base, tmp)
    sim = WeChatSimulator(url=cluster.url(0), token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    log: list[Said] = []
    stop = asyncio.Event()
    await cluster.up()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        await bind_staff(http, cluster, sim, codes, "kill-staff")
        load = asyncio.create_task(residents(http, cluster, sim, "kill", args.residents, stop, log))
        rng = random.Random(9)
        started = time.monotonic()
        while time.monotonic() - started < args.kill_seconds:
            await asyncio.sleep(args.kill_every)
            victim = rng.randrange(2)
            cluster.kill9(victim)
            await asyncio.sleep(1.0)
            cluster.start(victim)
        stop.set()
        people = await load
    await cluster.up()
    db = Database(args.pg)
    drained, waited = await wait_drained(db, args.drain_timeout)
    results = []
    answered = [s for s in log if s.status == 200 and s.text is not None]
    async with db.sessions() as s:
        keys = set((await s.execute(select(InboundMessage.user_id, InboundMessage.msg_key))).all())
        case_of = dict((await s.execute(select(Case.number, Case.reporter_id))).all())
        followed = set((await s.execute(select(Case.number, CaseFollower.user_id)
                                        .join(CaseFollower, CaseFollower.case_id == Case.id))).all())
        breaches = (await s.execute(select(CaseEvent.case_id, CaseEvent.data)
                                    .where(CaseEvent.kind == "sla_breached"))).all()
        jobs = Counter((await s.execute(select(Job.status))).scalars())
        retried = (await s.execute(select(func.count()).select_from(Job).where(Job.attempts > 1))).scalar_one()
    missing = [s for s in answered if (s.openid, f"msg:{s.msg_id}") not in keys]
    given = {(n, p.openid) for p in people for n in p.numbers}
    # a number in a reply is the resident's own new case, or an existing one they chose to follow
    not_cases = [(n, o) for n, o in given if case_of.get(n) != o and (n, o) not in followed]
    per_stage = Counter((case_id, (data or {}).get("stage")) for case_id, data in breaches)
    twice = {k: n for k, n in per_stage.items() if n > 1}
    failed = [s for s in log if s.status != 200]
    results.append((f"load ran with {cluster.kills} SIGKILLs", cluster.kills > 0,
                    f"{len(log)} messages, {len(answered)} answered with a reply, {len(failed)} never answered"
                    f" (both down / 20 s), {sum(1 for s in log if s.status == 200 and s.text is None)} 'success'"))
    results.append(("every replied message is in the inbound log", not missing, f"{len(missing)} missing"))
    results.append(("every confirmed report is a case", not not_cases and bool(given),
                    f"{len(given)} case numbers given, {len(not_cases)} not found"))
    results.append(("the outbox drained after the kills", drained, f"in {waited:.0f} s"))
    await push_checks(db, fake, results)
    results.append(("no job ran twice (sla_breached per case+stage ≤ 1)", not twice,
                    f"{len(breaches)} breaches, jobs {dict(jobs)}, {retried} run more than once after a crash"))
    await db.dispose()
    cluster.stop()
    return results


async def part_outage(args, fake: FakeWeChat, api_base: str, tmp: str) -> list:
    from storage.db import Database

    codes = await prepare_database(args.pg, officers=STAFF)
    fake.pushes.clear()
    cluster = Cluster(args.pg, api_base, tmp)
    sim = WeChatSimulator(url=cluster.url(0), token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    log: list[Said] = []
    await cluster.up()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        await bind_staff(http, cluster, sim, codes, "outage-staff")
        before_503 = sum(fake.calls.values())
        fake.down_for(args.outage_seconds)
        stop = asyncio.Event()
        load = asyncio.create_task(residents(http, cluster, sim, "outage", args.residents, stop, log))
        await asyncio.sleep(min(20, args.outage_seconds / 2))
        stop.set()
        await load
        down_until = fake._down_until
        while fake.clock() < down_until:
            await asyncio.sleep(0.5)
        during = sum(fake.calls.values()) - before_503
        pushed_during = sum(1 for p in fake.pushes if p["at"] < down_until)
    db = Database(args.pg)
    drained, waited = await wait_drained(db, args.drain_timeout)
    results = [(f"API down {args.outage_seconds:g} s under load", during > 0 and pushed_during == 0,
                f"{len(log)} messages, {during} API calls refused with 503 meanwhile")]
    results.append(("every push delivered after the outage", drained, f"drained {waited:.0f} s after it ended"))
    await push_checks(db, fake, results)
    await db.dispose()
    cluster.stop()
    return results


async def main_async(args) -> int:
    fake = FakeWeChat(APP_ID, APP_SECRET)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api_base = f"http://127.0.0.1:{port}"
    table = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.kill_seconds > 0:
                print(f"(a) kill -9 every {args.kill_every:g} s for {args.kill_seconds:g} s …", flush=True)
                table += [("kill -9", *r) for r in await part_kill(args, fake, api_base, tmp)]
            if args.outage_seconds > 0:
                print(f"(b) WeChat API down for {args.outage_seconds:g} s …", flush=True)
                table += [("API outage", *r) for r in await part_outage(args, fake, api_base, tmp)]
        finally:
            await runner.cleanup()
            if args.keep_logs:
                for log in Path(tmp).glob("server-*.log"):
                    print(f"--- {log.name}\n{log.read_text()[-3000:]}")
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the start, {args.residents} residents, PostgreSQL")
    width = max(len(r[1]) for r in table) + 2
    for part, check, ok, detail in table:
        print(f"{'PASS' if ok else 'FAIL'}  {part:<11}{check:<{width}}{detail}")
    ok = all(r[2] for r in table)
    print("\nALL PASS" if ok else "\nSOME FAILED")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", required=True, help="PostgreSQL URL; its public schema is recreated")
    parser.add_argument("--kill-seconds", type=float, default=60)
    parser.add_argument("--kill-every", type=float, default=5)
    parser.add_argument("--outage-seconds", type=float, default=60)
    parser.add_argument("--residents", type=int, default=12)
    parser.add_argument("--drain-timeout", type=float, default=120)
    parser.add_argument("--keep-logs", action="store_true", help="print the servers' log tails")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
