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


class UpstreamWithBadFiles(FakeWeChat):
    """WeChat's media API as a hostile or broken upstream could answer: an SVG with script, a file far over
    the size cap (announced, or streamed without a length)."""

    async def media_get(self, request):
        from aiohttp import web

        media_id = request.query.get("media_id", "")
        if media_id == "m-svg":
            return web.Response(body=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                                content_type="image/svg+xml")
        if media_id == "m-huge":
            return web.Response(body=b"\xff\xd8" + b"0" * 3_000_000, content_type="image/jpeg")
        if media_id == "m-endless":
            response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                for _ in range(400):  # 25 MB if nobody stops reading
                    await response.write(b"0" * 65536)
            except (ConnectionResetError, RuntimeError):
                pass
            return response
        return await super().media_get(request)


async def test_only_allowed_types_under_the_size_cap_are_kept(town, db, clock, tmp_path):
    await town.start()
    resident = town.person("o-bad-files")
    for media_id in ("m-svg", "m-huge", "m-endless", "m-fine"):
        await resident.photo(media_id)
    await town.report("o-bad-files", "滨湖康园2栋门口垃圾桶满了好几天没人清理，很臭", "1")

    fake = UpstreamWithBadFiles(app_id="wxmedia", app_secret="secret")
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            api = WeChatAPI(str(server.make_url("")).rstrip("/"), "wxmedia", "secret", http=http)
            api.tokens = SharedToken(db, "wechat:wxmedia", api.fetch_token, clock=clock, owner="test")
            keeper = MediaKeeper(db, api, tmp_path / "media", clock=clock, max_bytes=1_000_000)
            assert await keeper.tick() == 1
    finally:
        await server.close()
    async with db.sessions() as s:
        rows = {m.media_id: m for m in (await s.execute(select(CaseMedia))).scalars()}
    assert rows["m-fine"].stored_path and Path(rows["m-fine"].stored_path).suffix == ".jpg"
    for refused in ("m-svg", "m-huge", "m-endless"):
        assert rows[refused].stored_path is None and rows[refused].fetch_error, refused
        assert rows[refused].fetch_after is None  # given up, not retried
    assert "image/svg+xml" in rows["m-svg"].fetch_error and "too_large" in rows["m-huge"].fetch_error
    assert not list((tmp_path / "media").rglob("*.svg"))
