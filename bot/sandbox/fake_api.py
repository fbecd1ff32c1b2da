"""What the local fakes of Tencent's APIs (fake_wechat.py, fake_wecom.py) share: the record of accepted
pushes and refusals, and injectable faults, in code or over HTTP.

Faults: down for N seconds (HTTP 503 on every /cgi-bin/ call), an errcode for the next K calls (to one
path, or to any path but the token ones), slow answers. In code: `down_for`, `fail_next`, `slow`,
`clear_faults`; over HTTP: `POST /_sandbox/faults` with {"down_s": 60} |
{"errcode": 45009, "count": 3, "path": "/cgi-bin/…"} (count null: until cleared) | {"slow_s": 2, "count": 5} | {"clear": true}.
`GET /_sandbox/pushes?openid=…&after=N` lists the accepted pushes, `GET /_sandbox/state` sums things up.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from aiohttp import web


@dataclass
class _ErrorFault:
    errcode: int
    remaining: int | None  # None: until the faults are cleared (a setting the account's administrator fixes)
    path: str | None


@dataclass(kw_only=True)
class FakeTencentAPI:
    clock: Callable[[], float] = time.time
    pushes: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    calls: Counter = field(default_factory=Counter)
    _down_until: float = 0.0
    _errors: list[_ErrorFault] = field(default_factory=list)
    _slow: tuple[float, int | None] = (0.0, 0)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    TOKEN_PATHS: ClassVar[tuple[str, ...]] = ()  # where `fail_next` without a path does not apply

    def base_app(self) -> web.Application:
        """An application with the fault layer and the sandbox views; the fake adds its API routes."""
        app = web.Application(middlewares=[self._faults])
        app.router.add_get("/_sandbox/pushes", self.list_pushes)
        app.router.add_get("/_sandbox/state", self.state)
        app.router.add_post("/_sandbox/faults", self.set_faults)
        return app

    # --- controls ----------------------------------------------------------------------------------

    def down_for(self, seconds: float) -> None:
        """Every API call answers HTTP 503 for this long (on the fake's clock)."""
        self._down_until = self.clock() + seconds

    def fail_next(self, errcode: int, count: int | None = 1, path: str | None = None) -> None:
        """The next `count` API calls (to `path`, or to any non-token path) answer `errcode`; every one until
        `clear_faults` with count None (e.g. 48001 until the administrator authorises the API)."""
        self._errors.append(_ErrorFault(errcode, count, path))

    def slow(self, seconds: float, count: int | None = None) -> None:
        """Answer the next `count` calls (all, if None) after `seconds` of real time."""
        self._slow = (seconds, count)

    def clear_faults(self) -> None:
        self._down_until, self._errors, self._slow = 0.0, [], (0.0, 0)

    def record_push(self, request: web.Request, path: str, channel: str, openid: str | None, body: dict) -> dict:
        push = {"id": next(self._ids), "path": path, "channel": channel, "openid": openid, "body": body,
                "key": request.headers.get("X-Idempotency-Key"), "at": self.clock()}
        self.pushes.append(push)
        return push

    # --- the fault layer ---------------------------------------------------------------------------

    @web.middleware
    async def _faults(self, request: web.Request, handler):
        path = api_path(request)
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
            applies = path == fault.path if fault.path else path not in self.TOKEN_PATHS
            if applies and (fault.remaining is None or fault.remaining > 0):
                if fault.remaining is not None:
                    fault.remaining -= 1
                self._errors = [f for f in self._errors if f.remaining is None or f.remaining > 0]
                return self._reject(path, None, fault.errcode, "injected fault")
        return await handler(request)

    def _reject(self, path: str, openid: str | None, errcode: int, errmsg: str) -> web.Response:
        self.rejected.append({"path": path, "openid": openid, "errcode": errcode, "at": self.clock()})
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    # --- sandbox views -----------------------------------------------------------------------------

    async def list_pushes(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid") or request.query.get("touser")
        after = int(request.query.get("after", "0") or 0)
        return web.json_response([p for p in self.pushes
                                  if p["id"] > after and (openid is None or p["openid"] == openid)])

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
            count = spec.get("count", 1)
            self.fail_next(int(spec["errcode"]), None if count is None else int(count), spec.get("path"))
        if spec.get("slow_s"):
            self.slow(float(spec["slow_s"]), spec.get("count"))
        return web.json_response({"ok": True})


def api_path(request: web.Request) -> str:
    """The path under the fake's root, also when it is mounted as a sub-application."""
    path = request.path
    index = path.find("/cgi-bin/")
    if index >= 0:
        return path[index:]
    index = path.find("/_sandbox/")
    return path[index:] if index >= 0 else path
