"""EV charging: ingest throughput through the HTTP API, and the latency of "nearest free station".

    .venv/bin/python bench/charging.py [--stations 1000] [--batches 300] [-c 4] [--queries 2000]

A fresh SQLite file gets 1,000 synthetic stations around the street (70 % e-bike, 4-20 spots), a feed
token and 200 waiting area alerts. The server runs as its own process (`main.py serve`, BACKGROUND=off);
this process posts batches of 100 spot updates (random station, spot and state, sensor times moving
forward) at concurrency C and reports updates/s. Then it asks for the 3 nearest stations with a free
spot from random points: in-process through backend.charging.nearest (the query the chat runs, one
session each) and over HTTP (GET /api/charging/stations?lat=&lng=&free=1&limit=3), p50/p99.
Targets: >= 5,000 updates/s, p99 < 20 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import charging  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import ChargingStation  # noqa: E402

CENTER = (31.7525, 117.2850)  # the demo street
SPAN = 0.03  # degrees: a box of about 6 x 6 km


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point(rng: random.Random) -> tuple[float, float]:
    return CENTER[0] + rng.uniform(-SPAN, SPAN), CENTER[1] + rng.uniform(-SPAN, SPAN)


async def prepare(url: str, stations: int, rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
    db = Database(url)
    await db.migrate()
    now = datetime.now(timezone.utc)
    registry = []
    async with db.transaction() as session:
        for n in range(1, stations + 1):
            lat, lng = point(rng)
            spots = rng.randint(4, 20)
            kind = "ebike" if rng.random() < 0.7 else "car"
            session.add(ChargingStation(id=f"B{n:04d}", name=f"测试充电点{n}", compound_id="C01", kind=kind,
                                        lat=lat, lng=lng, spots=spots))
            registry.append((f"B{n:04d}", spots))
        token = await charging.issue_token(session, "bench", now, [station for station, _ in registry])
    async with db.transaction() as session:
        for n in range(200):
            lat, lng = point(rng)
            await charging.subscribe(session, "wechat", f"bench-{n}", kind="ebike", now=now,
                                     policy=charging.ChargingPolicy(), lat=lat, lng=lng)
    await db.dispose()
    return token, registry


async def ingest(base: str, token: str, registry: list[tuple[str, int]], batches: int, concurrency: int,
                 rng: random.Random) -> tuple[float, int, int]:
    start = datetime.now(timezone.utc) - timedelta(seconds=batches + 60)
    bodies = []
    for b in range(batches):
        items = []
        for i in range(100):
            station, spots = rng.choice(registry)
            items.append({"station_id": station, "spot": f"s{rng.randint(1, spots)}",
                          "state": rng.choice(("free", "occupied", "occupied", "fault")),
                          "at": (start + timedelta(seconds=b, microseconds=i)).isoformat()})
        bodies.append(items)
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    rejected = alerts = 0

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal rejected, alerts
        while not queue.empty():
            body = queue.get_nowait()
            async with http.post(f"{base}/api/charging/updates", json=body,
                                 headers={"Authorization": f"Bearer {token}"}) as response:
                result = await response.json()
                assert response.status == 200, result
                rejected += len(result["rejected"])
                alerts += result["alerts"]

    async with aiohttp.ClientSession() as http:
        began = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return batches * 100 / elapsed, rejected, alerts


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), to state a figure independent of other load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def nearest_in_process(url: str, queries: int, rng: random.Random) -> tuple[list[float], float]:
    db = Database(url)
    policy = charging.ChargingPolicy(stale_s=24 * 3600)
    timings = []
    cpu = time.process_time()
    for _ in range(queries):
        lat, lng = point(rng)
        began = time.perf_counter()
        async with db.sessions() as session:
            found = await charging.nearest(session, lat, lng, datetime.now(timezone.utc), policy,
                                           kind=rng.choice(("ebike", "car")), limit=3)
        timings.append((time.perf_counter() - began) * 1000)
        assert found
    cpu = (time.process_time() - cpu) / queries * 1000
    await db.dispose()
    return timings, cpu


async def nearest_over_http(base: str, queries: int, rng: random.Random) -> list[float]:
    timings = []
    async with aiohttp.ClientSession() as http:
        for _ in range(queries):
            lat, lng = point(rng)
            began = time.perf_counter()
            async with http.get(f"{base}/api/charging/stations", params={
                    "lat": lat, "lng": lng, "free": "1", "limit": "3", "kind": "ebike"}) as response:
                assert response.status == 200
                await response.read()
            timings.append((time.perf_counter() - began) * 1000)
    return timings


async def main(args) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        token, registry = await prepare(url, args.stations, rng)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "DATA_DIR": tmp,
               "BACKGROUND": "off", "LOG_LEVEL": "WARNING", "CHARGING_STALE_S": str(24 * 3600)}
        server = subprocess.Popen([sys.executable, "main.py", "serve"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(600):
                    try:
                        async with http.get(f"{base}/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
            await ingest(base, token, registry, 10, args.c, rng)  # warm-up
            cpu_before = cpu_seconds(server.pid)
            rate, rejected, alerts = await ingest(base, token, registry, args.batches, args.c, rng)
            cpu_after = cpu_seconds(server.pid)
            http_ms = await nearest_over_http(base, args.queries, rng)
        finally:
            server.terminate()
            server.wait(10)
        local_ms, local_cpu = await nearest_in_process(url, args.queries, rng)
    print(f"stations: {args.stations}, batches: {args.batches} x 100 updates at concurrency {args.c} (SQLite)")
    print(f"ingest over HTTP:            {rate:>8.0f} updates/s  (rejected {rejected}, alerts {alerts})")
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        print(f"  server CPU per update:     {(cpu_after - cpu_before) / (args.batches * 100) * 1e6:8.0f} us"
              f"  (= {args.batches * 100 / (cpu_after - cpu_before):.0f} updates per server CPU-second)")
    print(f"nearest 3 free, in-process:  p50 {statistics.median(local_ms):5.2f} ms   p99 {pct(local_ms, .99):5.2f} ms"
          f"   (CPU {local_cpu:.2f} ms/query)")
    print(f"nearest 3 free, over HTTP:   p50 {statistics.median(http_ms):5.2f} ms   p99 {pct(http_ms, .99):5.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=300, help="batches of 100 updates")
    parser.add_argument("-c", type=int, default=4, help="concurrent posting clients")
    parser.add_argument("--queries", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
