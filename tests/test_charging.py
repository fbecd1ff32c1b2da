"""EV charging end to end: the ingest API over real HTTP (feed tokens, out-of-order and repeated updates,
stale stations, mixed batches), the chat flow, free-spot alerts through the outbox, and the officer's
dispatch push for a charging complaint."""
from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend import charging, staff as staff_mod
from backend.places import distance_m
from bot.background.jobs import JobPolicy, JobRunner
from storage.models import ChargingAlert, OutboxMessage
from tests.conftest import Resident

NEAR_BINHU = (31.73990, 117.27650)  # a few hundred metres from 滨湖欣园 and its station P01


@pytest.fixture
async def town(start_bot, db, settings, clock):
    """The demo street, a feed token, and the bot with background loops off."""
    from backend.demo import seed_demo

    async with db.transaction() as session:
        await seed_demo(session)
        every_station = [s.station.id for s in await charging.states(session, clock(), charging.ChargingPolicy())]
        token = await charging.issue_token(session, "cams", clock(), every_station)

    class Town:
        token = ""

        async def start(self):
            self.bot = await start_bot(settings_=settings.with_(background=False))
            return self

        def person(self, openid: str) -> Resident:
            return Resident(self.bot, openid)

        def at(self, seconds: float = 0) -> str:
            return (clock() + timedelta(seconds=seconds)).isoformat()

        async def post(self, updates, *, token: str | None = None, raw: bytes | None = None,
                       headers: dict | None = None):
            url = str(self.bot.server.make_url("/api/charging/updates"))
            auth = {"Authorization": f"Bearer {token or self.token}"} if headers is None else headers
            if raw is not None:
                response = await self.bot.http.post(url, data=raw, headers=auth)
            else:
                response = await self.bot.http.post(url, json=updates, headers=auth)
            async with response:
                return response.status, await response.json()

        async def stations(self, **query) -> dict[str, dict]:
            url = self.bot.server.make_url("/api/charging/stations").with_query(query)
            async with self.bot.http.get(str(url)) as response:
                assert response.status == 200
                return {s["id"]: s for s in (await response.json())["stations"]}

        async def fill(self, station: str, spots: int, state: str = "occupied", seconds: float = 0):
            status, body = await self.post([{"station_id": station, "spot": f"s{n}", "state": state,
                                             "at": self.at(seconds)} for n in range(1, spots + 1)])
            assert status == 200, body

        async def alerts(self, openid: str | None = None) -> list[OutboxMessage]:
            async with db.sessions() as s:
                query = select(OutboxMessage).where(OutboxMessage.kind == "charging_alert")
                if openid:
                    query = query.where(OutboxMessage.user_id == openid)
                return list((await s.execute(query.order_by(OutboxMessage.id))).scalars())

    town_ = Town()
    town_.token = token
    return await town_.start()


# --- ingest ---------------------------------------------------------------------------------------------

async def test_ingest_needs_the_feeds_bearer_token(town):
    update = [{"station_id": "P01", "free": 2, "at": town.at()}]
    status, body = await town.post(update, headers={})
    assert (status, body["error"]) == (401, "missing_token")
    status, body = await town.post(update, token="cf_not-a-real-token")
    assert (status, body["error"]) == (401, "bad_token")
    assert (await town.stations())["P01"]["status"] == "unavailable"  # nothing was applied
    status, body = await town.post(update)
    assert status == 200 and body["applied"] == 1
    assert (await town.stations())["P01"]["free"] == 2


async def test_bad_batches_get_a_json_error_naming_the_problem(town):
    status, body = await town.post(None, raw=b"{not json")
    assert (status, body["error"]) == (400, "bad_json")
    status, body = await town.post({"station_id": "P01"})
    assert (status, body["error"]) == (400, "bad_batch")
    status, body = await town.post([{"station_id": "P99", "free": 1, "at": town.at()}])
    assert (status, body["error"]) == (422, "unknown_station") and "P99" in body["detail"]
    status, body = await town.post([{"station_id": "P01", "spot": "1", "state": "broken", "at": town.at()}])
    assert (status, body["error"]) == (422, "bad_state")


async def test_mixed_batch_applies_the_valid_items_and_lists_the_invalid(town):
    status, body = await town.post([
        {"station_id": "P01", "spot": "s1", "state": "free", "at": town.at()},
        {"station_id": "P77", "spot": "s1", "state": "free", "at": town.at()},
        {"station_id": "P02", "free": 3, "at": town.at()},
        {"station_id": "P03", "free": 1},
        {"station_id": "P04", "free": 2, "at": "2026-11-28 10:00"},  # no time zone
        {"station_id": "P05", "free": 1, "at": town.at(3600)},  # an hour ahead of our clock
        {"station_id": "P09", "free": 9, "at": town.at()},  # P09 has 2 spots
    ])
    assert status == 200 and body["applied"] == 2
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [
        (1, "unknown_station"), (3, "missing_at"), (4, "bad_at"), (5, "at_in_future"), (6, "free_exceeds_spots")]
    stations = await town.stations()
    assert stations["P01"]["free"] == 1 and stations["P02"]["free"] == 3
    assert stations["P05"]["status"] == "unavailable"


