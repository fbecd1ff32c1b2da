"""Our asyncio client for WeCom's API (企业微信, a self-built app): every call goes to
`{base}/cgi-bin/...` with WeCom's real paths, so tests and the sandbox point `base` at a fake.

Errors come out in the sender's terms (bot/errors.py), like the official account's client:
`TransientError` for the network, 5xx, -1 (busy) and the rate limits 45009/45033; `PermanentError` for
an invalid user (81013, 60111, also when WeCom answers 0 but lists the user as `invaliduser`) and other
refusals; a token error (40014 invalid, 41001 missing, 42001 expired) makes the client invalidate the
token, fetch a new one and retry the call once.
"""
from __future__ import annotations

import asyncio
import json
import logging

import aiohttp

from bot.errors import PermanentError, TransientError
from bot.wechat.api import IssuedToken, TokenError, TokenSource

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40014, 41001, 42001}
TRANSIENT_ERRORS = {-1, 45009, 45033}  # system busy; API rate limit; too many concurrent calls
INVALID_USER_ERRORS = {60111, 81013}  # userid not found; no valid user, party or tag
DUPLICATE_CHECK_S = 1800  # WeCom drops a repeat of the same content to the same user within this long


def error_for(errcode: int, errmsg: str, path: str) -> Exception:
    detail = f"{path}: {errmsg}"
    if errcode in TOKEN_ERRORS:
        return TokenError(str(errcode), detail)
    if errcode in TRANSIENT_ERRORS:
        return TransientError(str(errcode), detail)
    return PermanentError(str(errcode), detail)


class WeComAPI:
    """Calls for one WeCom app (corp id + the app's secret and agent id). `tokens` (a
    bot.wechat.token.SharedToken) supplies the access token; `fetch_token` is how it gets a new one."""

    def __init__(self, base: str, corp_id: str, secret: str, agent_id: int, *,
                 http: aiohttp.ClientSession | None = None, tokens: TokenSource | None = None,
                 timeout_s: float = 10.0):
        self.base = base.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http = http
        self._own_http = http is None

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def fetch_token(self, *, force: bool = False) -> IssuedToken:
        """GET /cgi-bin/gettoken with the corp id and the app's secret (WeCom has no forced refresh:
        a new token is issued once the old one is expired or refused)."""
        data = await self._request("GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id,
                                                                        "corpsecret": self.secret})
        return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))

    async def send_text(self, userid: str, text: str, *, key: str | None = None) -> dict:
        return await self.send(userid, "text", {"content": text}, key=key)

    async def send_textcard(self, userid: str, *, title: str, description: str, url: str, button: str = "详情",
                            key: str | None = None) -> dict:
        return await self.send(userid, "textcard", {"title": title, "description": description, "url": url,
                                                    "btntxt": button}, key=key)

    async def send_news(self, userid: str, articles: list[dict], *, key: str | None = None) -> dict:
        return await self.send(userid, "news", {"articles": [
            {"title": a.get("title", ""), "description": a.get("description", ""), "url": a.get("url", ""),
             "picurl": a.get("image", "") or a.get("picurl", "")} for a in articles[:8]]}, key=key)

    async def send(self, userid: str, msgtype: str, content: dict, *, key: str | None = None) -> dict:
        """POST /cgi-bin/message/send to one user of the app. WeCom answers 0 with the user listed as
        `invaliduser` when some recipients were wrong; with one recipient that is a refusal (81013)."""
        answer = await self.call("POST", "/cgi-bin/message/send", key=key, body={
            "touser": userid, "msgtype": msgtype, "agentid": self.agent_id, msgtype: content,
            "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_S})
        invalid = str(answer.get("invaliduser") or "")
        if userid in invalid.split("|"):
            raise PermanentError("81013", f"/cgi-bin/message/send: invalid user {userid}")
        return answer

    # --- plumbing ----------------------------------------------------------------------------------

    async def call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                   key: str | None = None) -> dict:
        """One authenticated call; on a refused token, one refresh and one retry."""
        if self.tokens is None:
            raise RuntimeError("WeComAPI needs a token source for authenticated calls")
        token = await self._token()
        try:
            return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                       key=key)
        except TokenError as exc:
            log.warning("WeCom access token refused on %s (%s): refreshing once", path, exc.code)
            await self.tokens.invalidate(token)
        token = await self._token()
        return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                   key=key)

    async def _token(self) -> str:
        try:
            return await self.tokens.get()
        except (TransientError, PermanentError) as exc:
            # a token we cannot get (bad secret, IP not trusted, WeCom down) is not the push's fault:
            # it waits and retries, and the log says what to fix
            raise TransientError(f"token_{exc.code}", f"cannot get a WeCom access token: {exc}") from exc

    async def _request(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                       key: str | None = None) -> dict:
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
