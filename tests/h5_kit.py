"""The residents' pages in tests: the fake WeChat API (web authorisation included) on loopback, the bot
aimed at it, and a browser-like client that logs in as a WeChat user through the fake's authorisation."""
from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp.test_utils import TestServer

from bot.sandbox.fake_wechat import FakeWeChat

SECRET = "h5-test-secret"
WECHAT_UA = "Mozilla/5.0 (Linux; Android 14) Mobile MicroMessenger/8.0.50"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def fake_api(settings, clock):
    fake = FakeWeChat(settings.wechat_app_id, SECRET, clock=clock.timestamp)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@dataclass
class Phone:
    """One resident's WeChat browser: cookies of its own, WeChat's user agent."""

    base: str
    http: aiohttp.ClientSession

    @classmethod
    def open(cls, base: str) -> "Phone":
        return cls(base, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                               headers={"User-Agent": WECHAT_UA}))

    async def login(self, openid: str, path: str = "/h5/cases") -> aiohttp.ClientResponse:
        """Open a page, go through WeChat's (the fake's) authorisation as `openid`, land on the page."""
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            assert r.status == 302, r.status
            authorize = urlsplit(r.headers["Location"])
        q = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        confirm = f"{authorize.scheme}://{authorize.netloc}{authorize.path}/confirm"
        async with self.http.get(confirm, params={"redirect_uri": q["redirect_uri"], "state": q["state"],
                                                  "openid": openid}, allow_redirects=False) as r:
            back = r.headers["Location"]
        async with self.http.get(back, allow_redirects=False) as r:
            assert r.status == 302, (r.status, await r.text())
            assert r.headers["Location"] == path
        return r

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            return r.status, await r.text()

    async def csrf(self, path: str = "/h5/cases") -> str:
        status, html = await self.get(path)
        return CSRF.search(html).group(1)

    async def me_too(self, number: str, nearby: str = "/h5/nearby") -> aiohttp.ClientResponse:
        """我也遇到 as the 附近 page offers it: the form's own hidden fields, offer token included."""
        status, html = await self.get(nearby)
        form = re.search(r'<form method="post" action="/h5/cases/%s/follow".*?</form>' % re.escape(number), html, re.S)
        assert form, f"{number} is not offered on {nearby}"
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
        async with self.http.post(self.base + f"/h5/cases/{number}/follow", data=fields, allow_redirects=False) as r:
            await r.read()
            return r

    async def post(self, path: str, data: dict | aiohttp.FormData, *, csrf: str | None = None) -> aiohttp.ClientResponse:
        if isinstance(data, dict):
            data = {"csrf": csrf if csrf is not None else await self.csrf(), **data}
        async with self.http.post(self.base + path, data=data, allow_redirects=False) as r:
            await r.read()
            return r

    async def close(self) -> None:
        await self.http.close()


def jpeg_with_gps(lat: float, lng: float) -> bytes:
    """A minimal JPEG whose EXIF carries a GPS position (big-endian TIFF)."""
    import struct

    def rational3(value: float) -> bytes:
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60 * 1000)
        return struct.pack(">IIIIII", d, 1, m, 1, s, 1000)

    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8825, 4, 1, 26) + struct.pack(">I", 0)
    gps_entries = [(1, 2, 2, b"N\x00\x00\x00"), (2, 5, 3, struct.pack(">I", 80)), (3, 2, 2, b"E\x00\x00\x00"),
                   (4, 5, 3, struct.pack(">I", 104))]
    gps = struct.pack(">H", 4) + b"".join(struct.pack(">HHI", t, k, n) + v for t, k, n, v in gps_entries) \
        + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps
    tiff = tiff.ljust(80, b"\x00") + rational3(lat) + rational3(lng)
    exif = b"Exif\x00\x00" + tiff
    return b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + b"\xff\xda\x00\x02" + b"\x00" * 32
