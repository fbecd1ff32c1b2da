"""Open311 GeoReport v2 over real HTTP: the hotline files, lists and follows cases in the same store as
WeChat, under the same rules (nlp, duplicates, routing, 1315 clock, trace); every JSON answer is checked
against the spec's schemas (tests/data/open311), and schemathesis runs against the served OpenAPI."""
from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from referencing import Registry, Resource
from sqlalchemy import insert, select

from backend import cases, channels, workflow
from storage.models import Case, OutboxMessage, Staff
from tests.conftest import Resident

SCHEMAS = Path(__file__).parent / "data" / "open311"
NUMBER = re.compile(r"20\d{6}-\d{4}")
W3C_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
XINYUAN = {"lat": "31.73990", "long": "117.27650"}  # 滨湖欣园 (C03)


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text())
        resources += [(schema["$id"], Resource.from_contents(schema)), (path.name, Resource.from_contents(schema))]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def check(body, schema: str) -> None:
    """Validate an answer against one of the spec's schemas (refs resolve within tests/data/open311)."""
    root = json.loads((SCHEMAS / schema).read_text())
    jsonschema.Draft7Validator(root, registry=REGISTRY, format_checker=jsonschema.FormatChecker()).validate(body)


class Channel:
    """An Open311 client of one channel, talking to the running bot."""

    def __init__(self, bot, key: str):
        self.bot, self.key = bot, key

    def url(self, path: str) -> str:
        return str(self.bot.server.make_url(f"/open311/v2/{path}"))

    async def post(self, fmt: str = "json", *, key: str | None = "", **fields) -> tuple[int, object]:
        data = {k: v for k, v in fields.items() if v is not None}
        if key is not None:
            data["api_key"] = key or self.key
        async with self.bot.http.post(self.url(f"requests.{fmt}"), data=data) as response:
            return response.status, await _body(response, fmt)

    async def get(self, path: str, fmt: str = "json", *, key: str | None = "", **params) -> tuple[int, object]:
        if key is not None:
            params["api_key"] = key or self.key
        async with self.bot.http.get(self.url(f"{path}.{fmt}"), params=params) as response:
            return response.status, await _body(response, fmt)

    async def report(self, **fields) -> str:
        status, body = await self.post(**fields)
        assert status == 200, body
        check(body, "post-request-response.json")
        return body[0]["service_request_id"]


async def _body(response, fmt: str):
    text = await response.text()
    return ET.fromstring(text) if fmt == "xml" else json.loads(text)


@pytest.fixture
async def hotline(street, db, clock) -> Channel:
    async with db.transaction() as session:
        _, key = await channels.add_channel(session, "12345热线", clock())
    return Channel(street.bot, key)


async def case_view(db, number: str) -> dict:
    async with db.sessions() as s:
        return await cases.staff_view(s, await cases.by_number(s, number))


# --- services -------------------------------------------------------------------------------------

async def test_services_are_the_taxonomy_with_major_classes_as_groups(hotline):
    status, services = await hotline.get("services", key=None)
    assert status == 200
    check(services, "services.json")
    vending = next(s for s in services if s["service_code"] == "street_vending")
    assert vending["service_name"] == "占道经营"
    assert vending["group"] == "街面秩序" and vending["metadata"] is True and vending["type"] == "realtime"
    assert {s["service_code"] for s in services} >= {"other", "emergency", "noise"}
    status, xml = await hotline.get("services", "xml", key=None)
    assert status == 200 and xml.tag == "services"
    assert len(xml.findall("service")) == len(services)
    assert xml.find("service/metadata").text in ("true", "false")


async def test_service_definition_carries_the_category_slots_as_attributes(hotline):
    status, definition = await hotline.get("services/street_vending", key=None)
    assert status == 200
    check(definition, "service-definition.json")
    assert [a["code"] for a in definition["attributes"]] == ["time"]
    assert [a["order"] for a in definition["attributes"]] == [1]
    status, definition = await hotline.get("services/property_service", key=None)
    assert [a["code"] for a in definition["attributes"]] == ["building"]
    status, body = await hotline.get("services/no_such_thing", key=None)
    assert status == 404
    check(body, "errors.json")
    assert body[0]["code"] == 404 and "no_such_thing" in body[0]["description"]
    status, xml = await hotline.get("services/no_such_thing", "xml", key=None)
    assert status == 404 and xml.tag == "errors" and xml.find("error/code").text == "404"


