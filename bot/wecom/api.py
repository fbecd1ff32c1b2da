"""Our asyncio client for WeCom's API (企业微信, a self-built app): every call goes to
`{base}/cgi-bin/...` with WeCom's real paths, so tests and the sandbox point `base` at a fake.

Errors come out in the sender's terms (bot/errors.py), like the official account's client:
`TransientError` for the network, 5xx, -1 (busy) and the rate limits 45009/45033; `PermanentError` for
an invalid user (81013, 60111, also when WeCom answers 0 but lists the user as `invaliduser`) and other
refusals; a token error (40014 invalid, 41001 missing, 42001 expired) makes the client invalidate the
token, fetch a new one and retry the call once.
"""
from __future__ import annotations


import aiohttp

from bot.errors import PermanentError
from bot.api_client import IssuedToken, MediaFile, TencentAPI, TokenSource


INVALID_USER_ERRORS = {60111, 81013}  # userid not found; no valid user, party or tag
DUPLICATE_CHECK_S = 1800  # WeCom drops a repeat of the same content to the same user within this long


class WeComAPI(TencentAPI):
    """Calls for one WeCom app (corp id + the app's secret and agent id). `tokens` (a
    bot.wechat.token.SharedToken) supplies the access token; `fetch_token` is how it gets a new one."""

    label = "WeCom"
    token_errors = frozenset({40014, 41001, 42001})  # invalid, missing, expired
    transient_errors = frozenset({-1, 45009, 45033})  # system busy; API rate limit; too many concurrent calls
    # the app's set-up is wrong (the sender pauses WeCom's queue): our IP not trusted (60020), the API not
    # allowed to the app (48002), a wrong corp id, secret or agent id
    account_errors = frozenset({60020, 48002, 40013, 40001, 40056, 41004})

    def __init__(self, base: str, corp_id: str, secret: str, agent_id: int, *,
                 http: aiohttp.ClientSession | None = None, tokens: TokenSource | None = None,
                 timeout_s: float = 10.0):
        super().__init__(base, http=http, tokens=tokens, timeout_s=timeout_s)
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id

    async def fetch_token(self, *, force: bool = False) -> IssuedToken:
        """GET /cgi-bin/gettoken with the corp id and the app's secret (WeCom has no forced refresh:
        a new token is issued once the old one is expired or refused)."""
        data = await self._request("GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id,
                                                                        "corpsecret": self.secret})
        return IssuedToken(data["access_token"], int(data.get("expires_in", 7200)))

    async def get_media(self, media_id: str) -> MediaFile:
        """Download a photo, voice or video a member sent (WeCom keeps temporary media for 3 days)."""
        return await self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, binary=True)

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
