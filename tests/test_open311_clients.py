"""Open311 with the clients partners actually run, unchanged, against a served instance: the published
GeoReport v2 clients `georeport` (reads) and `civicbot` (reads, POST, token), and FixMyStreet's update calls
(POST servicerequestupdates, with its form fields and its reading of the XML answer). Reads go without
api_key, as the spec and these clients send it on POST only."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from sqlalchemy import select

from backend import cases, channels, workflow
from storage.models import OutboxMessage, Staff

PARKING = "锦绣苑门口人行道停满了车，行人只能走机动车道"


@pytest.fixture
async def served(street, db, clock):
    """The street served on loopback, a keyed channel (the 12345 hotline) and a second one."""
    async with db.transaction() as session:
        _, key = await channels.add_channel(session, "12345热线", clock())
        _, other = await channels.add_channel(session, "数字城管", clock())
    root = str(street.bot.server.make_url("/open311/v2"))
    return street, root, key, other


def civicbot_client(root: str) -> Open311Client:
    endpoint = Endpoint(id="yandun", name="烟墩街道", base_url=root, write=True)
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


async def test_georeport_and_civicbot_run_their_usual_calls_unchanged(served, db):
    street, root, key, _ = served
    bot_client = civicbot_client(root)
    services = await asyncio.to_thread(bot_client.list_services)
    assert {"vehicle_parking", "street_vending"} <= {s["service_code"] for s in services}
    definition = await asyncio.to_thread(bot_client.get_service_definition, "vehicle_parking")
    assert definition["service_code"] == "vehicle_parking"
    prepared = await asyncio.to_thread(
        lambda: bot_client.create_request("vehicle_parking", dry_run=False, confirm="SEND", api_key=key,
                                          validate_remote=True, address_string="锦绣苑", description=PARKING,
                                          media_url="http://12345.invalid/p/1.jpg", phone="13900001111"))
    [created] = prepared.response
    number, token = created["service_request_id"], created["token"]
    assert (await asyncio.to_thread(bot_client.get_token, token))[0]["service_request_id"] == number
    one = await asyncio.to_thread(bot_client.get_request, number)
    assert one["service_request_id"] == number and one["status"] == "open"
    listed = await asyncio.to_thread(lambda: bot_client.list_requests(service_request_ids=[number]))
    assert [r["service_request_id"] for r in listed] == [number]
    assert "13900001111" not in str(listed) and listed[0]["media_url"] is None  # the public view

    for fmt in ("json", "xml"):
        geo = GeoReport(root, output_format=fmt)
        codes = [s["service_code"] for s in await asyncio.to_thread(geo.get_service_list)]
        assert "vehicle_parking" in codes
        definition = await asyncio.to_thread(geo.get_service_definition, "vehicle_parking")
        assert definition["service_code"] == "vehicle_parking"
        found = await asyncio.to_thread(geo.get_service_requests, service_request_id=number)
        found = found if isinstance(found, list) else [found]
        assert [r["service_request_id"] for r in found] == [number]
        assert (await asyncio.to_thread(geo.get_service_request, number))["service_request_id"] == number
        open_ones = await asyncio.to_thread(geo.get_service_requests, status="open", service_code="vehicle_parking")
        open_ones = open_ones if isinstance(open_ones, list) else [open_ones]
        assert number in [r["service_request_id"] for r in open_ones]


async def fms_update(street, root: str, key: str | None, **fields) -> tuple[int, ET.Element]:
    """POST servicerequestupdates.xml as FixMyStreet's Open311.pm sends it (form fields, api_key on POST,
    repeated media_url) and its answer as FixMyStreet reads it."""
    form = {"updated_datetime": "2026-12-02T10:00:00+08:00", "first_name": "Hotline", "last_name": "-", **fields}
    pairs = [(k, v) for k, value in form.items() for v in (value if isinstance(value, list) else [value])]
    if key is not None:
        pairs.append(("api_key", key))
    async with street.bot.http.post(f"{root}/servicerequestupdates.xml", data=urlencode(pairs),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
        return response.status, ET.fromstring(await response.text())


async def pushes_to(db, openid: str) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxMessage).where(OutboxMessage.user_id == openid)
                                           .order_by(OutboxMessage.id))).scalars())


async def test_fixmystreet_comments_join_the_trace_reach_residents_when_public_and_reopen(served, db, clock):
    street, root, key, other = served
    bot_client = civicbot_client(root)
    prepared = await asyncio.to_thread(
        lambda: bot_client.create_request("vehicle_parking", dry_run=False, confirm="SEND", api_key=key,
                                          address_string="锦绣苑", description=PARKING))
    number = prepared.response[0]["service_request_id"]
    follower = street("o-follows-hotline")  # a WeChat resident who joins the hotline's case
    assert "请核对" in await follower.say("锦绣苑门口人行道上乱停车，好几辆汽车")
    await follower.say("1")
    assert number in await follower.say("1")
    before = len(await pushes_to(db, "o-follows-hotline"))

    status, answer = await fms_update(street, root, key, service_request_id=number, status="OPEN", update_id="fms-1",
                                      description="已联系物业协助劝离车辆")
    assert status == 200, ET.tostring(answer)
    first_id = answer.find("request_update").findtext("update_id")  # what FixMyStreet reads back
    assert first_id
    status, again = await fms_update(street, root, key, service_request_id=number, status="OPEN", update_id="fms-1",
                                     description="已联系物业协助劝离车辆")
    assert status == 200 and again.find("request_update").findtext("update_id") == first_id  # a resend: once
    assert len(await pushes_to(db, "o-follows-hotline")) == before  # not public: the trace only

    photos = ["http://fms.invalid/photo/1.jpeg", "http://fms.invalid/photo/2.jpeg"]
    status, _ = await fms_update(street, root, key, service_request_id=number, status="IN_PROGRESS",
                                 update_id="fms-2", description="交警已到场贴单", media_url=photos, public="true")
    assert status == 200
    view = await _staff_view(db, number)
    comments = [e for e in view["events"] if e["kind"] == "channel_comment"]
    assert [c["note"] for c in comments] == ["已联系物业协助劝离车辆", "交警已到场贴单"]
    assert {m["url"] for m in view["media"]} >= set(photos)
    [pushed] = [p for p in await pushes_to(db, "o-follows-hotline") if "交警已到场贴单" in p.payload["text"]]
    assert pushed.kind == "case_status" and number in pushed.payload["text"]

    for refused_key, code in ((None, "403"), (other, "403")):  # no key; another channel's key
        status, body = await fms_update(street, root, refused_key, service_request_id=number, description="x")
        assert status == int(code) and body.find("error").findtext("code") == code
    status, _ = await fms_update(street, root, key, service_request_id="20991231-9999", description="x")
    assert status == 404
    status, _ = await fms_update(street, root, key, service_request_id=number, status="SOLVED_BY_MAGIC",
                                 description="x")
    assert status == 400

    async with db.transaction() as session:  # the officer finishes the case; the hotline's caller disagrees
        case = await cases.by_number(session, number)
        officer = await session.get(Staff, case.officer_id)
        await workflow.accept(session, officer, case, clock())
        assert (await workflow.resolve(session, officer, case, "车辆已挪走", workflow.Policy(), clock())).ok
    clock.advance(minutes=5)
    status, _ = await fms_update(street, root, key, service_request_id=number, status="REOPEN", update_id="fms-3",
                                 description="来电人反映车辆又停回来了")
    assert status == 200
    assert (await _staff_view(db, number))["status"] == "reopened"
    updates = await asyncio.to_thread(lambda: civicbot_client(root).http.get_json(
        f"{root}/servicerequestupdates.json", {"start_date": clock().isoformat(timespec="seconds")}))
    # FixMyStreet maps `open` to its `confirmed` and reopens its fixed report; `reopen` it would drop
    [reopened] = [u for u in updates if u["service_request_id"] == number and u["description"].startswith("重新办理")]
    assert reopened["status"] == "open"


async def _staff_view(db, number: str) -> dict:
    async with db.sessions() as session:
        return await cases.staff_view(session, await cases.by_number(session, number))
