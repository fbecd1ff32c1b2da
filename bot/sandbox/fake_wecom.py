"""A local fake of WeCom's API (企业微信), over real HTTP with WeCom's paths:

- `GET /cgi-bin/gettoken?corpid=&corpsecret=`: a token valid `token_ttl_s` on the fake's clock
  (40013 wrong corp id, 40001 wrong secret); a refused token gets 40014, an expired one 42001.
- `POST /cgi-bin/message/send`: text, textcard and news to one `touser` of `agent_id` (40056 another
  agent, 81013 a user in `invalid_users`, 40058 a card without title, description or url, or over
  WeCom's lengths). Accepted messages are recorded.
- faults, in code or `POST /_sandbox/faults` with {"errcode": 45009, "count": 3} | {"down_s": 60} |
  {"clear": true}; `GET /_sandbox/pushes?openid=USERID&after=N` lists what was sent (as the official
  account's fake does), `GET /_sandbox/state` sums it up.
"""
from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import web

SEND = "/cgi-bin/message/send"
TOKEN = "/cgi-bin/gettoken"
LIMITS = {"title": 128, "description": 512, "url": 2048}


@dataclass
class FakeWeCom:
    corp_id: str
    secret: str
    agent_id: int
    token_ttl_s: int = 7200
    clock: Callable[[], float] = time.time
    invalid_users: set[str] = field(default_factory=set)
    pushes: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    calls: Counter = field(default_factory=Counter)
    _errors: list[list] = field(default_factory=list)  # [errcode, remaining]
    _down_until: float = 0.0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(TOKEN, self.gettoken)
        app.router.add_post(SEND, self.send)
        app.router.add_get("/_sandbox/pushes", self.list_pushes)
        app.router.add_get("/_sandbox/state", self.state)
        app.router.add_post("/_sandbox/faults", self.set_faults)
        return app

    # --- controls ----------------------------------------------------------------------------------

    def fail_next(self, errcode: int, count: int = 1) -> None:
        """The next `count` message sends answer `errcode`."""
        self._errors.append([errcode, count])

    def down_for(self, seconds: float) -> None:
        self._down_until = self.clock() + seconds

    def clear_faults(self) -> None:
        self._errors, self._down_until = [], 0.0

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # --- API ---------------------------------------------------------------------------------------

    async def gettoken(self, request: web.Request) -> web.Response:
        self.calls[TOKEN] += 1
        if self.clock() < self._down_until:
            return web.Response(status=503, text="service unavailable")
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

    async def send(self, request: web.Request) -> web.Response:
        self.calls[SEND] += 1
        if self.clock() < self._down_until:
            return web.Response(status=503, text="service unavailable")
        expires = self.tokens.get(request.query.get("access_token", ""))
        if expires is None:
            return self._reject(None, 40014, "invalid access_token")
        if expires < self.clock():
            return self._reject(None, 42001, "access_token expired")
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._reject(None, 47001, "data format error")
        user = body.get("touser")
        for fault in self._errors:
            if fault[1] > 0:
                fault[1] -= 1
                self._errors = [f for f in self._errors if f[1] > 0]
                return self._reject(user, fault[0], "injected fault")
        if body.get("agentid") != self.agent_id:
            return self._reject(user, 40056, "invalid agentid")
        problem = _check_content(body)
        if problem:
            return self._reject(user, 40058, problem)
        if not user or user in self.invalid_users:
            return self._reject(user, 81013, "user & party & tag all invalid")
        self.pushes.append({"id": next(self._ids), "path": SEND, "channel": body["msgtype"], "at": self.clock(),
                            "body": body, "openid": user, "key": request.headers.get("X-Idempotency-Key")})
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": str(self.pushes[-1]["id"])})

    def _reject(self, user: str | None, errcode: int, errmsg: str) -> web.Response:
        self.rejected.append({"user": user, "errcode": errcode, "at": self.clock()})
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    # --- sandbox views -----------------------------------------------------------------------------

    async def list_pushes(self, request: web.Request) -> web.Response:
        user = request.query.get("openid") or request.query.get("touser")
        after = int(request.query.get("after", "0") or 0)
        return web.json_response([p for p in self.pushes if p["id"] > after and (user is None or p["openid"] == user)])

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response({"token_fetches": self.token_fetches, "pushes": len(self.pushes),
                                  "rejected": len(self.rejected), "calls": dict(self.calls)})

    async def set_faults(self, request: web.Request) -> web.Response:
        try:
            spec = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="JSON body expected") from None
        if spec.get("clear"):
            self.clear_faults()
        if spec.get("down_s"):
            self.down_for(float(spec["down_s"]))
        if spec.get("errcode"):
            self.fail_next(int(spec["errcode"]), int(spec.get("count", 1)))
        return web.json_response({"ok": True})


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
