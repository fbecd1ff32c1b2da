"""The plumbing WeChat's and WeCom's JSON APIs share: one aiohttp session, the access token from a
shared TokenSource, one refresh and one retry when the token is refused, and errcodes mapped to
transient / permanent / token errors (each platform's subclass says which codes are which)."""
from __future__ import annotations

import asyncio
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bot.errors import AccountError, PermanentError, TransientError
from bot.background.outbox import send_starting

log = logging.getLogger(__name__)

# the most bytes a binary download (a resident's media) may have; set by the media keeper around its calls
download_limit: ContextVar[int | None] = ContextVar("download_limit", default=None)


class TokenError(TransientError):
    """The platform refused the access token (invalid, malformed or expired)."""


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


class TencentAPI:
    """One account's calls under `base`. Subclasses name the platform (`label`) and sort its errcodes:
    `token_errors` (refresh the token and retry once), `transient_errors` (the push is retried later),
    `special_errors` (errcode -> a PermanentError subclass the caller acts on), `account_errors` (the
    account's set-up is wrong: the sender pauses the platform); anything else is a refusal."""

    label = "API"
    token_errors: frozenset[int] = frozenset()
    transient_errors: frozenset[int] = frozenset()
    special_errors: dict[int, type[PermanentError]] = {}
    account_errors: frozenset[int] = frozenset()

    def __init__(self, base: str, *, http: aiohttp.ClientSession | None = None, tokens: TokenSource | None = None,
                 timeout_s: float = 10.0):
        self.base = base.rstrip("/")
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http = http
        self._own_http = http is None

    @classmethod
    def error_for(cls, errcode: int, errmsg: str, path: str) -> Exception:
        detail = f"{path}: {errmsg}"
        if errcode in cls.token_errors:
            return TokenError(str(errcode), detail)
        if errcode in cls.transient_errors:
            return TransientError(str(errcode), detail)
        if errcode in cls.account_errors:
            return AccountError(str(errcode), detail)
        return cls.special_errors.get(errcode, PermanentError)(str(errcode), detail)

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                   key: str | None = None, binary: bool = False, resend_safe_s: float = 0) -> Any:
        """One authenticated call; on a refused token, one refresh and one retry. `resend_safe_s`: the
        platform drops a repeat of this push for that long (it may be sent again if cut off mid-call)."""
        if self.tokens is None:
            raise RuntimeError(f"{type(self).__name__} needs a token source for authenticated calls")
        token = await self._token()
        try:
            return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                       key=key, binary=binary, resend_safe_s=resend_safe_s)
        except TokenError as exc:
            log.warning("%s access token refused on %s (%s): refreshing once", self.label, path, exc.code)
            await self.tokens.invalidate(token)
        token = await self._token()
        return await self._request(method, path, body=body, params={**(params or {}), "access_token": token},
                                   key=key, binary=binary, resend_safe_s=resend_safe_s)

    async def _token(self) -> str:
        try:
            return await self.tokens.get()
        except (TransientError, PermanentError, AccountError) as exc:
            # A token we cannot get is not the push's fault: a set-up error (bad secret, IP not on the
            # allow-list) pauses the platform, anything else (the platform down) waits and retries.
            error = AccountError if isinstance(exc, AccountError) else TransientError
            raise error(f"token_{exc.code}", f"cannot get a {self.label} access token: {exc}") from exc

    async def _request(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
                       key: str | None = None, binary: bool = False, resend_safe_s: float = 0) -> Any:
        headers = {"X-Idempotency-Key": key} if key else {}
        if key:  # a push: the outbox notes that its delivery starts now (bot/background/outbox.py)
            await send_starting(resend_safe_s)
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
                raw = await _read(response, download_limit.get() if binary else None, path)
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
            raise self.error_for(errcode, str(answer.get("errmsg", "")), path)
        return answer


async def _read(response: aiohttp.ClientResponse, limit: int | None, path: str) -> bytes:
    """The body, or a PermanentError as soon as it is known to be over `limit` (never read whole)."""
    if limit is None:
        return await response.read()
    if (response.content_length or 0) > limit:
        raise PermanentError("too_large", f"{path}: {response.content_length} bytes, over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PermanentError("too_large", f"{path}: over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(disposition: str | None) -> str | None:
    if disposition and "filename=" in disposition:
        return disposition.split("filename=", 1)[1].strip('"; ')
    return None
