"""Our asyncio client for the WeChat official-account API: every call goes to
`{base}/cgi-bin/...` with WeChat's real paths, so tests and the sandbox point `base` at a fake.

Errors come out typed (bot/errors.py): `TransientError` (network, 5xx, -1 busy, 45009/45011 rate
limits) is worth retrying later; `PermanentError` (43004 unfollowed, 40003 bad openid, 40037 bad
template, …) is not; `OutsideWindow` (45015/45047) says a customer-service message is no longer
allowed. A token error (40001/40014/42001) makes the client invalidate the token, get a fresh one and
retry the call once.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bot.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
TRANSIENT_ERRORS = {-1, 45009, 45011, 45033, 45035}  # busy; daily quota; minute quota; rate limits
WINDOW_ERRORS = {45015, 45047}  # out of the 48 h window; out of the per-message allowance
CREDENTIAL_ERRORS = {40013, 40125, 40164, 41002, 41004, 89503}  # app id/secret/IP whitelist problems


class TokenError(TransientError):
    """WeChat refused the access token (40001 invalid, 40014 malformed, 42001 expired)."""


class OutsideWindow(PermanentError):
    """A customer-service message is not allowed now (45015 out of 48 h, 45047 allowance used up)."""


def error_for(errcode: int, errmsg: str, path: str) -> Exception:
    detail = f"{path}: {errmsg}"
    if errcode in TOKEN_ERRORS:
        return TokenError(str(errcode), detail)
    if errcode in TRANSIENT_ERRORS:
        return TransientError(str(errcode), detail)
    if errcode in WINDOW_ERRORS:
        return OutsideWindow(str(errcode), detail)
    return PermanentError(str(errcode), detail)


class TokenSource(Protocol):
    async def get(self) -> str: ...

    async def invalidate(self, token: str) -> None: ...


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class MediaFile:
    content: bytes
    content_type: str
    filename: str | None


class WeChatAPI:
    """Calls for one official account. `tokens` (see bot/wechat/token.py) supplies the access token;
    `fetch_token` is what it calls to get a new one from WeChat."""

    def __init__(self, base: str, app_id: str, app_secret: str, *, http: aiohttp.ClientSession | None = None,
                 tokens: TokenSource | None = None, timeout_s: float = 10.0):
        self.base = base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http = http
        self._own_http = http is None
        self._stable_token_missing = False

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    # --- access token ------------------------------------------------------------------------------

    async def fetch_token(self, *, force: bool = False) -> IssuedToken:
        """Ask WeChat for an access token: /cgi-bin/stable_token (force_refresh after a refused token),
        falling back to /cgi-bin/token where the stable endpoint is not available."""
        if not self._stable_token_missing:
            try:
                data = await self._request("POST", "/cgi-bin/stable_token", body={
                    "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret,
                    "force_refresh": force})
                return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))
            except PermanentError as exc:
                if exc.code.isdigit() and int(exc.code) in CREDENTIAL_ERRORS:
                    raise
                if exc.code in ("http_404", "http_405"):
                    self._stable_token_missing = True
                log.warning("stable_token failed (%s); falling back to /cgi-bin/token", exc)
        data = await self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))

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
        """Template message (模板消息), allowed outside the 48 h window."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id,
                                "data": {k: {"value": v} for k, v in data.items()}}
        if url:
            body["url"] = url
        return await self.call("POST", "/cgi-bin/message/template/send", key=key, body=body)

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

    # --- plumbing ----------------------------------------------------------------------------------

    async def call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                   key: str | None = None, binary: bool = False) -> Any:
        """One authenticated call; on a refused token, one refresh and one retry."""
        if self.tokens is None:
            raise RuntimeError("WeChatAPI needs a token source for authenticated calls")
        token = await self._token()
        try:
            return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                       key=key, binary=binary)
        except TokenError as exc:
            log.warning("access token refused on %s (%s): refreshing once", path, exc.code)
            await self.tokens.invalidate(token)
        token = await self._token()
        return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                   key=key, binary=binary)

    async def _token(self) -> str:
        try:
            return await self.tokens.get()
        except (TransientError, PermanentError) as exc:
            # A token we cannot get (bad secret, IP not whitelisted, WeChat down) is not the push's
            # fault: it waits and retries, and the log says loudly what to fix.
            raise TransientError(f"token_{exc.code}", f"cannot get an access token: {exc}") from exc

    async def _request(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                       key: str | None = None, binary: bool = False) -> Any:
        headers = {"X-Idempotency-Key": key} if key else {}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            async with self.http.request(method, self.base + path, params=params, data=data, headers=headers,
                                         timeout=self.timeout) as response:
                if response.status >= 500:
                    raise TransientError(f"http_{response.status}", f"{path}: server error")
                if response.status >= 400:
                    raise PermanentError(f"http_{response.status}", f"{path}: refused")
                raw = await response.read()
                content_type = response.headers.get("Content-Type", "")
                if binary and not content_type.startswith(("application/json", "text/")):
                    return MediaFile(raw, content_type, _filename(response.headers.get("Content-Disposition")))
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
            raise TransientError("network", f"{path}: {type(exc).__name__}: {exc}") from exc
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TransientError("bad_response", f"{path}: not JSON") from None
        errcode = int(answer.get("errcode", 0) or 0)
        if errcode:
            raise error_for(errcode, str(answer.get("errmsg", "")), path)
        return answer


def _filename(disposition: str | None) -> str | None:
    if disposition and "filename=" in disposition:
        return disposition.split("filename=", 1)[1].strip('"; ')
    return None