# --- POST requests ------------------------------------------------------------------------------------

async def test_a_hotline_report_becomes_a_routed_case_on_the_1315_clock(hotline, db):
    number = await hotline.report(service_code="street_vending", description="3栋楼下有人占道摆摊卖水果", **XINYUAN,
                                  first_name="张", last_name="三", phone="138-1234-5678", email="z@example.com",
                                  media_url="http://12345.invalid/photo/1.jpg", **{"attribute[time]": "每天下午"})
    view = await case_view(db, number)
    assert (view["category"], view["compound"], view["building"], view["occurred"]) == \
        ("street_vending", "C03", "3栋", "每天下午")
    assert view["channel"] == "12345热线" and view["status"] == "dispatched" and view["officer"] == "S02"
    assert view["contact_phone"] == "138****5678"
    assert [e["kind"] for e in view["events"]][:2] == ["created", "dispatched"]
    assert view["events"][0]["actor"] == "channel:12345热线"
    assert [m["url"] for m in view["media"]] == ["http://12345.invalid/photo/1.jpg"]

    status, found = await hotline.get(f"requests/{number}")
    assert status == 200
    check(found, "requests.json")
    request = found[0]
    assert request["status"] == "open" and request["service_code"] == "street_vending"
    assert request["agency_responsible"] == "城管中队" and request["address_id"] == "C03"
    assert "滨湖欣园" in request["address"] and request["media_url"].endswith("1.jpg")
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C_LOCAL.match(request[field]), request[field]
    assert "5678" not in json.dumps(request)  # the contact never leaves the case store


async def test_description_is_classified_and_address_string_located_when_service_code_is_missing(hotline, db):
    number = await hotline.report(description="小区门口的路灯坏了一个星期了，晚上黑乎乎的", address_string="云谷御苑南门")
    view = await case_view(db, number)
    assert view["category"] == "municipal_facility" and view["compound"] == "C24"
    other = await hotline.report(service_code="other", description="楼下垃圾桶满了好几天没人清理，很臭",
                                 address_string="滨湖康园2栋")
    assert (await case_view(db, other))["category"] == "sanitation"


async def test_wrong_or_missing_key_is_403_with_the_spec_error_body(hotline):
    for key in ("gz311_wrong", None):
        status, body = await hotline.post(key=key, service_code="noise", description="太吵", **XINYUAN)
        assert status == 403
        check(body, "errors.json")
        assert body[0]["code"] == 403
    status, body = await hotline.get("requests", key="gz311_wrong")
    assert status == 403
    status, xml = await hotline.post("xml", key="gz311_wrong", service_code="noise", **XINYUAN)
    assert status == 403 and xml.tag == "errors" and xml.find("error/code").text == "403"


async def test_missing_or_unknown_location_is_400_with_the_spec_error_body(hotline):
    status, body = await hotline.post(service_code="noise", description="广场舞音响太吵了")
    assert status == 400
    check(body, "errors.json")
    assert body[0]["code"] == 400 and "location" in body[0]["description"]
    status, body = await hotline.post(service_code="noise", description="太吵了", lat="39.9", long="116.4")
    assert status == 400 and "compound" in body[0]["description"]
    status, body = await hotline.post(service_code="noise", description="太吵了", address_string="火星某处")
    assert status == 400
    status, body = await hotline.post(service_code="no_such_service", **XINYUAN)
    assert status == 400 and "service_code" in body[0]["description"]
    status, xml = await hotline.post("xml", service_code="noise", description="太吵了")
    assert status == 400 and xml.tag == "errors" and xml.find("error/code").text == "400"


