"""What every residents' page (/h5/) shares: who the resident is, how a page is sent, and the login by
WeChat web authorisation.

Who may use these pages: a WeChat identity that web authorisation (snsapi_base) proved in this browser, and
only for what that identity reported or follows (backend/residents.py). The login: a page without a
session, opened inside WeChat, goes to `{WECHAT_OAUTH_BASE}/connect/oauth2/authorize` with a `state` bound
to this browser (web/h5_session.py); WeChat comes back to /h5/auth with a code that
`{WECHAT_API_BASE}/sns/oauth2/access_token` turns into the openid, once, and a session opens on the server
(backend/resident_sessions.py; the cookie holds only a random token). Opened outside WeChat the page
says how to open it (in sandbox mode, where the fake WeChat API plays the authorisation, it also links to
the fake's login: never in production). The session cookie is HttpOnly, SameSite=Lax (the pushes' links
are top-level navigations from WeChat), scoped to /h5, Secure on HTTPS; the session ends after
H5_SESSION_TTL_S, or at once when the resident erases their data.
Every POST carries the session's CSRF token; pages carry the dashboard's CSP.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_jinja2 import render_string
from multidict import MultiDict

from backend import resident_sessions, residents
from backend.cases import Reporter
from bot.config import Settings
from bot.errors import DeliveryError
from web import h5_session as S, h5_texts as T
from web.clients import Proxies
from web.dashboard import SECURITY_HEADERS, UNSAFE_NEXT
from web.templating import render

log = logging.getLogger(__name__)

SESSION_COOKIE, LOGIN_COOKIE = "gz_h5", "gz_h5_login"
PLATFORM = "wechat"
WECHAT_AGENT = "MicroMessenger"


def safe_next(path: str | None) -> str:
    """Only a page of ours under /h5/ (no open redirect, no header injection)."""
    path = path or ""
    if path.startswith("/h5/") and not path.startswith("//") and not UNSAFE_NEXT.search(path):
        return path
    return "/h5/cases"


def session_secret(settings: Settings) -> bytes:
    """H5_SESSION_SECRET, else one derived from the AppSecret (the same in every process). With neither,
    nobody can log in (the code exchange needs the AppSecret) and a random key makes sure nobody can make a
    session either: a key derived from public values alone could be recomputed by anyone."""
    if settings.h5_session_secret:
        return settings.h5_session_secret.encode()
    if settings.wechat_app_secret:
        return S.derive_secret(settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_aes_key)
    return secrets.token_bytes(32)


class ResidentSite:
    """The session, page and login machinery the residents' pages share."""

    def __init__(self, db, clock: Callable[[], datetime], settings: Settings, services: Any, *,
                 category_names: dict[str, str], proxies: Proxies = Proxies(), api=None):
        self.db, self.clock, self.settings, self.services = db, clock, settings, services
        self.category_names, self.proxies = category_names, proxies
        self.sandbox = bool(settings.extra.get("sandbox"))
        self.secret = session_secret(settings)
        self.api = api  # a WeChatAPI (bot/wechat/api.py); made on first use when not given
        self.ticket = None  # the JS-SDK's shared jsapi_ticket, made on first use

    # --- who is asking ---------------------------------------------------------------------------

    async def session_of(self, request: web.Request) -> S.Session | None:
        """The live login this browser's cookie stands for (kept on the server: backend/resident_sessions.py)."""
        async with self.db.sessions() as db_session:
            login = await resident_sessions.login_for(db_session, request.cookies.get(SESSION_COOKIE), self.clock())
        if login is None or login.platform != PLATFORM:
            return None
        return S.Session(login.user_id, int(login.expires_at.timestamp()), login.nonce)

    @staticmethod
    def who(session: S.Session) -> Reporter:
        return Reporter(PLATFORM, session.openid)

    async def resident(self, request: web.Request) -> S.Session:
        """The logged-in resident, or the way to log in (raised): WeChat's authorisation inside WeChat, a
        page saying how to open the page elsewhere."""
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.query.items()):
            raise web.HTTPBadRequest(text=T.BAD_CHARACTERS, headers=SECURITY_HEADERS)
        session = await self.session_of(request)
        if session is not None:
            return session
        if WECHAT_AGENT in request.headers.get("User-Agent", ""):
            raise self.to_authorisation(request, request.path_qs)
        raise web.HTTPUnauthorized(text=await self._outside(request), content_type="text/html",
                                   headers=SECURITY_HEADERS)

    async def _outside(self, request: web.Request) -> str:
        return render_string("h5/outside.html", request, {
            "T": T, "title": T.OUTSIDE_TITLE, "large": False, "nav": None, "csrf": "",
            "sandbox_login": "/h5/login?" + urlencode({"next": safe_next(request.path_qs)}) if self.sandbox else ""})

    def _secure(self, request: web.Request) -> bool:
        mode = self.settings.dashboard_cookie_secure
        return mode == "on" or (mode == "auto" and self.proxies.client(request).https)

    def _base_url(self, request: web.Request) -> str:
        if self.settings.public_url:
            return self.settings.public_url
        scheme = "https" if self.proxies.client(request).https else "http"
        return f"{scheme}://{request.host}"

    def to_authorisation(self, request: web.Request, next_path: str) -> web.HTTPFound:
        """The redirect to WeChat's authorisation page, with this browser's login state set."""
        state, cookie = S.start_login(self.secret, safe_next(next_path), self.clock().timestamp())
        query = urlencode({"appid": self.settings.wechat_app_id or "", "redirect_uri": self._base_url(request) + "/h5/auth",
                           "response_type": "code", "scope": "snsapi_base", "state": state})
        found = web.HTTPFound(f"{self.settings.wechat_oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect",
                              headers=SECURITY_HEADERS)
        found.set_cookie(LOGIN_COOKIE, cookie, max_age=S.LOGIN_TTL_S, path="/h5", httponly=True, samesite="Lax",
                         secure=self._secure(request))
        return found

    # --- the login ---------------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        """/h5/login: start the authorisation (the link outside WeChat in sandbox mode, the menu's way in)."""
        raise self.to_authorisation(request, request.query.get("next", "/h5/cases"))

    async def authorised(self, request: web.Request) -> web.Response:
        """/h5/auth?code&state: WeChat's answer. The code becomes the openid once; the session starts."""
        now = self.clock().timestamp()
        next_path = S.finish_login(self.secret, request.cookies.get(LOGIN_COOKIE), request.query.get("state"), now)
        code = request.query.get("code", "")
        if next_path is None or not code or len(code) > 128:
            log.warning("h5 login refused: state missing or not this browser's, from %s",
                        self.proxies.client(request).address)
            return self.message(request, T.LOGIN_FAILED, status=403)
        try:
            openid = await self._api().oauth_openid(code)
        except DeliveryError as exc:
            log.warning("h5 login: WeChat did not take the code: %s", exc)
            return self.message(request, T.LOGIN_FAILED, status=403)
        async with self.db.transaction() as db_session:
            token = await resident_sessions.open_session(db_session, PLATFORM, openid, self.clock(),
                                                         self.settings.h5_session_ttl_s)
        response = web.HTTPFound(next_path, headers=SECURITY_HEADERS)
        response.set_cookie(SESSION_COOKIE, token, max_age=self.settings.h5_session_ttl_s, path="/h5", httponly=True,
                            samesite="Lax", secure=self._secure(request))
        response.del_cookie(LOGIN_COOKIE, path="/h5")
        log.info("h5 login from %s", self.proxies.client(request).address)
        raise response

    def _api(self):
        if self.api is None:
            from bot.background.outbox import process_id
            from bot.background.workers import wechat_client

            self.api = wechat_client(self.settings, self.db, clock=self.clock, owner=process_id())
        return self.api

    def _ticket(self):
        """The jsapi_ticket, shared by every process through the database like the access token."""
        if self.ticket is None:
            from bot.background.outbox import process_id
            from bot.wechat.token import SharedToken

            api = self._api()
            self.ticket = SharedToken(self.db, f"wechat-jsapi:{self.settings.wechat_app_id}", api.fetch_jsapi_ticket,
                                      clock=self.clock, owner=process_id(),
                                      refresh_ahead_s=self.settings.token_refresh_ahead_s)
        return self.ticket

    async def jssdk(self, request: web.Request) -> web.Response:
        """wx.config for one of our pages (JSON): the URL must be ours, so nobody gets a signature for theirs."""
        if await self.session_of(request) is None:
            raise web.HTTPUnauthorized(text="no session\n")
        url = request.query.get("url", "")
        if not url.startswith(self._base_url(request) + "/h5/") or len(url) > 1024:
            raise web.HTTPBadRequest(text="url must be one of this site's /h5/ pages\n")
        try:
            ticket = await self._ticket().get()
        except DeliveryError as exc:
            log.warning("h5: no jsapi_ticket: %s", exc)
            raise web.HTTPServiceUnavailable(text="JS-SDK not available now\n") from None
        nonce, timestamp = secrets.token_urlsafe(12), int(self.clock().timestamp())
        return web.json_response({"appId": self.settings.wechat_app_id, "timestamp": timestamp, "nonceStr": nonce,
                                  "signature": S.jsapi_signature(ticket, nonce, timestamp, url)},
                                 headers={"Cache-Control": "no-store"})

    async def close(self, app: web.Application) -> None:
        if self.api is not None:
            await self.api.close()

    # --- pages -------------------------------------------------------------------------------------

    async def page(self, request: web.Request, name: str, session: S.Session, *, title: str, nav: str | None,
                   status: int = 200, **context) -> web.Response:
        async with self.db.sessions() as db_session:
            large = await residents.large_text(db_session, self.who(session))
        return render(request, name, {"T": T, "title": title, "nav": nav, "large": large,
                                      "csrf": S.csrf_token(self.secret, session), "here": request.path_qs,
                                      **context}, status=status, headers=SECURITY_HEADERS)

    def message(self, request: web.Request, text: str, *, status: int, session: S.Session | None = None) -> web.Response:
        return render(request, "h5/message.html", {
            "T": T, "title": text, "nav": None, "large": False, "message": text,
            "csrf": S.csrf_token(self.secret, session) if session else ""}, status=status, headers=SECURITY_HEADERS)

    async def form(self, request: web.Request, session: S.Session):
        """The POSTed form, if it carries this session's CSRF token; else a 403 (raised)."""
        form = await request.post()
        if not S.csrf_ok(self.secret, session, form.get("csrf")):
            log.warning("h5: a form without this session's CSRF token on %s", request.path)
            raise web.HTTPForbidden(text=T.FORM_EXPIRED, headers=SECURITY_HEADERS)
        # a NUL character is in no answer of ours (and PostgreSQL cannot store one)
        return MultiDict((k, str(v).replace("\x00", "")) for k, v in form.items() if isinstance(v, str))