async def test_an_older_update_never_overwrites_a_newer_one_and_a_repeat_changes_nothing(town):
    newer = {"station_id": "P01", "spot": "s1", "state": "free", "at": town.at(-10)}
    older = {"station_id": "P01", "spot": "s1", "state": "occupied", "at": town.at(-60)}
    assert (await town.post([newer]))[1]["applied"] == 1
    status, body = await town.post([older])
    assert status == 200 and (body["applied"], body["unchanged"]) == (0, 1)
    status, body = await town.post([newer])  # a repeat
    assert (body["applied"], body["unchanged"]) == (0, 1)
    spot = (await town.stations())["P01"]
    assert (spot["free"], spot["occupied"]) == (1, 0)
    # within one batch too (applied in sensor-time order), and for whole-station counts
    status, body = await town.post([{"station_id": "P02", "free": 4, "at": town.at(-5)},
                                    {"station_id": "P02", "free": 1, "at": town.at(-50)}])
    assert status == 200 and not body["rejected"]
    assert (await town.stations())["P02"]["free"] == 4
    assert (await town.post([{"station_id": "P02", "free": 0, "at": town.at(-30)}]))[1]["unchanged"] == 1
    assert (await town.stations())["P02"]["free"] == 4


async def test_a_station_silent_for_ten_minutes_is_unavailable_not_free(town, clock):
    await town.post([{"station_id": "P01", "free": 3, "at": town.at()}])
    assert (await town.stations())["P01"]["status"] == "available"
    clock.advance(seconds=601)
    p01 = (await town.stations())["P01"]
    assert (p01["status"], p01["free"]) == ("unavailable", None)
    assert "P01" not in await town.stations(free="1")
    r = town.person("o-stale")
    await r.say("附近哪里有空的电瓶车充电桩")
    reply = await r.location(*NEAR_BINHU)
    assert "暂时没有空闲" in reply and "数据暂不可用" in reply and "空闲 3/6" not in reply


async def test_stations_api_is_open_and_sorts_by_distance(town):
    await town.post([{"station_id": s, "free": 1, "at": town.at()} for s in ("P01", "P10", "P19")])
    url = town.bot.server.make_url("/api/charging/stations").with_query(
        {"lat": NEAR_BINHU[0], "lng": NEAR_BINHU[1], "kind": "ebike", "free": "1"})
    async with town.bot.http.get(str(url)) as response:
        body = await response.json()
    assert [s["id"] for s in body["stations"]] == ["P01", "P10", "P19"]
    assert body["stations"][0]["distance_m"] < 100 and "uri.amap.com" in body["stations"][0]["navigation"]
    assert len(await town.stations()) == 24


async def test_a_feed_writes_only_its_own_stations(town, db, clock):
    async with db.transaction() as session:
        p01_only = await charging.issue_token(session, "binhu-cams", clock(), ["P01"])
    status, body = await town.post([{"station_id": "P01", "free": 2, "at": town.at()},
                                    {"station_id": "P02", "free": 1, "at": town.at()}], token=p01_only)
    assert status == 200 and body["applied"] == 1
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [(1, "not_your_station")]
    status, body = await town.post([{"station_id": "P03", "spot": "s1", "state": "free", "at": town.at()}],
                                   token=p01_only)
    assert (status, body["error"]) == (422, "not_your_station")
    stations = await town.stations()
    assert stations["P01"]["free"] == 2 and stations["P02"]["status"] == stations["P03"]["status"] == "unavailable"


async def test_a_feed_token_needs_known_stations(db, street, clock):
    async with db.transaction() as session:
        with pytest.raises(charging.FeedError):
            await charging.issue_token(session, "nowhere", clock(), [])
        with pytest.raises(charging.FeedError):
            await charging.issue_token(session, "typo", clock(), ["P01", "P99"])


async def test_the_token_is_checked_before_the_body_is_read(town):
    """A stranger's body is never parsed: a wrong token with garbage (or an oversized body) is a 401."""
    status, body = await town.post(None, raw=b"{not json", token="cf_not-a-real-token")
    assert (status, body["error"]) == (401, "bad_token")
    status, body = await town.post(None, raw=b"[" * 5000, token="cf_not-a-real-token")
    assert (status, body["error"]) == (401, "bad_token")