async def test_post_answers_in_xml_too(hotline):
    status, xml = await hotline.post("xml", service_code="greenery", description="树枝断了挂在半空", **XINYUAN)
    assert status == 200 and xml.tag == "service_requests"
    assert NUMBER.fullmatch(xml.find("request/service_request_id").text)
    status, listing = await hotline.get("requests", "xml")
    assert listing.tag == "service_requests" and listing.find("request/status").text == "open"
    assert W3C_LOCAL.match(listing.find("request/requested_datetime").text)


# --- the same case, the same rules ------------------------------------------------------------------

async def test_hotline_first_then_wechat_for_the_same_problem_is_offered_as_a_duplicate(hotline, street, db):
    number = await hotline.report(service_code="vehicle_parking", description="锦绣苑门口人行道停满了车",
                                  address_string="锦绣苑")
    resident = street("o-after-hotline")
    assert "请核对" in await resident.say("锦绣苑门口人行道上乱停车，好几辆汽车")
    offer = await resident.say("1")  # once confirmed, the open case is offered (without its number)
    assert "关注" in offer and "锦绣苑" in offer and number not in offer, offer
    assert number in await resident.say("1")
    assert (await case_view(db, number))["repeat_reports"] == 1


async def test_wechat_first_then_hotline_for_the_same_problem_joins_the_open_case(hotline, street, db):
    resident = street("o-first")
    assert "请核对" in await resident.say("锦绣苑门口人行道停满了车，没法走路")
    original = NUMBER.search(await resident.say("1")).group(0)
    status, body = await hotline.post(service_code="vehicle_parking", description="锦绣苑门口汽车占了人行道",
                                      address_string="锦绣苑", phone="13900001111")
    assert status == 200
    check(body, "post-request-response.json")
    assert body[0]["service_request_id"] == original and original in body[0]["service_notice"]
    view = await case_view(db, original)
    assert view["repeat_reports"] == 1 and view["channel"] == "wechat"
    assert [e["kind"] for e in view["events"]].count("dispatched") == 1  # no second clock
    assert view["events"][-1]["kind"] == "repeat_report" and view["events"][-1]["actor"] == "channel:12345热线"
    async with db.sessions() as s:
        assert len((await s.execute(select(Case))).scalars().all()) == 1


async def test_urgent_reports_get_their_own_case_even_next_to_an_open_one(hotline, db):
    first = await hotline.report(description="紫云湾5栋楼道里着火了，好多烟", address_string="紫云湾")
    second = await hotline.report(description="紫云湾5栋着火了，烟很大", address_string="紫云湾")
    assert first != second
    view = await case_view(db, second)
    assert view["urgent"] is True and view["priority"] == 1 and view["category"] == "emergency"


# --- GET requests, tokens, updates ----------------------------------------------------------------------

async def test_get_requests_filters_by_code_status_dates_and_ids(hotline, db, clock):
    noise = await hotline.report(service_code="noise", description="广场舞太吵", address_string="润园花园")
    clock.advance(days=100)
    parking = await hotline.report(service_code="vehicle_parking", description="乱停车", address_string="锦绣苑")
    status, recent = await hotline.get("requests")
    check(recent, "requests.json")
    assert [r["service_request_id"] for r in recent] == [parking]  # the default window is 90 days
    start = (clock() - timedelta(days=200)).isoformat()
    status, both = await hotline.get("requests", start_date=start)
    assert [r["service_request_id"] for r in both] == [parking, noise]
    status, only = await hotline.get("requests", start_date=start, service_code="noise")
    assert [r["service_request_id"] for r in only] == [noise]
    status, closed = await hotline.get("requests", start_date=start, status="closed")
    assert closed == []
    status, by_id = await hotline.get("requests", service_request_id=f"{noise},{parking}", service_code="greenery")
    assert {r["service_request_id"] for r in by_id} == {noise, parking}
    status, body = await hotline.get("requests", status="pending")
    assert status == 400
    check(body, "errors.json")
    status, body = await hotline.get("requests", start_date="yesterday")
    assert status == 400
    status, body = await hotline.get("requests/20000101-0001")
    assert status == 404
    check(body, "errors.json")


