"""Residents' photos are downloaded from WeChat's media API and kept, before the 3-day expiry."""
from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.background.media import MediaKeeper
from bot.sandbox.fake_wechat import FakeWeChat
from bot.wechat.api import WeChatAPI
from bot.wechat.token import SharedToken
from storage.models import CaseMedia


async def test_photos_of_a_case_are_downloaded_once_and_expired_ones_given_up(town, db, clock, tmp_path):
    await town.start()
    resident = town.person("o-photos")
    await resident.photo("m-keep")
    await resident.photo("m-gone")
    await town.report("o-photos", "滨湖康园2栋门口垃圾桶满了好几天没人清理，很臭", "1")

    fake = FakeWeChat(app_id="wxmedia", app_secret="secret")
    fake.expired_media.add("m-gone")
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            api = WeChatAPI(str(server.make_url("")).rstrip("/"), "wxmedia", "secret", http=http)
            api.tokens = SharedToken(db, "wechat:wxmedia", api.fetch_token, clock=clock, owner="test")
            keeper = MediaKeeper(db, api, tmp_path / "media", clock=clock)
            assert await keeper.tick() == 1
            assert await keeper.tick() == 0  # nothing is fetched twice
    finally:
        await server.close()
    async with db.sessions() as s:
        rows = {m.media_id: m for m in (await s.execute(select(CaseMedia))).scalars()}
    kept = Path(rows["m-keep"].stored_path)
    assert kept.read_bytes().endswith(b"m-keep") and kept.suffix in (".jpg", ".jpeg", ".jpe")
    assert rows["m-gone"].stored_path is None and rows["m-gone"].fetch_error
    assert rows["m-keep"].platform == "wechat"