async def test_a_nul_in_a_station_or_spot_is_rejected_not_a_500(town):
    status, body = await town.post([{"station_id": "P0\x001", "free": 1, "at": town.at()},
                                    {"station_id": "P01", "spot": "s\x001", "state": "free", "at": town.at()},
                                    {"station_id": "P02", "free": 1, "at": town.at()}])
    assert status == 200 and body["applied"] == 1
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [(0, "missing_station_id"), (1, "bad_spot")]


async def test_stale_and_zero_sensor_times_are_rejected(town):
    status, body = await town.post([
        {"station_id": "P01", "free": 1, "at": town.at(-25 * 3600)},  # a day and an hour old: a replay
        {"station_id": "P02", "free": 1, "at": 0},  # a sensor whose clock was never set
        {"station_id": "P03", "free": 1, "at": town.at(-23 * 3600)},  # old but within a day
    ])
    assert status == 200 and body["applied"] == 1
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [(0, "stale"), (1, "bad_at")]


@pytest.mark.parametrize("query", [{"lat": "nan", "lng": "nan"}, {"lat": "inf", "lng": "117.2"},
                                   {"lat": "31.7", "lng": "-inf"}, {"lat": "1e308", "lng": "1e308"},
                                   {"lat": "31.7", "lng": "117.2", "limit": "-1"}, {"limit": "0"},
                                   {"limit": "99999999999999999999999"}, {"lat": "91", "lng": "117"}])
async def test_absurd_station_queries_are_400_with_a_reason(town, query):
    url = town.bot.server.make_url("/api/charging/stations").with_query(query)
    async with town.bot.http.get(str(url)) as response:
        body = await response.json()
    assert response.status == 400 and body["error"] == "bad_query" and body["detail"]


# --- the chat -------------------------------------------------------------------------------------------

async def test_chat_from_a_shared_location_lists_the_nearest_free_stations_with_navigation(town):
    await town.fill("P01", 6)  # 滨湖欣园's own station is full
    await town.post([{"station_id": "P01", "spot": "s2", "state": "free", "at": town.at(1)},
                     {"station_id": "P10", "free": 5, "at": town.at()},
                     {"station_id": "P11", "free": 1, "at": town.at()},
                     {"station_id": "P19", "free": 2, "at": town.at()},
                     {"station_id": "P02", "free": 6, "at": town.at()}])  # a car station: not for e-bikes
    r = town.person("o-loc")
    ask = await r.say("附近哪里有空的电瓶车充电桩")
    assert "位置" in ask
    reply = await r.location(*NEAR_BINHU, "滨湖欣园附近")
    assert len(reply.encode()) <= 2048
    names = re.findall(r"^\d\. (\S+?)（", reply, re.M)
    assert names == ["滨湖欣园电瓶车充电点", "康园新城电瓶车充电点", "润园尚城电瓶车充电点"]
    assert "空闲 1/6" in reply and "空闲 5/20" in reply and "刚刚更新" in reply
    lng, lat = map(float, re.search(r"uri\.amap\.com/marker\?position=([\d.]+),([\d.]+)&", reply).groups())
    # the station is at 31.739481, 117.277009 (WGS-84); AMap wants GCJ-02, a few hundred metres east/south
    shift_m = distance_m(31.739481, 117.277009, lat, lng)
    assert 300 < shift_m < 800 and lng > 117.277009 and "coordinate=gaode" in reply
    assert "汽车充电点" not in reply


async def test_chat_asks_the_kind_then_uses_the_compound_of_an_earlier_report(town):
    await town.post([{"station_id": "P01", "free": 2, "at": town.at()},
                     {"station_id": "P09", "free": 1, "at": town.at()}])
    r = town.person("o-known")
    await r.say("滨湖欣园3栋楼下有人占道摆摊卖水果，每天下午都在")
    assert "已受理" in await r.say("1")
    ask = await r.send("event", {"Event": "CLICK", "EventKey": "CHARGING"})
    assert "电瓶车还是汽车" in ask
    reply = await r.say("2")
    assert "滨湖欣园" in reply and reply.splitlines()[0].startswith("按您反映过问题的小区")
    assert "1. 滨湖康园新能源汽车充电点" in reply and "电瓶车充电点" not in reply


async def test_a_location_in_the_charging_dialog_is_not_a_report_and_a_draft_comes_back(town):
    await town.post([{"station_id": "P01", "free": 2, "at": town.at()}])
    r = town.person("o-draft")
    ask = await r.say("润园花园5栋楼下广场舞音响太吵了")
    assert "时间" in ask
    assert "电瓶车还是汽车" in await r.say("附近哪里有空的充电桩")
    assert "位置" in await r.say("电瓶车")
    listing = await r.location(*NEAR_BINHU)
    assert "1. 滨湖欣园电瓶车充电点" in listing and "是这个小区吗" not in listing
    summary = await r.say("每天晚上七点到九点半")  # not a charging answer: the report carries on
    assert "请核对" in summary and "润园花园" in summary