async def test_get_requests_returns_at_most_1000(hotline, db, clock):
    now = clock()
    rows = [dict(number=f"20990101-{i:04d}", category="noise", compound_id="C03", description="噪音", priority=3,
                 urgent=False, status="dispatched", channel="12345热线", anonymous=False, repeat_reports=0,
                 created_at=now - timedelta(minutes=i), updated_at=now, joint_verification=False, dispatch_round=1)
            for i in range(1001)]
    async with db.transaction() as session:
        await session.execute(insert(Case), rows)
    status, found = await hotline.get("requests")
    assert status == 200 and len(found) == 1000
    check(found, "requests.json")
    assert found[0]["service_request_id"] == "20990101-0000"


async def test_token_leads_to_the_request(hotline):
    status, body = await hotline.post(service_code="noise", description="装修太吵", address_string="润园花园")
    token = body[0]["token"]
    status, found = await hotline.get(f"tokens/{token}")
    assert status == 200
    check(found, "tokens.json")
    assert found == [{"service_request_id": body[0]["service_request_id"], "token": token}]
    status, missing = await hotline.get("tokens/nope")
    assert status == 404


async def test_servicerequestupdates_mirror_the_status_changes(hotline, db, clock):
    number = await hotline.report(service_code="street_vending", description="有人摆摊", **XINYUAN)
    clock.advance(minutes=1)
    async with db.transaction() as session:
        case = await cases.by_number(session, number)
        officer = await session.get(Staff, "S02")
        await workflow.accept(session, officer, case, clock())
    status, updates = await hotline.get("servicerequestupdates")
    assert status == 200
    check(updates, "servicerequestupdates.json")
    assert [(u["service_request_id"], u["status"]) for u in updates] == \
        [(number, "open"), (number, "open"), (number, "investigating")]
    assert all(W3C_LOCAL.match(u["updated_datetime"]) for u in updates)
    later = (clock() - timedelta(seconds=30)).isoformat()
    status, since = await hotline.get("servicerequestupdates", start_date=later)
    assert [u["status"] for u in since] == ["investigating"]
    status, xml = await hotline.get("servicerequestupdates", "xml")
    assert xml.tag == "service_requests_updates" and len(xml.findall("request_update")) == 3


# --- phone binding: hotline cases under 我的工单 ------------------------------------------------------

async def sms_code(db, phone: str) -> str:
    async with db.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.platform == "sms",
                                                            OutboxMessage.user_id == phone)
                                .order_by(OutboxMessage.id))).scalars().all()
    return re.search(r"\d{6}", rows[-1].payload["text"]).group(0)


async def test_a_resident_who_binds_the_phone_sees_the_hotline_cases(hotline, street, db, clock):
    number = await hotline.report(service_code="noise", description="广场舞太吵", address_string="润园花园",
                                  phone="+86 138 1234 5678")
    resident: Resident = street("o-phone")
    assert number not in await resident.say("我的工单")
    sent = await resident.say("绑定手机 13812345678")
    assert "138****5678" in sent and "验证码" in sent
    code = await sms_code(db, "13812345678")
    wrong = "000000" if code != "000000" else "111111"
    assert "不正确" in await resident.say(f"验证码 {wrong}")
    assert "绑定成功" in await resident.say(f"验证码 {code}")
    listing = await resident.say("我的工单")
    assert number in listing
    assert number in await resident.say(f"查询 {number}")
    assert "没有待验证" in await resident.say(f"验证码 {code}")  # a code works once
    assert number not in await street("o-other").say("我的工单")


async def test_a_resident_who_binds_the_phone_hears_the_hotline_case_steps(hotline, street, db, clock):
    number = await hotline.report(service_code="noise", description="广场舞太吵", address_string="润园花园",
                                  phone="13812345678")
    resident: Resident = street("o-phone-push")
    await resident.say("绑定手机 13812345678")
    assert "绑定成功" in await resident.say(f"验证码 {await sms_code(db, '13812345678')}")
    bystander: Resident = street("o-phone-other")  # bound to another number: hears nothing
    await bystander.say("绑定手机 13900002222")
    assert "绑定成功" in await bystander.say(f"验证码 {await sms_code(db, '13900002222')}")
    async with db.transaction() as session:
        case = await cases.by_number(session, number)
        officer = await session.get(Staff, case.officer_id)
        assert (await workflow.accept(session, officer, case, clock())).ok
    async with db.sessions() as s:
        pushes = (await s.execute(select(OutboxMessage.user_id, OutboxMessage.payload).where(
            OutboxMessage.kind == "case_status"))).all()
    assert [(user, number in payload["text"]) for user, payload in pushes] == [("o-phone-push", True)]


