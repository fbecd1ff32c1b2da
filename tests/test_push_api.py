"""The WeChat API client against the fake over real HTTP: paths, bodies and typed errors."""
from __future__ import annotations

import socket

import aiohttp
import pytest
from delivery_kit import APP_ID, APP_SECRET, fake_wechat, process, push_settings

from bot.errors import AccountError, PermanentError, TransientError
from bot.wechat.api import OutsideWindow, TokenError, WeChatAPI


@pytest.mark.parametrize("errcode,kind", [
    (-1, TransientError), (45009, TransientError), (45011, TransientError),
    (40001, TokenError), (40014, TokenError), (42001, TokenError),
    (45015, OutsideWindow), (45047, OutsideWindow),
    (43004, PermanentError), (40003, PermanentError), (99999, PermanentError), (40037, PermanentError),
    (48001, AccountError), (40164, AccountError), (61004, AccountError), (40125, AccountError),
])
def test_errcodes_are_typed(errcode, kind):
    error = WeChatAPI.error_for(errcode, "msg", "/cgi-bin/x")
    assert type(error) is kind and error.code == str(errcode)
    kinds = (TransientError, PermanentError, AccountError)
    assert sum(isinstance(error, k) for k in kinds) == 1  # retried, refused for this push, or pausing the account


async def test_menu_and_media_download(db, db_url, clock):
    menu = {"button": [{"type": "click", "name": "我的工单", "key": "MY_CASES"}]}
    async with fake_wechat(clock, expired_media={"old-media"}) as (fake, base), \
            process(db_url, push_settings(base), clock) as p:
        await p.api.create_menu(menu)
        photo = await p.api.get_media("photo-1")
        with pytest.raises(PermanentError) as expired:
            await p.api.get_media("old-media")
    assert fake.pushes[0]["path"] == "/cgi-bin/menu/create" and fake.pushes[0]["body"] == menu
    assert photo.content.startswith(b"\xff\xd8") and photo.content_type == "image/jpeg"
    assert photo.filename == "photo-1.jpg"
    assert expired.value.code == "40007"


async def test_network_trouble_and_server_errors_are_transient(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    async with aiohttp.ClientSession() as http:
        api = WeChatAPI(f"http://127.0.0.1:{closed_port}", APP_ID, APP_SECRET, http=http, timeout_s=2)
        with pytest.raises(TransientError) as refused:
            await api.fetch_token()
        assert refused.value.code == "network"
        async with fake_wechat(clock) as (fake, base):
            fake.down_for(10)
            api = WeChatAPI(base, APP_ID, APP_SECRET, http=http)
            with pytest.raises(TransientError) as down:
                await api.fetch_token()
    assert down.value.code == "http_503"
