"""Tencent's published message-encryption sample vectors, through our webhook over real HTTP."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.wechat.simulator import sign
from storage.models import InboundMessage

VECTORS = json.loads((Path(__file__).parent / "data" / "wechat_crypto_vectors.json").read_text())["vectors"]
OFFICIAL = [v for v in VECTORS if v["name"].startswith("official account")]


def vector_settings(settings, vector):
    return settings.with_(wechat_token=vector["token"], wechat_aes_key=vector["encoding_aes_key"],
                          wechat_app_id=vector["app_id"])


def vector_params(vector, **override):
    params = {"timestamp": vector["timestamp"], "nonce": vector["nonce"], "encrypt_type": "aes",
              "msg_signature": vector["msg_signature"],
              "signature": sign(vector["token"], vector["timestamp"], vector["nonce"])}
    params.update(override)
    return params


@pytest.mark.parametrize("vector", OFFICIAL, ids=lambda v: v["name"])
async def test_official_vector_decrypts_and_gets_an_encrypted_reply(start_bot, settings, clock, vector):
    clock.now = datetime.fromtimestamp(int(vector["timestamp"]), tz=timezone.utc)
    bot = await start_bot(settings_=vector_settings(settings, vector))
    bot.wechat.token, bot.wechat.aes_key, bot.wechat.app_id = vector["token"], vector["encoding_aes_key"], vector["app_id"]

    delivery = await bot.wechat.post_raw(bot.http, vector_params(vector), vector["body"])

    assert delivery.status == 200
    assert "<Encrypt>" in delivery.body and "abcdteT" not in delivery.body  # the reply is encrypted
    assert delivery.reply["ToUserName"] == vector["expect"]["FromUserName"]
    assert delivery.reply["MsgType"] == "text" and delivery.reply["Content"]
    async with bot.db.sessions() as s:
        row = (await s.execute(select(InboundMessage))).scalar_one()
    assert row.user_id == vector["expect"]["FromUserName"]
    assert row.msg_key == f"msg:{vector['expect']['MsgId']}"
    assert row.content["text"] == vector["expect"]["Content"]
    assert row.status == "done" and row.reply["text"] == delivery.reply["Content"]


@pytest.mark.parametrize("vector", OFFICIAL, ids=lambda v: v["name"])
async def test_official_vector_is_a_replay_today(start_bot, settings, vector):
    bot = await start_bot(settings_=vector_settings(settings, vector))  # the clock is the real time now
    delivery = await bot.wechat.post_raw(bot.http, vector_params(vector), vector["body"])
    assert delivery.status == 403 and "replay" in delivery.body
    assert await bot.inbound_count() == 0


async def test_changed_msg_signature_is_refused(start_bot, settings, clock):
    vector = OFFICIAL[0]
    clock.now = datetime.fromtimestamp(int(vector["timestamp"]), tz=timezone.utc)
    bot = await start_bot(settings_=vector_settings(settings, vector))
    forged = vector_params(vector, msg_signature="0" * 40)
    delivery = await bot.wechat.post_raw(bot.http, forged, vector["body"])
    assert delivery.status == 403
    assert await bot.inbound_count() == 0


async def test_message_for_another_app_id_is_refused(start_bot, settings, clock):
    vector = OFFICIAL[0]
    clock.now = datetime.fromtimestamp(int(vector["timestamp"]), tz=timezone.utc)
    bot = await start_bot(settings_=vector_settings(settings, vector).with_(wechat_app_id="wx0000000000000000"))
    delivery = await bot.wechat.post_raw(bot.http, vector_params(vector), vector["body"])
    assert delivery.status == 403
    assert await bot.inbound_count() == 0


async def test_url_verification_answers_echostr_only_when_signed(start_bot):
    bot = await start_bot()
    now = str(int(bot.wechat.clock()))
    params = {"timestamp": now, "nonce": "1320562132", "echostr": "8016352487163346891"}
    async with bot.http.get(bot.url, params={**params, "signature": sign(bot.wechat.token, now,
                                                                          "1320562132")}) as r:
        assert r.status == 200 and await r.text() == "8016352487163346891"
    async with bot.http.get(bot.url, params={**params, "signature": "f" * 40}) as r:
        assert r.status == 403