async def test_phone_binding_refuses_bad_numbers_and_rapid_resends(street):
    resident = street("o-phone-2")
    assert "不是有效的手机号码" in await resident.say("绑定手机 12345")
    assert "验证码已发送" in await resident.say("绑定手机 13900001111")
    assert "稍等" in await resident.say("绑定手机 13900001111")
    assert "绑定手机 13812345678" in await resident.say("绑定手机")


async def test_the_log_sms_sender_delivers_the_code_from_the_outbox(db, clock):
    from bot.background.outbox import OutboxSender
    from bot.sms import LoggingSmsSender, SmsDelivery
    from backend import phones

    async with db.transaction() as session:
        assert (await phones.request_code(session, cases.Reporter("wechat", "o-x"), "13812345678", clock())).ok
    log_sender = LoggingSmsSender()
    sender = OutboxSender(db, clock=clock, owner="test")
    sender.register("sms", SmsDelivery(log_sender))
    await sender.tick()
    assert [phone for phone, _ in log_sender.sent] == ["13812345678"]
    assert re.search(r"验证码是\d{6}", log_sender.sent[0][1])


# --- the command line and the OpenAPI description ---------------------------------------------------

def test_channel_add_prints_a_key_and_cases_list_breaks_down_by_channel(tmp_path):
    from tests.test_cli import clean_env, run_main

    env = clean_env(tmp_path)
    added = run_main("channel", "add", "--name", "12345热线", env=env)
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    assert key.startswith("gz311_") and len(key) > 20
    assert run_main("channel", "add", "--name", "12345热线", env=env).returncode == 1
    listed = run_main("channel", "list", env=env)
    assert "12345热线" in listed.stdout and key not in listed.stdout
    assert "by channel" in run_main("cases", "list", env=env).stdout


async def test_schemathesis_finds_no_failure_against_the_served_openapi(hotline, tmp_path):
    """Bounded: a few examples per operation, a hard time limit; the CLI runs against the live server."""
    status, spec = await hotline.get("openapi", key=None)  # .json is the format: /open311/v2/openapi.json
    assert status == 200 and spec["openapi"].startswith("3.")
    command = [sys.executable, "-m", "schemathesis.cli", "run", hotline.url("openapi.json"),
               "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                           "response_schema_conformance",
               "--header", f"X-Api-Key: {hotline.key}",
               "--max-examples", "10", "--phases", "examples,coverage,fuzzing", "--max-time", "30",
               "--request-timeout", "10", "--workers", "1", "--suppress-health-check", "all",
               "--generation-database", "none", "--seed", "1"]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
                                                   env={**os.environ, "NO_COLOR": "1"})
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    text = output.decode(errors="replace")
    print(text[-1500:])
    assert process.returncode == 0, text[-6000:]


async def test_a_broken_multipart_body_is_400_with_the_spec_error_body(hotline, db):
    body = (b'--b\r\nContent-Disposition: form-data; name="last_name"\r\n\r\n\xc3\x95\r\n'
            b'--b\r\nContent-Disposition: form-data; name=\r\n\r\nx\r\n--b--\r\n')
    async with hotline.bot.http.post(hotline.url("requests.json"), data=body,
                                     headers={"Content-Type": "multipart/form-data; boundary=b"}) as response:
        status, answer = response.status, json.loads(await response.text())
    assert status == 400
    check(answer, "errors.json")
    async with db.sessions() as s:
        assert (await s.execute(select(Case))).first() is None


# --- who reads what: the public view, a channel's own cases ---------------------------------------------

async def _post_pairs(hotline: Channel, pairs: list[tuple[str, str]]) -> tuple[int, object]:
    """A POST with repeated fields, as form-encoding allows (several media_url values)."""
    async with hotline.bot.http.post(hotline.url("requests.json"), data=[("api_key", hotline.key), *pairs]) as r:
        return r.status, await r.json()


