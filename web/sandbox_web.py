"""/sandbox (sandbox mode only): a phone-like chat page in the browser.

The page posts what you type to /sandbox/api/send; the server builds the XML WeChat would send, signs and
encrypts it with the sandbox credentials (bot/wechat/simulator.py) and POSTs it to its own /wechat over
loopback, so the message takes the real webhook path (signature, decryption, dedupe, router, reply) and
the decrypted reply goes back to the page. Pushes are read from the fake WeChat API's records. Picking a
staff identity binds the openid `sandbox-staff-<id>` to that staff record (sandbox only), so staff
commands (接单, 办结 …) work from the page.

Its API (/sandbox/api/*) answers the page itself only: a request another site's page makes the browser
send (a cross-origin form or `text/plain` fetch, which needs no preflight) is a 403, and a POST must be
JSON. Sandbox mode also listens on loopback only unless SANDBOX_PUBLIC=1 (bot/config.py).
"""
from __future__ import annotations

import functools
import json
import re

import aiohttp
from aiohttp import web

from backend import staff as staff_mod
from web import dashboard_texts as T
from web.dashboard import SECURITY_HEADERS
from web.templating import render
from bot.wechat.simulator import WeChatSimulator

STAFF_PREFIX = "sandbox-staff-"
MAX_TEXT = 600
LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')


def same_origin(handler):
    """Refuse what another origin's page makes a browser send: a foreign `Origin`, a `Sec-Fetch-Site` other
    than same-origin (or none, for a typed-in URL), and a POST that is not JSON (so it needed a preflight,
    which this server never grants)."""
    @functools.wraps(handler)
    async def checked(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin")
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise web.HTTPForbidden(text="the sandbox API answers its own page only\n")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            raise web.HTTPForbidden(text="the sandbox API answers its own page only\n")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="application/json expected\n")
        return await handler(self, request)

    return checked


class WebSandbox:
    def __init__(self, db, clock, settings, fake):
        self.db, self.clock, self.settings, self.fake = db, clock, settings, fake

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/sandbox", self.page), web.get("/sandbox/", self.page),
                web.post("/sandbox/api/send", self.send), web.get("/sandbox/api/pushes", self.pushes)]

    async def page(self, request: web.Request) -> web.Response:
        async with self.db.sessions() as session:
            people = [person for person, _ in await staff_mod.list_staff(session)]
        return render(request, "sandbox.html", {"T": T, "staff": people, "prefix": STAFF_PREFIX},
                      headers=SECURITY_HEADERS)

    @same_origin
    async def send(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="JSON body expected") from None
        openid = str(body.get("openid") or "").strip()[:64]
        if not openid:
            raise web.HTTPBadRequest(text="openid missing")
        if openid.startswith(STAFF_PREFIX):
            await self._bind_staff(openid)
        host, port = request.transport.get_extra_info("sockname")[:2]
        loopback = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        sim = WeChatSimulator(url=f"http://{loopback}:{port}/wechat", token=self.settings.wechat_token or "",
                              app_id=self.settings.wechat_app_id, aes_key=self.settings.wechat_aes_key,
                              clock=lambda: self.clock().timestamp())
        xml = self._message(sim, openid, body)
        if xml is None:
            raise web.HTTPBadRequest(text="nothing to send")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            delivery = await sim.post(http, xml)
        if delivery.status != 200:
            return web.json_response({"status": delivery.status, "error": delivery.body.strip()})
        return web.json_response({"status": 200, "reply": delivery.text or ""})

    @staticmethod
    def _message(sim: WeChatSimulator, openid: str, body: dict) -> str | None:
        kind = body.get("kind", "text")
        if kind == "image":
            media = f"sandbox-photo-{sim.next_msg_id()}"
            return sim.build(openid, "image", {"PicUrl": f"http://sandbox.invalid/{media}.jpg", "MediaId": media,
                                               "MsgId": sim.next_msg_id()})
        if kind == "location":
            return sim.build(openid, "location", {"Location_X": str(float(body.get("lat", 0))),
                                                  "Location_Y": str(float(body.get("lng", 0))), "Scale": 16,
                                                  "Label": str(body.get("label") or "位置")[:60],
                                                  "MsgId": sim.next_msg_id()})
        text = str(body.get("text") or "").strip()[:MAX_TEXT]
        return sim.text(openid, text) if text else None

    async def _bind_staff(self, openid: str) -> None:
        staff_id = openid[len(STAFF_PREFIX):]
        async with self.db.transaction() as session:
            if await staff_mod.identify(session, "wechat", openid) is None:
                try:
                    await staff_mod.link(session, staff_id, "wechat", openid, self.clock())
                except staff_mod.StaffError:  # no such staff member: the sandbox talks as a resident
                    pass

    @same_origin
    async def pushes(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid", "")
        try:
            after = int(request.query.get("after", "0") or 0)
        except ValueError:
            after = 0
        found = [{"id": p["id"], "text": push_text(p["body"]), "channel": p["channel"], "at": p["at"]}
                 for p in self.fake.pushes if p["id"] > after and p["openid"] == openid and p["channel"]]
        return web.json_response(found)


def push_text(body: dict) -> str:
    """What a resident would read of a push: a text message, the titles of a news message, a template's fields."""
    if isinstance(body.get("text"), dict):  # a link reads as its words and address (the page shows text)
        return LINK.sub(r"\2 \1", str(body["text"].get("content", "")))
    if isinstance(body.get("news"), dict):
        return "\n".join(f'{a.get("title", "")} {a.get("description", "")}'.strip()
                         for a in body["news"].get("articles", []))
    data = body.get("data")
    if isinstance(data, dict):
        return "\n".join(str(v.get("value", v) if isinstance(v, dict) else v) for v in data.values())
    return json.dumps(body, ensure_ascii=False)
