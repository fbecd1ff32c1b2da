"""A local fake of WeChat's API, served over real HTTP with WeChat's paths under /cgi-bin/.

What it models, so sandbox mode and tests see WeChat's behaviour rather than a happy path:
- access tokens that expire (`token_ttl_s`, on the fake's own clock); `/cgi-bin/stable_token` returns
  the current token until it nears expiry (a new one with force_refresh), `/cgi-bin/token` a new one each
  time; a refused or expired token gets 40001/42001.
- the 48-hour rule: with `enforce_window`, a customer-service message to someone whose last message is
  older than `window_s` gets 45015, and more than `cs_allowance` of them since that message get 45047.
  The last message comes from `saw_message()` or, in sandbox mode, from the bot's inbound log.
- residents who unfollowed (43004), bad openids (40003), unknown template ids (40037).
- template and subscription data as WeChat checks it: every value fits its keyword's type
  (bot/wechat/templates.py KEYWORD_TYPES), and with `template_keywords` the template's own keywords are all
  there, or 47003 (stricter than template/send, which shows a blank field: a blank field is a failed push).
- `client_msg_id` on template/send: a repeat for the same openid within 10 minutes is answered 0 with the
  first message's msgid and not delivered again.
- injectable faults (bot/sandbox/fake_api.py): down for N seconds, an errcode for the next K calls,
  slow answers.
- media download (`/cgi-bin/media/get`): bytes for any media id, 40007 for ids in `expired_media`.
- web authorisation (snsapi_base): `/connect/oauth2/authorize` shows a small page asking which WeChat user
  the browser is (the real WeChat client knows; a laptop does not), then sends the browser back to the
  `redirect_uri` with a code; `/sns/oauth2/access_token` turns a code into its openid once, within 5
  minutes (40029 for an unknown code, 40163 for a used one). `/cgi-bin/ticket/getticket` issues the JS-SDK's
  jsapi_ticket (counted in `ticket_fetches`).

Every accepted push is recorded: `GET /_sandbox/pushes?openid=…&after=N` lists them (id, path, channel,
openid, body, key = the sender's X-Idempotency-Key header, at); `GET /_sandbox/state` sums things up.
"""
from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from aiohttp import web
from markupsafe import Markup

from bot.sandbox.fake_api import FakeTencentAPI, api_path
from bot.wechat.templates import fits, keyword_type

CHANNELS = {
    "/cgi-bin/message/custom/send": "custom",
    "/cgi-bin/message/template/send": "template",
    "/cgi-bin/message/subscribe/bizsend": "subscribe",
}
RECORDED_PATHS = (*CHANNELS, "/cgi-bin/menu/create")
TOKEN_PATHS = ("/cgi-bin/stable_token", "/cgi-bin/token")
STABLE_TOKEN_RENEW_S = 300  # stable_token hands out a new token when the current one has less than this
CLIENT_MSG_ID_S = 600  # template/send drops a repeat of openid + client_msg_id for this long
OAUTH_CODE_TTL_S = 300
AUTHORIZE_PAGE = Markup(
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
    'content="width=device-width, initial-scale=1"><title>微信授权（沙盒）</title></head><body>'
    '<h1>微信网页授权（沙盒）</h1><p>真实微信会直接确认当前微信用户；沙盒里请填写要扮演的居民 openid。</p>'
    '<form method="get" action="authorize/confirm"><input type="hidden" name="redirect_uri" value="{redirect_uri}">'
    '<input type="hidden" name="state" value="{state}"><label>openid <input name="openid" id="openid" '
    'value="demo-resident" required></label> <button type="submit" id="authorize">确认授权</button></form>'
    '</body></html>')


