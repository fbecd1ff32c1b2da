"""A local fake of WeCom's API (企业微信), over real HTTP with WeCom's paths:

- `GET /cgi-bin/gettoken?corpid=&corpsecret=`: a token valid `token_ttl_s` on the fake's clock
  (40013 wrong corp id, 40001 wrong secret); a refused token gets 40014, an expired one 42001.
- `POST /cgi-bin/message/send`: text, textcard and news to one `touser` of `agent_id` (40056 another
  agent, 81013 a user in `invalid_users`, 40058 a card without title, description or url, or over
  WeCom's lengths). Accepted messages are recorded.
- `GET /cgi-bin/media/get?media_id=`: a small JPEG for any media id, 40007 for ids in `expired_media`
  (WeCom, like WeChat, keeps temporary media for 3 days).
- faults and the sandbox views as the official account's fake has them (bot/sandbox/fake_api.py);
  `GET /_sandbox/pushes?openid=USERID&after=N` lists what was sent.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from aiohttp import web

from bot.sandbox.fake_api import FakeTencentAPI

SEND = "/cgi-bin/message/send"
TOKEN = "/cgi-bin/gettoken"
MEDIA = "/cgi-bin/media/get"
LIMITS = {"title": 128, "description": 512, "url": 2048}


@dataclass
class FakeWeCom(FakeTencentAPI):
    TOKEN_PATHS = (TOKEN,)

    corp_id: str
    secret: str
    agent_id: int
    token_ttl_s: int = 7200
    invalid_users: set[str] = field(default_factory=set)
    expired_media: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        app = self.base_app()
        app.router.add_get(TOKEN, self.gettoken)
        app.router.add_post(SEND, self.send)
        app.router.add_get(MEDIA, self.media_get)
        return app

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # --- API ---------------------------------------------------------------------------------------

    async def gettoken(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("corpid") != self.corp_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid corpid"})
        if q.get("corpsecret") != self.secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.token_fetches += 1
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock() + self.token_ttl_s
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token,
                                  "expires_in": self.token_ttl_s})

    def _token_refusal(self, request: web.Request) -> tuple[int, str] | None:
        expires = self.tokens.get(request.query.get("access_token", ""))
        if expires is None:
            return 40014, "invalid access_token"
        if expires < self.clock():
            return 42001, "access_token expired"
        return None

    async def media_get(self, request: web.Request) -> web.Response:
        refused = self._token_refusal(request)
        if refused:
            return self._reject(MEDIA, None, *refused)
        media_id = request.query.get("media_id", "")
        if not media_id or media_id in self.expired_media:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=b"\xff\xd8\xff\xe0fake-jpeg:" + media_id.encode(), content_type="image/jpeg")

    async def send(self, request: web.Request) -> web.Response:
        refused = self._token_refusal(request)
        if refused:
            return self._reject(SEND, None, *refused)
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._reject(SEND, None, 47001, "data format error")
        user = body.get("touser")
        if body.get("agentid") != self.agent_id:
            return self._reject(SEND, user, 40056, "invalid agentid")
        problem = _check_content(body)
        if problem:
            return self._reject(SEND, user, 40058, problem)
        if not user or user in self.invalid_users:
            return self._reject(SEND, user, 81013, "user & party & tag all invalid")
        push = self.record_push(request, SEND, body["msgtype"], user, body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": str(push["id"])})


def _check_content(body: dict) -> str | None:
    msgtype = body.get("msgtype")
    content = body.get(msgtype) if isinstance(msgtype, str) else None
    if not isinstance(content, dict):
        return f"missing {msgtype} content"
    if msgtype == "text":
        return None if content.get("content") else "empty content"
    if msgtype == "textcard":
        for name, limit in LIMITS.items():
            value = content.get(name)
            if not value or len(str(value).encode("utf-8")) > limit:
                return f"textcard {name} missing or over {limit} bytes"
        return None
    if msgtype == "news":
        articles = content.get("articles")
        return None if isinstance(articles, list) and 0 < len(articles) <= 8 else "news needs 1 to 8 articles"
    return f"unsupported msgtype {msgtype}"