async def _compound(db, compound_id: str):
    from storage.models import Compound

    async with db.sessions() as s:
        return await s.get(Compound, compound_id)


async def _public(hotline: Channel, path: str, **params) -> list[dict]:
    status, body = await hotline.get(path, key=None, **params)
    assert status == 200, body
    return body


async def test_reads_need_no_key_and_show_only_the_public_view(hotline, db):
    status, body = await _post_pairs(hotline, [
        ("service_code", "street_vending"), ("lat", "31.74002"), ("long", "117.27661"),
        ("description", "楼下占道摆摊，我是张伟，电话 138 1234 5678，身份证 340104199001011234"),
        ("first_name", "伟"), ("last_name", "张"), ("email", "zw@example.com"), ("phone", "13812345678"),
        ("attribute[building]", "3栋"),
        ("media_url", "http://12345.invalid/p/1.jpg"), ("media_url", "http://12345.invalid/p/2.jpg")])
    assert status == 200, body
    number, token = body[0]["service_request_id"], body[0]["token"]
    compound = await _compound(db, "C03")
    for found in (await _public(hotline, f"requests/{number}"), await _public(hotline, "requests")):
        check(found, "requests.json")
        public = json.dumps(found, ensure_ascii=False)
        assert number in public
        for secret in ("1234 5678", "13812345678", "340104199001011234", "张伟", "zw@example.com", "12345.invalid",
                       "3栋", "31.74002", "117.27661"):
            assert secret not in public, secret
        request = found[0]
        assert "138****5678" in request["description"] and request["media_url"] is None
        assert (request["lat"], request["long"]) == (compound.lat, compound.lng)
        assert request["address"] == compound.name
        assert not {"first_name", "last_name", "email", "phone", "device_id", "account_id"} & set(request)
    assert await _public(hotline, f"tokens/{token}") == [{"service_request_id": number, "token": token}]
    status, xml = await hotline.get(f"requests/{number}", "xml", key=None)
    assert status == 200 and "1234 5678" not in ET.tostring(xml, encoding="unicode")


async def test_every_media_url_of_a_post_is_kept(hotline, db):
    urls = [f"http://12345.invalid/photo/{n}.jpg" for n in range(3)]
    status, body = await _post_pairs(hotline, [("service_code", "greenery"), ("description", "树倒了"),
                                               ("address_string", "锦绣苑"), *[("media_url", u) for u in urls]])
    assert status == 200, body
    view = await case_view(db, body[0]["service_request_id"])
    assert [m["url"] for m in view["media"]] == urls
    status, body = await _post_pairs(hotline, [("service_code", "greenery"), ("address_string", "锦绣苑"),
                                               ("media_url", urls[0]), ("media_url", "javascript:alert(1)")])
    assert status == 400 and "media_url" in body[0]["description"]


async def test_a_channel_sees_its_own_cases_in_full_and_no_other_channels_reporters(hotline, db, clock):
    mine = await hotline.report(service_code="noise", description="广场舞太吵，我是李娜 13900001111",
                                first_name="娜", last_name="李", address_string="润园花园",
                                media_url="http://12345.invalid/noise.jpg")
    async with db.transaction() as session:
        _, other_key = await channels.add_channel(session, "数字城管", clock())
    city = Channel(hotline.bot, other_key)
    status, own = await hotline.get(f"requests/{mine}")
    assert "13900001111" in own[0]["description"] and own[0]["media_url"] == "http://12345.invalid/noise.jpg"
    status, theirs = await city.get(f"requests/{mine}")
    assert status == 200
    seen = json.dumps(theirs, ensure_ascii=False)
    assert "13900001111" not in seen and "李娜" not in seen and "12345.invalid" not in seen
    status, listing = await city.get("requests")
    assert "13900001111" not in json.dumps(listing, ensure_ascii=False)


