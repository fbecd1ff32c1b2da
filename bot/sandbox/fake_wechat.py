"""A local fake of WeChat's API, served over real HTTP with WeChat's paths under /cgi-bin/.

What it models, so sandbox mode and tests see WeChat's behaviour rather than a happy path:
- access tokens that expire (`token_ttl_s`, on the fake's own clock); `/cgi-bin/stable_token` returns
  the current token until it nears expiry (a new one with force_refresh), `/cgi-bin/token` a new one each
  time; a refused or expired token gets 40001/42001.
- the 48-hour rule: with `enforce_window`, a customer-service message to someone whose last message is
  older than `window_s` gets 45015, and more than `cs_allowance` of them since that message get 45047.
  The last message comes from `saw_message()` or, in sandbox mode, from the bot's inbound log.
- residents who unfollowed (43004), bad openids (40003), unknown template ids (40037).
- injectable faults: down for N seconds (HTTP 503), an errcode for the next K calls, slow answers.
  In code (`down_for`, `fail_next`, `slow`, `clear_faults`) or over HTTP: `POST /_sandbox/faults` with
  {"down_s": 60} | {"errcode": 45009, "count": 3, "path": "/cgi-bin/…"} | {"slow_s": 2, "count": 5} |
  {"clear": true}.
- media download (`/cgi-bin/media/get`): bytes for any media id, 40007 for ids in `expired_media`.

Every accepted push is recorded: `GET /_sandbox/pushes?openid=…&after=N` lists them (id, path, channel,
openid, body, key = the sender's X-Idempotency-Key header, at); `GET /_sandbox/state` sums things up.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from aiohttp import web

CHANNELS = {
    "/cgi-bin/message/custom/send": "custom",
    "/cgi-bin/message/template/send": "template",
    "/cgi-bin/message/subscribe/bizsend": "subscribe",
}
RECORDED_PATHS = (*CHANNELS, "/cgi-bin/menu/create")
TOKEN_PATHS = ("/cgi-bin/stable_token", "/cgi-bin/token")
STABLE_TOKEN_RENEW_S = 300  # stable_token hands out a new token when the current one has less than this


@dataclass
class _ErrorFault:
    errcode: int
    remaining: int
    path: str | None


@dataclass
class FakeWeChat:
    app_id: str
    app_secret: str
    token_ttl_s: int = 7200
    clock: Callable[[], float] = time.time
    enforce_window: bool = False
    window_s: float = 48 * 3600
    cs_allowance: int = 20
    last_message_at: Callable[[str], Awaitable[float | None]] | None = None
    stable_token_available: bool = True
    unsubscribed: set[str] = field(default_factory=set)
    invalid_openids: set[str] = field(default_factory=set)
    known_templates: set[str] | None = None
    expired_media: set[str] = field(default_factory=set)
    pushes: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    calls: Counter = field(default_factory=Counter)
    _stable: str | None = None
    _seen: dict[str, float] = field(default_factory=dict)
    _down_until: float = 0.0
    _errors: list[_ErrorFault] = field(default_factory=list)
    _slow: tuple[float, int | None] = (0.0, 0)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults])
        app.router.add_post("/cgi-bin/stable_token", self.stable_token)
        app.router.add_get("/cgi-bin/token", self.token)
        for path in RECORDED_PATHS:
            app.router.add_post(path, self.record)
        app.router.add_get("/cgi-bin/media/get", self.media_get)
        app.router.add_get("/_sandbox/pushes", self.list_pushes)
        app.router.add_get("/_sandbox/state", self.state)
        app.router.add_post("/_sandbox/faults", self.set_faults)
        return app

    # --- controls ----------------------------------------------------------------------------------

    def down_for(self, seconds: float) -> None:
        """Every API call answers HTTP 503 for this long (on the fake's clock)."""
        self._down_until = self.clock() + seconds

    def fail_next(self, errcode: int, count: int = 1, path: str | None = None) -> None:
        """The next `count` API calls (to `path`, or to any non-token path) answer `errcode`."""
        self._errors.append(_ErrorFault(errcode, count, path))

    def slow(self, seconds: float, count: int | None = None) -> None:
        """Answer the next `count` calls (all, if None) after `seconds` of real time."""
        self._slow = (seconds, count)

    def clear_faults(self) -> None:
        self._down_until, self._errors, self._slow = 0.0, [], (0.0, 0)

    def revoke_tokens(self) -> None:
        """Every issued token stops working (as when the secret is reset or another client fetched one)."""
        self.tokens.clear()
        self._stable = None

    def saw_message(self, openid: str, at: float | None = None) -> None:
        """The resident wrote to the account at `at` (opens the 48 h window)."""
        self._seen[openid] = self.clock() if at is None else at

    def keys(self) -> Counter:
        """How many times each idempotency key was delivered."""
        return Counter(p["key"] for p in self.pushes if p["path"] in CHANNELS)

    # --- the fault layer ---------------------------------------------------------------------------

    @web.middleware
    async def _faults(self, request: web.Request, handler):
        path = _api_path(request)
        if not path.startswith("/cgi-bin/"):
            return await handler(request)
        self.calls[path] += 1
        seconds, count = self._slow
        if seconds and (count is None or count > 0):
            if count is not None:
                self._slow = (seconds, count - 1)
            await asyncio.sleep(seconds)
        if self.clock() < self._down_until:
            return web.Response(status=503, text="service unavailable")
        for fault in self._errors:
            applies = path == fault.path if fault.path else path not in TOKEN_PATHS
            if applies and fault.remaining > 0:
                fault.remaining -= 1
                self._errors = [f for f in self._errors if f.remaining > 0]
                return self._reject(path, None, fault.errcode, "injected fault")
        return await handler(request)

    def _reject(self, path: str, openid: str | None, errcode: int, errmsg: str) -> web.Response:
        self.rejected.append({"path": path, "openid": openid, "errcode": errcode, "at": self.clock()})
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    # --- tokens ------------------------------------------------------------------------------------

    def _issue(self, appid: str | None, secret: str | None, *, stable: bool = False, force: bool = False) -> dict:
        if appid != self.app_id or secret != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        self.token_fetches += 1
        now = self.clock()
        if stable and not force and self._stable and self.tokens.get(self._stable, 0) - now > STABLE_TOKEN_RENEW_S:
            return {"access_token": self._stable, "expires_in": int(self.tokens[self._stable] - now)}
        if stable and force and self._stable:
            self.tokens.pop(self._stable, None)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_ttl_s
        if stable:
            self._stable = token
        return {"access_token": token, "expires_in": self.token_ttl_s}

    async def stable_token(self, request: web.Request) -> web.Response:
        if not self.stable_token_available:
            raise web.HTTPNotFound()
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        return web.json_response(self._issue(body.get("appid"), body.get("secret"), stable=True,
                                             force=bool(body.get("force_refresh"))))

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response(self._issue(request.query.get("appid"), request.query.get("secret")))

    def _token_error(self, request: web.Request) -> tuple[int, str] | None:
        expires = self.tokens.get(request.query.get("access_token", ""))
        if expires is None:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if expires < self.clock():
            return 42001, "access_token expired"
        return None

    # --- pushes ------------------------------------------------------------------------------------

    async def record(self, request: web.Request) -> web.Response:
        path = _api_path(request)
        refused = self._token_error(request)
        if refused:
            return self._reject(path, None, *refused)
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        openid = body.get("touser")
        channel = CHANNELS.get(path)
        if channel:
            problem = await self._check_push(path, channel, openid, body)
            if problem:
                return self._reject(path, openid, *problem)
        self.pushes.append({"id": next(self._ids), "path": path, "channel": channel, "at": self.clock(),
                            "body": body, "openid": openid, "key": request.headers.get("X-Idempotency-Key")})
        answer = {"errcode": 0, "errmsg": "ok"}
        if channel in ("template", "subscribe"):
            answer["msgid"] = self.pushes[-1]["id"]
        return web.json_response(answer)

    async def _check_push(self, path: str, channel: str, openid: str | None, body: dict) -> tuple[int, str] | None:
        if not openid or openid in self.invalid_openids:
            return 40003, "invalid openid"
        if openid in self.unsubscribed:
            return 43004, "require subscribe"
        if channel != "custom":
            if self.known_templates is not None and body.get("template_id") not in self.known_templates:
                return 40037, "invalid template_id"
            return None
        if not self.enforce_window:
            return None
        last = await self.last_message_at(openid) if self.last_message_at else self._seen.get(openid)
        if last is None or self.clock() - last > self.window_s:
            return 45015, "response out of time limit or subscription is canceled"
        used = sum(1 for p in self.pushes if p["openid"] == openid and p["channel"] == "custom" and p["at"] >= last)
        if used >= self.cs_allowance:
            return 45047, "out of response count limit"
        return None

    async def media_get(self, request: web.Request) -> web.Response:
        refused = self._token_error(request)
        if refused:
            return self._reject(_api_path(request), None, *refused)
        media_id = request.query.get("media_id", "")
        if not media_id or media_id in self.expired_media:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=b"\xff\xd8\xff\xe0fake-jpeg:" + media_id.encode(), content_type="image/jpeg",
                            headers={"Content-Disposition": f'attachment; filename="{media_id}.jpg"'})

    # --- sandbox views -----------------------------------------------------------------------------

    async def list_pushes(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid")
        after = int(request.query.get("after", "0") or 0)
        found = [p for p in self.pushes if p["id"] > after and (openid is None or p["openid"] == openid)]
        return web.json_response(found)

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response({"token_fetches": self.token_fetches, "pushes": len(self.pushes),
                                  "rejected": len(self.rejected), "down": self.clock() < self._down_until,
                                  "calls": dict(self.calls)})

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
            self.fail_next(int(spec["errcode"]), int(spec.get("count", 1)), spec.get("path"))
        if spec.get("slow_s"):
            self.slow(float(spec["slow_s"]), spec.get("count"))
        return web.json_response({"ok": True})


def _api_path(request: web.Request) -> str:
    """The path under the fake's root, also when it is mounted as a sub-application."""
    path = request.path
    index = path.find("/cgi-bin/")
    if index >= 0:
        return path[index:]
    index = path.find("/_sandbox/")
    return path[index:] if index >= 0 else path


def window_from_inbound_log(db) -> Callable[[str], Awaitable[float | None]]:
    """In sandbox mode the fake learns when a resident last wrote from the bot's own inbound log."""
    from storage.outbox import last_inbound_at

    async def last_message_at(openid: str) -> float | None:
        async with db.sessions() as session:
            at = await last_inbound_at(session, "wechat", openid)
        return at.timestamp() if at else None

    return last_message_at
