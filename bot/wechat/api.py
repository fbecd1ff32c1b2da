"""Our asyncio client for the WeChat official-account API: every call goes to
`{base}/cgi-bin/...` with WeChat's real paths, so tests and the sandbox point `base` at a fake.

Errors come out typed (bot/errors.py): `TransientError` (network, 5xx, -1 busy, 45009/45011 rate
limits) is worth retrying later; `PermanentError` (43004 unfollowed, 40003 bad openid, 40037 bad
template, …) is not; `OutsideWindow` (45015/45047) says a customer-service message is no longer
allowed; `AccountError` (48001 API not authorised, 40164/61004 IP not on the allow-list, a wrong
AppSecret) says the account's set-up is wrong, and the sender pauses the queue. A bad template id (40036/40037)
is one push kind's setting, not the account's: that kind's pushes fail (a staff push raises the alarm) while
customer-service messages and the other kinds go on. A token error (40001/40014/42001) makes the client invalidate the token, get a fresh one and
retry the call once.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp

from bot.api_client import IssuedToken, MediaFile, TencentAPI, TokenError, TokenSource  # noqa: F401
from bot.errors import PermanentError

log = logging.getLogger(__name__)

# the account's set-up, not the push, is wrong: every push would fail alike until an administrator fixes it
ACCOUNT_ERRORS = frozenset({40013, 40125, 40164, 41002, 41004, 48001, 61004, 89503})
CLIENT_MSG_ID_CHARS = 64
# WeChat drops a template message repeating an openid + client_msg_id for 10 minutes: a push whose call
# was cut off is sent again within that (less a margin for clocks), and arrives once
TEMPLATE_RESEND_SAFE_S = 540


def client_msg_id(key: str) -> str:
    """A push's idempotency key as WeChat's client_msg_id: the key itself when short, else a digest of it."""
    if len(key) <= CLIENT_MSG_ID_CHARS:
        return key
    return "gz-" + hashlib.sha256(key.encode()).hexdigest()[:CLIENT_MSG_ID_CHARS - 3]


class OutsideWindow(PermanentError):
    """A customer-service message is not allowed now (45015 out of 48 h, 45047 allowance used up)."""


class WeChatAPI(TencentAPI):
    """Calls for one official account. `tokens` (see bot/wechat/token.py) supplies the access token;
    `fetch_token` is what it calls to get a new one from WeChat."""

    label = "WeChat"
    token_errors = frozenset({40001, 40014, 42001})
    account_errors = ACCOUNT_ERRORS
    transient_errors = frozenset({-1, 45009, 45011, 45033, 45035})  # busy; daily quota; minute quota; rate limits
    # out of the 48 h window; out of the per-message allowance
    special_errors = {45015: OutsideWindow, 45047: OutsideWindow}

    def __init__(self, base: str, app_id: str, app_secret: str, *, http: aiohttp.ClientSession | None = None,
                 tokens: TokenSource | None = None, timeout_s: float = 10.0):
        super().__init__(base, http=http, tokens=tokens, timeout_s=timeout_s)
        self.app_id = app_id
        self.app_secret = app_secret

    # --- access token ------------------------------------------------------------------------------

    async def fetch_token(self, *, force: bool = False) -> IssuedToken:
        """Ask WeChat for an access token: /cgi-bin/stable_token (force_refresh after a refused token),
        falling back to /cgi-bin/token for this call when the stable endpoint answers 404/405 or refuses
        (a gateway's passing hiccup must not cost the shared stable token for the process's life)."""
        try:
            data = await self._request("POST", "/cgi-bin/stable_token", body={
                "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret,
                "force_refresh": force})
            return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))
        except PermanentError as exc:  # (a wrong secret or IP is an AccountError: it is not caught here)
            log.warning("stable_token failed (%s); this once from /cgi-bin/token", exc)
        data = await self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))

    # --- web authorisation and the JS-SDK (the residents' pages) -------------------------------------

    async def oauth_openid(self, code: str) -> str:
        """The openid a web-authorisation code (snsapi_base) stands for: /sns/oauth2/access_token. A code
        works once and for five minutes; WeChat refuses a used or unknown one (40029, 40163)."""
        data = await self._request("GET", "/sns/oauth2/access_token", params={
            "appid": self.app_id, "secret": self.app_secret, "code": code, "grant_type": "authorization_code"})
        openid = str(data.get("openid") or "")
        if not openid:
            raise PermanentError("no_openid", "/sns/oauth2/access_token answered without an openid")
        return openid

    async def fetch_jsapi_ticket(self, *, force: bool = False) -> IssuedToken:
        """The JS-SDK's jsapi_ticket (valid 7200 s, shared by every process like the access token)."""
        data = await self.call("GET", "/cgi-bin/ticket/getticket", params={"type": "jsapi"})
        return IssuedToken(str(data["ticket"]), int(data.get("expires_in", 7200)))

    # --- messages ----------------------------------------------------------------------------------

    async def send_text(self, openid: str, text: str, *, key: str | None = None) -> dict:
        """Customer-service text message (only within 48 h of the resident's last message)."""
        return await self.call("POST", "/cgi-bin/message/custom/send", key=key, body={
            "touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_news(self, openid: str, articles: list[dict], *, key: str | None = None) -> dict:
        """Customer-service news message; WeChat takes one article per message."""
        return await self.call("POST", "/cgi-bin/message/custom/send", key=key, body={
            "touser": openid, "msgtype": "news", "news": {"articles": [
                {"title": a.get("title", ""), "description": a.get("description", ""), "url": a.get("url", ""),
                 "picurl": a.get("image", "") or a.get("picurl", "")} for a in articles]}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, str], *, url: str | None = None,
                            key: str | None = None) -> dict:
        """Template message (模板消息), allowed outside the 48 h window. With a push's key, `client_msg_id`:
        WeChat sends one message per openid and client_msg_id within 10 minutes, so a push cut off mid-call
        can be sent again (RESEND_SAFE_S)."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id,
                                "data": {k: {"value": v} for k, v in data.items()}}
        if url:
            body["url"] = url
        if key:
            body["client_msg_id"] = client_msg_id(key)
        return await self.call("POST", "/cgi-bin/message/template/send", key=key, body=body,
                               resend_safe_s=TEMPLATE_RESEND_SAFE_S if key else 0)

    async def send_subscription(self, openid: str, template_id: str, data: dict[str, str], *,
                                url: str | None = None, key: str | None = None) -> dict:
        """Subscription message (订阅通知, bizsend), for residents who accepted that template."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id,
                                "data": {k: {"value": v} for k, v in data.items()}}
        if url:
            body["page"] = url
        return await self.call("POST", "/cgi-bin/message/subscribe/bizsend", key=key, body=body)

    # --- menu and media ----------------------------------------------------------------------------

    async def create_menu(self, menu: dict) -> dict:
        return await self.call("POST", "/cgi-bin/menu/create", body=menu)

    async def get_media(self, media_id: str) -> MediaFile:
        """Download a resident's photo/voice (WeChat keeps temporary media for 3 days)."""
        return await self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, binary=True)
