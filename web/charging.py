"""The charging HTTP API.

POST /api/charging/updates    a feed's batch of sensor updates; `Authorization: Bearer <token>` from
                              `python main.py charging token --feed NAME`. Body: a JSON list (or
                              {"updates": [...]}) of {"station_id", "spot", "state", "at"} or
                              {"station_id", "free", "at"}; `at` is the sensor's time (ISO 8601 with a
                              time zone, or Unix seconds). Valid items are applied, invalid ones listed
                              under "rejected" with their index; a batch with no valid item is a 422.
GET  /api/charging/stations   current state of every station: ?kind=ebike|car, ?lat=&lng= (nearest
                              first, with distance_m), ?free=1 (only stations with a fresh free spot),
                              ?limit=N.

The GET is open (no token), on purpose: it serves the street's dashboard and other channels (mini
program, big screen, partner apps) the same facts the bot tells any anonymous follower — station
places and free counts, no personal data, read-only and cheap — so no secret has to live in a browser.
Writes need a feed token; errors are JSON {"error": code, "detail": text}.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Callable

from aiohttp import web

from backend import charging
from storage.db import Database

log = logging.getLogger(__name__)

MAX_BATCH = 1000


def error(status: int, code: str, detail: str, **extra) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="charging"'} if status == 401 else None
    return web.json_response({"error": code, "detail": detail, **extra}, status=status, headers=headers)


class ChargingAPI:
    def __init__(self, db: Database, clock: Callable[[], datetime], policy: charging.ChargingPolicy):
        self.db, self.clock, self.policy = db, clock, policy

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/charging/updates", self.post_updates),
                web.get("/api/charging/stations", self.get_stations)]

    async def post_updates(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "missing_token", "send Authorization: Bearer <feed token>")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error(413, "too_large", "the body is over the server's size limit; send smaller batches")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            return error(400, "bad_json", f"the body is not JSON: {type(exc).__name__}")
        items = data.get("updates") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return error(400, "bad_batch", "send a JSON list of updates, or {\"updates\": [...]}")
        if len(items) > MAX_BATCH:
            return error(413, "batch_too_large", f"at most {MAX_BATCH} updates per request, got {len(items)}")
        parsed = []
        for index, item in enumerate(items):
            update = charging.parse_update(item)
            parsed.append(update if isinstance(update, charging.SensorUpdate) else (index, *update))
        now = self.clock()
        async with self.db.transaction() as session:
            feed = await charging.feed_of(session, token.strip())
            if feed is None:
                return error(401, "bad_token", "this token belongs to no charging feed")
            result = await charging.ingest(session, feed, parsed, now, self.policy)
        if items and result.applied + result.unchanged == 0:
            codes = {r["error"] for r in result.rejected}
            code = codes.pop() if len(codes) == 1 else "invalid_updates"
            return error(422, code, result.rejected[0]["detail"] if code != "invalid_updates"
                         else "no update in the batch is valid", rejected=result.rejected)
        if result.rejected:
            log.warning("charging feed %s: %d of %d updates rejected (%s)", feed, len(result.rejected), len(items),
                        result.rejected[0]["error"])
        return web.json_response({"ok": True, **result.as_json()})

    async def get_stations(self, request: web.Request) -> web.Response:
        q = request.query
        kind = q.get("kind") or None
        if kind is not None and kind not in charging.KINDS:
            return error(400, "bad_kind", "kind is ebike or car")
        try:
            lat = float(q["lat"]) if "lat" in q else None
            lng = float(q["lng"]) if "lng" in q else None
            limit = int(q["limit"]) if "limit" in q else None
        except ValueError:
            return error(400, "bad_query", "lat and lng are numbers, limit a whole number")
        if (lat is None) != (lng is None):
            return error(400, "bad_query", "give both lat and lng")
        free_only = q.get("free") in ("1", "true", "yes")
        now = self.clock()
        async with self.db.sessions() as session:
            if lat is not None:
                found = await charging.nearest(session, lat, lng, now, self.policy, kind=kind, free_only=free_only,
                                               limit=limit or 10_000)
            else:
                found = await charging.states(session, now, self.policy, kind=kind)
                if free_only:
                    found = [s for s in found if s.status == "available"]
                found = found[:limit] if limit is not None else found
        return web.json_response(
            {"at": now.isoformat(), "stale_after_s": self.policy.stale_s, "stations": [s.as_json() for s in found]},
            headers={"Cache-Control": "public, max-age=5", "Access-Control-Allow-Origin": "*"})


def charging_policy(settings) -> charging.ChargingPolicy:
    return charging.ChargingPolicy(stale_s=settings.charging_stale_s, alert_ttl_s=settings.charging_alert_ttl_s,
                                   alert_radius_m=settings.charging_alert_radius_m)
