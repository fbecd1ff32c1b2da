"""A local fake of WeChat's API, served over real HTTP with WeChat's paths under /cgi-bin/.

It hands out access tokens, accepts pushes and records them, so sandbox mode and tests can see
exactly what the bot sent. `GET /_sandbox/pushes?openid=…&after=N` lists recorded pushes.
"""
from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

RECORDED_PATHS = (
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
    "/cgi-bin/message/subscribe/bizsend",
    "/cgi-bin/menu/create",
)


@dataclass
class FakeWeChat:
    app_id: str
    app_secret: str
    token_ttl_s: int = 7200
    pushes: list[dict] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self.stable_token)
        app.router.add_get("/cgi-bin/token", self.token)
        for path in RECORDED_PATHS:
            app.router.add_post(path, self.record)
        app.router.add_get("/_sandbox/pushes", self.list_pushes)
        return app

    def _issue(self, appid: str | None, secret: str | None) -> dict:
        if appid != self.app_id or secret != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        self.token_fetches += 1
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_ttl_s
        return {"access_token": token, "expires_in": self.token_ttl_s}

    async def stable_token(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        return web.json_response(self._issue(body.get("appid"), body.get("secret")))

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response(self._issue(request.query.get("appid"), request.query.get("secret")))

    async def record(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        expires = self.tokens.get(token)
        if expires is None:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if expires < time.time():
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        self.pushes.append({"id": next(self._ids), "path": request.path, "at": time.time(), "body": body,
                            "openid": body.get("touser")})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def list_pushes(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid")
        after = int(request.query.get("after", "0") or 0)
        found = [p for p in self.pushes if p["id"] > after and (openid is None or p["openid"] == openid)]
        return web.json_response(found)