@dataclass
class FakeWeChat(FakeTencentAPI):
    TOKEN_PATHS = TOKEN_PATHS

    app_id: str
    app_secret: str
    token_ttl_s: int = 7200
    enforce_window: bool = False
    window_s: float = 48 * 3600
    cs_allowance: int = 20
    last_message_at: Callable[[str], Awaitable[float | None]] | None = None
    stable_token_available: bool = True
    unsubscribed: set[str] = field(default_factory=set)
    invalid_openids: set[str] = field(default_factory=set)
    known_templates: set[str] | None = None
    template_keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template id -> its keywords
    expired_media: set[str] = field(default_factory=set)
    _stable: str | None = None
    _seen: dict[str, float] = field(default_factory=dict)
    oauth_codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (openid, expires)
    used_codes: set[str] = field(default_factory=set)
    ticket_fetches: int = 0

    def app(self) -> web.Application:
        app = self.base_app()
        app.router.add_post("/cgi-bin/stable_token", self.stable_token)
        app.router.add_get("/cgi-bin/token", self.token)
        for path in RECORDED_PATHS:
            app.router.add_post(path, self.record)
        app.router.add_get("/cgi-bin/media/get", self.media_get)
        app.router.add_get("/cgi-bin/ticket/getticket", self.jsapi_ticket)
        app.router.add_get("/connect/oauth2/authorize", self.authorize)
        app.router.add_get("/connect/oauth2/authorize/confirm", self.authorize_confirm)
        app.router.add_get("/sns/oauth2/access_token", self.oauth_access_token)
        return app

    # --- controls (the faults are in bot/sandbox/fake_api.py) ---------------------------------------

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
        path = api_path(request)
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
        repeat = self._repeat_of(channel, openid, body)
        if repeat is not None:
            return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": repeat["id"]})
        push = self.record_push(request, path, channel, openid, body)
        answer = {"errcode": 0, "errmsg": "ok"}
        if channel in ("template", "subscribe"):
            answer["msgid"] = push["id"]
        return web.json_response(answer)

    async def _check_push(self, path: str, channel: str, openid: str | None, body: dict) -> tuple[int, str] | None:
        if not openid or openid in self.invalid_openids:
            return 40003, "invalid openid"
        if openid in self.unsubscribed:
            return 43004, "require subscribe"
        if channel != "custom":
            if self.known_templates is not None and body.get("template_id") not in self.known_templates:
                return 40037, "invalid template_id"
            return self._check_data(body)
        if not self.enforce_window:
            return None
        last = await self.last_message_at(openid) if self.last_message_at else self._seen.get(openid)
        if last is None or self.clock() - last > self.window_s:
            return 45015, "response out of time limit or subscription is canceled"
        used = sum(1 for p in self.pushes if p["openid"] == openid and p["channel"] == "custom" and p["at"] >= last)
        if used >= self.cs_allowance:
            return 45047, "out of response count limit"
        return None

    def _check_data(self, body: dict) -> tuple[int, str] | None:
        data = body.get("data") or {}
        expected = self.template_keywords.get(body.get("template_id", ""))
        for keyword in expected or ():
            if keyword not in data:
                return 47003, f"argument invalid! data.{keyword}.value is empty"
        for keyword, item in data.items():
            value = item.get("value", "") if isinstance(item, dict) else ""
            if (expected and keyword not in expected) or not fits(keyword_type(keyword), value):
                return 47003, f"argument invalid! data.{keyword}.value invalid"
        return None

    def _repeat_of(self, channel: str | None, openid: str | None, body: dict) -> dict | None:
        """The template message this one repeats (same openid and client_msg_id within 10 minutes), if any."""
        msg_id = body.get("client_msg_id")
        if channel != "template" or not msg_id:
            return None
        return next((p for p in reversed(self.pushes) if p["channel"] == "template" and p["openid"] == openid
                     and p["body"].get("client_msg_id") == msg_id and self.clock() - p["at"] < CLIENT_MSG_ID_S), None)

    async def media_get(self, request: web.Request) -> web.Response:
        refused = self._token_error(request)
        if refused:
            return self._reject(api_path(request), None, *refused)
        media_id = request.query.get("media_id", "")
        if not media_id or media_id in self.expired_media:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=b"\xff\xd8\xff\xe0fake-jpeg:" + media_id.encode(), content_type="image/jpeg",
                            headers={"Content-Disposition": f'attachment; filename="{media_id}.jpg"'})

    # --- web authorisation and the JS-SDK ticket ----------------------------------------------------

    def issue_code(self, openid: str) -> str:
        """A web-authorisation code for `openid`, as WeChat hands one to the redirect_uri."""
        code = secrets.token_urlsafe(16)
        self.oauth_codes[code] = (openid, self.clock() + OAUTH_CODE_TTL_S)
        return code

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        redirect_uri = q.get("redirect_uri", "")
        if q.get("appid") != self.app_id or q.get("scope") not in ("snsapi_base", "snsapi_userinfo") \
                or not redirect_uri.startswith(("http://", "https://")):
            return web.Response(status=400, text="10003 redirect_uri or appid or scope not valid\n")
        page = AUTHORIZE_PAGE.format(redirect_uri=redirect_uri, state=q.get("state", ""))
        return web.Response(text=str(page), content_type="text/html")

    async def authorize_confirm(self, request: web.Request) -> web.Response:
        q = request.query
        redirect_uri, openid = q.get("redirect_uri", ""), q.get("openid", "").strip()[:64]
        if not redirect_uri.startswith(("http://", "https://")) or not openid:
            return web.Response(status=400, text="redirect_uri and openid expected\n")
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(redirect_uri + separator + urlencode({"code": self.issue_code(openid),
                                                                   "state": q.get("state", "")}))

    async def oauth_access_token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != self.app_id or q.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = q.get("code", "")
        if code in self.used_codes:
            return web.json_response({"errcode": 40163, "errmsg": "code been used"})
        openid, expires = self.oauth_codes.pop(code, (None, 0.0))
        if openid is None or expires < self.clock() or q.get("grant_type") != "authorization_code":
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        self.used_codes.add(code)
        return web.json_response({"access_token": secrets.token_urlsafe(24), "expires_in": 7200,
                                  "refresh_token": secrets.token_urlsafe(24), "openid": openid,
                                  "scope": "snsapi_base"})

    async def jsapi_ticket(self, request: web.Request) -> web.Response:
        refused = self._token_error(request)
        if refused:
            return self._reject(api_path(request), None, *refused)
        if request.query.get("type") != "jsapi":
            return web.json_response({"errcode": 40097, "errmsg": "invalid args"})
        self.ticket_fetches += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "ticket": secrets.token_urlsafe(32),
                                  "expires_in": 7200})


def window_from_inbound_log(db) -> Callable[[str], Awaitable[float | None]]:
    """In sandbox mode the fake learns when a resident last wrote from the bot's own inbound log."""
    from storage.outbox import last_inbound_at

    async def last_message_at(openid: str) -> float | None:
        async with db.sessions() as session:
            at = await last_inbound_at(session, "wechat", openid)
        return at.timestamp() if at else None

    return last_message_at