# --- alerts ---------------------------------------------------------------------------------------------

async def run_jobs(db, clock) -> int:
    runner = JobRunner(db, clock=clock, owner="test", policy=JobPolicy(batch=50), rng=random.Random(1))
    runner.include(charging.handlers)
    return await runner.tick()


async def test_a_freed_spot_sends_exactly_one_push_to_the_first_subscriber(town, clock):
    await town.fill("P01", 6)
    first, second = town.person("o-first"), town.person("o-second")
    await first.say("附近哪里有空的电瓶车充电桩")
    listing = await first.location(*NEAR_BINHU)
    assert "暂时没有空闲" in listing and "1. 滨湖欣园电瓶车充电点" in listing and "已满 0/6" in listing
    assert "已为您订阅「滨湖欣园电瓶车充电点」" in await first.say("1")
    clock.advance(seconds=5)
    await second.say("附近哪里有空的电瓶车充电桩")
    await second.location(*NEAR_BINHU)
    assert "1000米内" in await second.say("有空位提醒我")
    clock.advance(seconds=5)
    freed = {"station_id": "P01", "spot": "s3", "state": "free", "at": town.at()}
    status, body = await town.post([freed])
    assert (body["freed"], body["alerts"]) == (1, 1)
    [push] = await town.alerts()
    assert push.user_id == "o-first" and "滨湖欣园电瓶车充电点" in push.payload["text"]
    assert "1/6" in push.payload["text"] and "uri.amap.com" in push.payload["text"]
    assert push.payload["template"]["kind"] == "charging_alert"
    await town.post([freed])  # the sensor repeats itself: no second push
    await town.post([{"station_id": "P01", "spot": "s3", "state": "free", "at": town.at(-1)}])
    assert len(await town.alerts()) == 1
    await town.post([{"station_id": "P01", "spot": "s4", "state": "free", "at": town.at(1)}])
    assert [p.user_id for p in await town.alerts()] == ["o-first", "o-second"]  # the next spot, the next one
    await town.post([{"station_id": "P01", "spot": "s5", "state": "free", "at": town.at(2)}])
    assert len(await town.alerts()) == 2  # both alerts have ended


async def test_an_alert_expires_after_its_ttl(town, db, clock):
    await town.fill("P01", 6)
    r = town.person("o-ttl")
    await r.say("附近哪里有空的电瓶车充电桩")
    await r.location(*NEAR_BINHU)
    assert "2小时内有效" in await r.say("有空位提醒我")
    clock.advance(seconds=7201)
    await town.fill("P01", 6, seconds=-1)  # fresh data again, still full
    await town.post([{"station_id": "P01", "spot": "s1", "state": "free", "at": town.at()}])
    assert await town.alerts() == []
    assert await run_jobs(db, clock) == 1
    [expired] = await town.alerts("o-ttl")
    assert "已到期" in expired.payload["text"]
    async with db.sessions() as s:
        assert (await s.execute(select(ChargingAlert.status))).scalars().all() == ["expired"]


async def test_cancel_ends_the_alert(town, db, clock):
    await town.fill("P01", 6)
    r = town.person("o-cancel")
    await r.say("附近哪里有空的电瓶车充电桩")
    await r.location(*NEAR_BINHU)
    await r.say("1")
    assert "已取消" in await r.say("取消提醒")
    assert "没有充电空位提醒" in await r.say("取消提醒")
    await town.post([{"station_id": "P01", "spot": "s1", "state": "free", "at": town.at(1)}])
    assert await town.alerts() == []
    assert await run_jobs(db, clock) == 0  # its expiry job was cancelled too


# --- the complaint link ---------------------------------------------------------------------------------

async def test_dispatch_of_a_charging_complaint_shows_the_compounds_station(town, db, clock):
    await town.post([{"station_id": "P01", "free": 2, "at": town.at()}])
    async with db.transaction() as session:
        code = await staff_mod.invite(session, "S02", clock())
    officer = town.person("o-lina")
    assert "绑定成功" in await officer.say(f"绑定 {code}")
    r = town.person("o-complain")
    reply = await r.say("滨湖欣园3栋有人飞线充电，电瓶车电线从窗户拉下来")
    while "请核对" not in reply:
        reply = await r.say("跳过")
    assert "已受理" in await r.say("1")
    async with db.sessions() as s:
        [push] = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == "o-lina",
                                                              OutboxMessage.kind == "dispatch"))).scalars()
    assert "滨湖欣园电瓶车充电点 空闲2/6" in push.payload["text"]