async def test_status_notes_are_masked_for_everybody_but_the_channel_that_filed(hotline, db, clock):
    number = await hotline.report(service_code="street_vending", description="有人摆摊", **XINYUAN)
    async with db.transaction() as session:
        case = await cases.by_number(session, number)
        officer = await session.get(Staff, "S02")
        await workflow.accept(session, officer, case, clock())
        done = await workflow.resolve(session, officer, case, "已劝离，摊主电话 139-8765-4321 已登记", workflow.Policy(),
                                      clock())
        assert done.ok
    public = (await _public(hotline, f"requests/{number}"))[0]
    assert "139-8765-4321" not in public["status_notes"] and "4321" in public["status_notes"]
    updates = json.dumps(await _public(hotline, "servicerequestupdates"), ensure_ascii=False)
    assert "139-8765-4321" not in updates
    status, own = await hotline.get(f"requests/{number}")
    assert "139-8765-4321" in own[0]["status_notes"]


async def test_a_wechat_residents_point_and_photo_never_reach_a_channel(hotline, db, clock):
    async with db.transaction() as session:
        case = await cases.create_case(session, cases.NewCase(
            category="sanitation", description="垃圾没人清", priority=3, channel="wechat", compound_id="C03",
            lat=31.740123, lng=117.276789, media=[{"kind": "image", "media_id": "m-1",
                                                   "url": "http://mmbiz.qpic.cn/resident-photo"}]), clock())
    compound = await _compound(db, "C03")
    for found in (await _public(hotline, f"requests/{case.number}"), (await hotline.get(f"requests/{case.number}"))[1]):
        assert (found[0]["lat"], found[0]["long"]) == (compound.lat, compound.lng)
        assert found[0]["media_url"] is None and "mmbiz" not in json.dumps(found)


@pytest.mark.parametrize("params", [{"end_date": "0001-01-01T00:00:00+08:00"}, {"start_date": "0001-01-01T00:00:00"},
                                    {"start_date": "9999-12-31T23:59:59+14:00"}, {"end_date": "9999-12-31"}])
async def test_absurd_dates_on_keyless_reads_are_400_not_500(hotline, params):
    for path in ("requests", "servicerequestupdates"):
        status, body = await hotline.get(path, key=None, **params)
        assert status == 400, (path, params, body)
        check(body, "errors.json")


async def test_a_nul_character_in_any_parameter_is_400_not_500(hotline):
    """PostgreSQL stores and compares no NUL: such a value is refused before any query."""
    for path, params in (("requests", {"service_code": "noise\x00"}), ("requests", {"service_request_id": "1\x00"}),
                         ("requests/20261201-0001\x00x", {}), ("tokens/ab\x00c", {})):
        status, body = await hotline.get(path, key=None, **params)
        assert status == 400, (path, params, body)
        check(body, "errors.json")
    status, body = await hotline.post(service_code="noise", description="广场舞\x00太吵", address_string="润园花园")
    assert status == 400 and "NUL" in body[0]["description"]


async def test_a_residents_own_words_never_reach_the_public_view_as_a_status_note(hotline, db, clock):
    """An unhappy reporter's comment reopens the case with it as the note: the public reads the status,
    never the comment (staff's notes only, as trace.public_note says for followers)."""
    async with db.transaction() as session:
        case = await cases.create_case(session, cases.NewCase(
            category="sanitation", description="垃圾没人清", priority=3, channel="wechat", compound_id="C03"), clock())
        officer = await session.get(Staff, "S02")
        await workflow.dispatch(session, case, workflow.CategoryRules(name="环境卫生"), workflow.Policy(), clock())
        await workflow.accept(session, officer, case, clock())
        assert (await workflow.resolve(session, officer, case, "已清运", workflow.Policy(), clock())).ok
        await workflow.unsatisfied(session, case, "还是很臭，我住3栋302天天闻", workflow.CategoryRules(name="环境卫生"),
                                   workflow.Policy(), clock(), actor="resident:wechat:o-smell")
    public = (await _public(hotline, f"requests/{case.number}"))[0]
    updates = json.dumps(await _public(hotline, "servicerequestupdates"), ensure_ascii=False)
    for words in (public["status_notes"], updates):
        assert "302" not in words and "还是很臭" not in words, words
    assert public["status"] == "open"
