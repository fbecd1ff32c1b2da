"""Every message and event type Tencent documents for the official account and for WeCom (tests/data/inbound),
replayed over real HTTP through the signed (and encrypted) callbacks: no 5xx, either silence or a well-formed
reply addressed back to whoever sent it (ToUserName and FromUserName swapped)."""
from __future__ import annotations

from pathlib import Path

import pytest

from backend import staff as staff_mod
from backend.demo import seed_demo
from bot.wechat.codec import parse_xml
from bot.wecom.router import SILENT_EVENTS, SYSTEM_SENDER
from bot.wecom.simulator import WeComSimulator
from tests.conftest import new_aes_key

CORPUS = Path(__file__).parent / "data" / "inbound"
WECHAT = sorted((CORPUS / "wechat").glob("*.xml"))
WECOM = sorted((CORPUS / "wecom").glob("*.xml"))
CORP, AGENT = "wwcorpsample0001", "1000002"


def test_the_corpus_covers_every_documented_type():
    kinds = {platform: {(f["MsgType"], (f.get("Event") or "").lower()) for f in
                        (parse_xml(p.read_text(encoding="utf-8")) for p in files)}
             for platform, files in (("wechat", WECHAT), ("wecom", WECOM))}
    messages = {"text", "image", "voice", "video", "location", "link"}
    menu = {"click", "view", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
            "location_select"}
    assert {(m, "") for m in messages | {"shortvideo"}} <= kinds["wechat"]
    assert {("event", e) for e in menu | {"subscribe", "unsubscribe", "scan", "location", "templatesendjobfinish",
                                          "masssendjobfinish"}} <= kinds["wechat"]
    assert {(m, "") for m in messages | {"file"}} <= kinds["wecom"]
    assert {("event", e) for e in menu | {"subscribe", "unsubscribe", "enter_agent", "location", "change_contact",
                                          "batch_job_result", "sys_approval_change", "open_approval_change",
                                          "delete_calendar", "add_schedule"}} <= kinds["wecom"]


def check_answer(delivery, sample: dict, *, us: str, silent: bool, must_answer: bool) -> None:
    name = (sample["MsgType"], sample.get("Event"))
    assert delivery.status == 200, (name, delivery.status, delivery.body)
    if delivery.reply is None:
        assert delivery.body in ("", "success"), (name, delivery.body)
        assert not must_answer, f"{name}: a resident's message got no answer"
        return
    assert not silent, f"{name}: answered {delivery.reply}"
    reply = delivery.reply
    assert reply["ToUserName"] == sample["FromUserName"] and reply["FromUserName"] == us, (name, reply)
    assert reply["MsgType"] in ("text", "news") and int(reply["CreateTime"]) > 0, (name, reply)
    assert reply["MsgType"] != "text" or reply["Content"].strip(), (name, reply)


@pytest.mark.parametrize("encrypted", [True, False], ids=["aes", "plaintext"])
async def test_every_official_account_sample_is_answered_well(start_bot, db, encrypted):
    async with db.transaction() as session:
        await seed_demo(session)
    bot = await start_bot(encrypted=encrypted)
    for path in WECHAT:
        xml = path.read_text(encoding="utf-8")
        sample = parse_xml(xml)
        delivery = await bot.send(xml)
        check_answer(delivery, sample, us=sample["ToUserName"], silent=False,
                     must_answer=sample["MsgType"] != "event")
    assert await bot.inbound_count() == len(WECHAT)  # none dropped as a duplicate of another


@pytest.mark.parametrize("sender", ["stranger", "staff"])
async def test_every_wecom_sample_is_answered_well_or_silently(start_bot, db, settings, clock, sender):
    async with db.transaction() as session:
        await seed_demo(session)
        if sender == "staff":
            await staff_mod.link(session, "S02", "wecom", "lina", clock())
    s = settings.with_(wecom_token="wecom-token", wecom_aes_key=new_aes_key(), wecom_corp_id=CORP,
                       wecom_agent_id=AGENT, wecom_secret="wecom-secret", background=False)
    bot = await start_bot(settings_=s)
    sim = WeComSimulator(url=str(bot.server.make_url("/wecom")), token=s.wecom_token, app_id=CORP,
                         aes_key=s.wecom_aes_key, agent_id=AGENT, clock=clock.timestamp)
    for path in WECOM:
        xml = path.read_text(encoding="utf-8")
        sample = parse_xml(xml)
        silent = sample["FromUserName"] == SYSTEM_SENDER or (sample.get("Event") or "").lower() in SILENT_EVENTS
        delivery = await sim.post(bot.http, xml)
        check_answer(delivery, sample, us=CORP, silent=silent, must_answer=sample["MsgType"] != "event")
        assert delivery.body != "success"  # WeCom knows an empty 200, not the official account's "success"
    assert await bot.inbound_count() == len(WECOM)
