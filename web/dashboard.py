"""/dashboard: the street's numbers, hotspots, a map and the cases, for logged-in staff.

Server-side HTML (Jinja2 templates in web/templates/dashboard, escaping by default), inline SVG charts
(web/charts.py), one local stylesheet: nothing is fetched from elsewhere, so it works offline, and the
CSP lets images come only from here (`img-src 'self' data:`): photos are the ones the media keeper stored,
served with a type from an allowlist. Residents' words are masked (backend.privacy.mask_text).

Who may use it: staff with a dashboard password (backend/accounts.py), nobody else. The session cookie is
HttpOnly, SameSite=Strict, scoped to /dashboard, Secure on HTTPS (also behind a TRUSTED_PROXIES proxy that
says so), and expires after DASHBOARD_SESSION_TTL_S; `staff logout`, `staff unbind` and a new password end
it. Logins are throttled per account and per client address (5 failures, a 15-minute lock, logged), and the
password is checked on a worker thread outside any transaction. Every form that changes state (login
included) carries a CSRF token that must match the browser's `gz_csrf` cookie. A case's contact numbers are
shown unmasked only to its assigned officer and supervisors, by a button whose every use is audited.
"""
from __future__ import annotations

import hmac
import logging
import re
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from backend import accounts, analytics, audit, dashboard as queries
from backend.clock import LOCAL_TZ, local
from backend.privacy import mask_phone, mask_text
from storage.media import SERVED_TYPES
from web import charts, dashboard_texts as T
from web.templating import render, when
from web.clients import Proxies

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "gz_dash"
CSRF_COOKIE, CSRF_FIELD = "gz_csrf", "csrf"
NEW_CSRF = web.RequestKey("new_csrf", str)  # a token made for this response, set as the cookie by _page
PAGE_SIZE = 50
MAX_PAGE = 10_000
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # dates outside are a mistake, not a query
MAX_ID = 2 ** 63 - 1
UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")  # control characters, spaces and backslashes
HEAT_ROWS = 15  # compounds in the heat table: the flagged ones first, then the busiest
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return f"{hours:.1f} 小时" if hours < 48 else f"{hours / 24:.1f} 天"


class BadQuery(ValueError):
    """A query parameter no page can answer; the message (Chinese) says which and why."""


def parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise BadQuery(T.BAD_DAY.format(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
    return day


def refuse_nul(query) -> None:
    """A NUL character is in no filter of ours (and PostgreSQL cannot compare one)."""
    if any("\x00" in key or "\x00" in value for key, value in query.items()):
        raise BadQuery(T.BAD_CHARACTERS)


def parse_page(text: str | None) -> int:
    text = (text or "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise BadQuery(T.BAD_PAGE.format(most=MAX_PAGE))
    return int(text)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ)


class Dashboard:
    def __init__(self, db, clock, *, session_ttl_s: int = 8 * 3600, cookie_secure: str = "auto",
                 category_names: dict[str, str] | None = None, targets=analytics.Targets(),
                 rule=analytics.HotspotRule(), proxies: Proxies = Proxies(),
                 throttle: accounts.ThrottleRule = accounts.ThrottleRule()):
        self.db, self.clock = db, clock
        self.session_ttl_s, self.cookie_secure = session_ttl_s, cookie_secure
        self.category_names = category_names or {}
        self.targets, self.rule = targets, rule
        self.proxies, self.throttle = proxies, throttle

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/dashboard", self.overview), web.get("/dashboard/", self.overview),
                web.get("/dashboard/login", self.login_form), web.post("/dashboard/login", self.login),
                web.post("/dashboard/logout", self.logout), web.get("/dashboard/cases", self.case_list),
                web.get("/dashboard/cases/{number}", self.case_page),
                web.post("/dashboard/cases/{number}/contact", self.reveal_contact),
                web.get("/dashboard/media/{media_id:\\d+}", self.media_file),
                web.static("/dashboard/static", STATIC)]

    # --- sessions and forms ---------------------------------------------------------------------------

    async def _staff(self, request: web.Request):
        async with self.db.sessions() as session:
            return await accounts.staff_for_token(session, request.cookies.get(COOKIE), self.clock())

    def _to_login(self, request: web.Request) -> web.HTTPFound:
        return web.HTTPFound("/dashboard/login?" + urlencode({"next": request.path_qs}))

    def _secure(self, request: web.Request) -> bool:
        return self.cookie_secure == "on" or (self.cookie_secure == "auto" and self.proxies.client(request).https)

    @staticmethod
    def _csrf(request: web.Request) -> str:
        """This browser's CSRF token (its cookie), or a new one that _page sets as the cookie."""
        token = request.cookies.get(CSRF_COOKIE, "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
            token = request.get(NEW_CSRF) or secrets.token_urlsafe(32)
            request[NEW_CSRF] = token
        return token

    @staticmethod
    def _csrf_ok(request: web.Request, form) -> bool:
        cookie, sent = request.cookies.get(CSRF_COOKIE, ""), str(form.get(CSRF_FIELD, ""))
        return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())

    async def login_form(self, request: web.Request, *, error: str = "", status: int = 200,
                         next_url: str | None = None) -> web.Response:
        next_url = next_url or request.query.get("next", "/dashboard")
        return self._page(request, "dashboard/login.html", T.LOGIN_TITLE, None, status=status,
                          error=error, next=_safe_next(next_url))

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        next_url = _safe_next(str(form.get("next", "/dashboard")))
        if not self._csrf_ok(request, form):
            return await self.login_form(request, error=T.FORM_EXPIRED, status=403, next_url=next_url)
        staff_id, password = str(form.get("staff_id", "")).strip(), str(form.get("password", ""))
        client, now = self.proxies.client(request), self.clock()
        keys = accounts.throttle_keys(staff_id, client.address)
        async with self.db.sessions() as session:
            until = await accounts.locked_until(session, keys, now)
        if until is not None:
            log.warning("dashboard login refused while locked: staff id %r from %s", staff_id[:64], client.address)
            return await self._locked(request, until, next_url)
        staff = await accounts.authenticate(self.db, staff_id, password)  # scrypt on a thread, no transaction open
        if staff is None:
            async with self.db.transaction() as session:
                until = await accounts.record_failure(session, keys, now, self.throttle)
            log.warning("dashboard login failed: staff id %r from %s%s", staff_id[:64], client.address,
                        f"; locked until {until.isoformat()}" if until else "")
            if until is not None:
                return await self._locked(request, until, next_url)
            return await self.login_form(request, error=T.LOGIN_FAILED, status=401, next_url=next_url)
        async with self.db.transaction() as session:
            await accounts.clear_failures(session, keys[0])
            token = await accounts.open_session(session, staff, now, self.session_ttl_s)
        log.info("dashboard login: %s from %s", staff.id, client.address)
        response = _redirect(next_url)
        response.set_cookie(COOKIE, token, max_age=self.session_ttl_s, path="/dashboard", httponly=True,
                            samesite="Strict", secure=self._secure(request))
        return response

    async def _locked(self, request: web.Request, until: datetime, next_url: str) -> web.Response:
        return await self.login_form(request, error=T.LOGIN_LOCKED.format(until=local(until).strftime("%H:%M")),
                                     status=429, next_url=next_url)

    async def logout(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._csrf_ok(request, form):
            return self._message(request, T.FORM_EXPIRED, None, status=403)
        async with self.db.transaction() as session:
            await accounts.close_session(session, request.cookies.get(COOKIE))
        response = _redirect("/dashboard/login")
        response.del_cookie(COOKIE, path="/dashboard")
        return response

    # --- pages ----------------------------------------------------------------------------------------

    def _page(self, request: web.Request, name: str, title: str, staff, *, status: int = 200,
              banner: str = "", **context) -> web.Response:
        context = {"T": T, "title": title, "staff": staff, "banner": banner, "csrf": self._csrf(request),
                   "error": "", **context}
        response = render(request, name, context, status=status, headers=SECURITY_HEADERS)
        if request.get(NEW_CSRF):
            response.set_cookie(CSRF_COOKIE, request[NEW_CSRF], path="/dashboard", httponly=True,
                                samesite="Strict", secure=self._secure(request))
        return response

    def _message(self, request: web.Request, message: str, staff, *, status: int, back: bool = False,
                 error: bool = False) -> web.Response:
        """A page saying one thing (a refusal, a page not found)."""
        return self._page(request, "dashboard/base.html", message, staff, status=status, message=message,
                          back=back, error=error)

    def _bad_query(self, request: web.Request, staff, exc: BadQuery) -> web.Response:
        return self._message(request, T.BAD_QUERY.format(reason=exc), staff, status=400, back=True, error=True)

    def _scope(self, request: web.Request) -> tuple[analytics.Scope, date, date]:
        refuse_nul(request.query)
        today = local(self.clock()).date()
        first = parse_day(request.query.get("from")) or (today.replace(day=1) - timedelta(days=335)).replace(day=1)
        last = parse_day(request.query.get("to")) or today
        community = request.query.get("community") or None
        return analytics.Scope(start=day_start(first), end=day_start(last + timedelta(days=1)),
                               community=community), first, last

    async def overview(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        try:
            scope, first, last = self._scope(request)
        except BadQuery as exc:
            return self._bad_query(request, staff, exc)
        now = self.clock()
        async with self.db.reading() as session:
            found = await analytics.summaries(session, scope, [None, "month"], self.targets, now)
            total, months = found[None][0], found["month"]
            cells = await analytics.hotspots(session, scope, end=min(scope.end, now), rule=self.rule,
                                             flagged_only=False)
            facts = await queries.map_facts(session)
        names = {c.id: c.name for c in facts.compounds}
        keys = [m.key + (T.PARTIAL_MARK if analytics.period_end("month", m.key) > now else "") for m in months]
        cards = [("cases", total.cases), ("response_rate", pct(total.response_rate)),
                 ("closure_rate", pct(total.closure_rate)), ("satisfaction_rate", pct(total.satisfaction_rate)),
                 ("avg_handling_s", duration(total.avg_handling_s)), ("p90_handling_s", duration(total.p90_handling_s)),
                 ("reopen_rate", pct(total.reopen_rate)), ("repeat_reports", total.repeat_reports)]
        sla_cards = [(T.SERIES[s], pct(total.sla_compliance[s])) for s in analytics.STAGES]
        rates = charts.line_chart(T.CHART_RATES, keys, {T.SERIES[k]: [getattr(m, k) for m in months] for k in
                                                        ("response_rate", "closure_rate", "satisfaction_rate")},
                                  empty=T.NO_DATA)
        sla = charts.line_chart(T.CHART_SLA, keys, {T.SERIES[s]: [m.sla_compliance[s] for m in months]
                                                    for s in analytics.STAGES}, empty=T.NO_DATA)
        volume = charts.bar_chart(T.CHART_VOLUME, keys, [m.cases for m in months], empty=T.NO_DATA)
        return self._page(request, "dashboard/overview.html", T.TITLE, staff,
                          banner=T.DEMO_BANNER if facts.demo_cases else "",
                          first=first.isoformat(), last=last.isoformat(), community=scope.community,
                          communities=sorted({c.community for c in facts.compounds}), cards=cards,
                          sla_cards=sla_cards, rates=rates, sla=sla, volume=volume,
                          partial=any(T.PARTIAL_MARK in k for k in keys), heat=self._heat(cells, names, scope),
                          street_map=self._map(facts, scope))

    @staticmethod
    def _map(facts: queries.MapFacts, scope: analytics.Scope):
        return charts.street_map(T.MAP_TITLE, [{"id": c.id, "name": c.name, "lat": c.lat, "lng": c.lng}
                                               for c in facts.compounds if scope.community in (None, c.community)],
                                 facts.open_by_compound, [{"name": s.name, "lat": s.lat, "lng": s.lng}
                                                          for s in facts.stations],
                                 (T.MAP_LEGEND_CASES, T.MAP_LEGEND_STATIONS, T.MAP_LEGEND_COMPOUNDS))

    def _heat(self, cells: list[analytics.Cell], names: dict[str, str], scope: analytics.Scope) -> dict:
        """The heat table as rows of cells: flagged compounds first, then the busiest; every category with a
        case in the rows shown, busiest first."""
        by_compound: dict[str, int] = {}
        for c in cells:
            by_compound[c.compound_id] = by_compound.get(c.compound_id, 0) + c.count
        flagged_compounds = [c.compound_id for c in cells if c.flagged]
        rows = list(dict.fromkeys(flagged_compounds + sorted(by_compound, key=lambda k: -by_compound[k])))[:HEAT_ROWS]
        by_category: dict[str, int] = {}
        for c in cells:
            if c.compound_id in rows and c.count:
                by_category[c.category] = by_category.get(c.category, 0) + c.count
        columns = list(dict.fromkeys([c.category for c in cells if c.flagged]
                                     + sorted(by_category, key=lambda k: -by_category[k])))
        grid = {(c.compound_id, c.category): c for c in cells}
        top = max([c.count for c in cells] or [1])
        since = local(min(scope.end, self.clock()) - timedelta(days=self.rule.window_days)).date().isoformat()

        def link(compound: str, category: str) -> str:
            return "/dashboard/cases?" + urlencode({"compound": compound, "category": category, "from": since})

        def cell(compound: str, category: str) -> dict:
            found = grid.get((compound, category))
            n = found.count if found else 0
            level = 0 if n == 0 else 1 + min(4, int(5 * n / (top + 1)))
            return {"css": f"heat{level}" + (" flagged" if found and found.flagged else ""), "count": n,
                    "link": link(compound, category)}

        flags = [{"link": link(c.compound_id, c.category), "text": T.HOTSPOT_LINE.format(
                  compound=names.get(c.compound_id, c.compound_id),
                  category=self.category_names.get(c.category, c.category), count=c.count,
                  trailing=c.trailing_avg, peers=c.peer_avg,
                  reasons="、".join(T.HOTSPOT_REASONS[r] for r in c.reasons))} for c in cells if c.flagged]
        return {"days": self.rule.window_days, "windows": self.rule.trailing_windows, "shown": len(rows),
                "total": len(by_compound), "columns": [self.category_names.get(k, k) for k in columns],
                "rows": [{"name": names.get(r, r), "cells": [cell(r, k) for k in columns]} for r in rows],
                "flags": flags}

    async def case_list(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        q = request.query
        try:
            page, chosen = parse_page(q.get("page")), self._case_filter(q)
        except BadQuery as exc:
            return self._bad_query(request, staff, exc)
        async with self.db.reading() as session:
            total, rows = await queries.case_page(session, chosen, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            choices = await queries.filter_choices(session)
        shown = [{"number": r.case.number, "created_at": r.case.created_at,
                  "category": self.category_names.get(r.case.category, r.case.category), "compound": r.compound,
                  "status": r.case.status, "status_text": T.STATUS.get(r.case.status, r.case.status),
                  "officer": r.officer, "channel": r.case.channel, "phone": mask_phone(r.case.contact_phone)}
                 for r in rows]
        prev_link, next_link = _pager(q, page, total)
        choice_boxes = [("status", list(T.STATUS.items())),
                        ("community", [(c, c) for c in choices.communities]),
                        ("compound", [(c.id, c.name) for c in choices.compounds]),
                        ("category", sorted(self.category_names.items(), key=lambda kv: kv[1])),
                        ("officer", [(s.id, f"{s.name}（{s.id}）") for s in choices.officers]),
                        ("channel", [(c, c) for c in choices.channels])]
        return self._page(request, "dashboard/cases.html", T.CASES_TITLE, staff, q=q, choices=choice_boxes,
                          rows=shown, page=page, total=total, prev_link=prev_link, next_link=next_link)

    @staticmethod
    def _case_filter(q) -> queries.CaseFilter:
        refuse_nul(q)
        first, last = parse_day(q.get("from")), parse_day(q.get("to"))
        return queries.CaseFilter(exact={name: q.get(name) for name in queries.EXACT_FILTERS},
                                  number=(q.get("number") or "").strip()[:32] or None,
                                  start=day_start(first) if first else None,
                                  end=day_start(last + timedelta(days=1)) if last else None)

    async def media_file(self, request: web.Request) -> web.StreamResponse:
        """A photo the media keeper stored in our data directory, for logged-in staff only, served with a type
        from the allowlist (storage.media.SERVED_TYPES) and never sniffed; anything else is a 404."""
        if await self._staff(request) is None:
            raise web.HTTPForbidden()
        media_id = int(request.match_info["media_id"])
        if media_id > MAX_ID:
            raise web.HTTPNotFound()
        async with self.db.sessions() as session:
            media = await queries.stored_media(session, media_id)
        if media is None:
            raise web.HTTPNotFound()
        return await _media_response(media.stored_path)

    async def case_page(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        number = request.match_info["number"][:32]
        if "\x00" in number:
            return self._message(request, T.NOT_FOUND, staff, status=404)
        return await self._case(request, staff, number)

    async def reveal_contact(self, request: web.Request) -> web.Response:
        """The one-click reveal of a case's contact numbers: for its assigned officer and supervisors, recorded
        in the audit log either way (backend/audit.py); shown on this answer only, never kept in a URL."""
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        form = await request.post()
        if not self._csrf_ok(request, form):
            return self._message(request, T.FORM_EXPIRED, staff, status=403)
        number = request.match_info["number"][:32].replace("\x00", "")
        async with self.db.transaction() as session:
            revealed = await audit.reveal_contact(session, number, staff, self.clock(), via="dashboard")
        log.info("dashboard: %s asked for the contact of %s: %s", staff.id, revealed.number, revealed.code or "shown")
        status = 403 if revealed.code == "not_yours" else 404 if revealed.code == "unknown_case" else 200
        return await self._case(request, staff, revealed.number, revealed=revealed, status=status)

    async def _case(self, request: web.Request, staff, number: str, *, revealed: audit.Reveal | None = None,
                    status: int = 200) -> web.Response:
        async with self.db.sessions() as session:
            found = await queries.case_detail(session, number)
        if found is None:
            return self._message(request, T.NOT_FOUND, staff, status=404)
        case, view = found.case, found.view
        shown = {**view, "status": T.STATUS.get(case.status, case.status),
                 "category": self.category_names.get(case.category, case.category),
                 "compound": found.compound.name if found.compound else case.compound_id,
                 "officer": f"{found.officer.name}（{found.officer.id}）" if found.officer else "",
                 "dept": found.department.name if found.department else case.dept_id,
                 "priority": T.PRIORITY.get(case.priority, case.priority),
                 "description": mask_text(case.description),
                 "reporter": T.ANONYMOUS if case.anonymous else view["reporter"],
                 "created_at": when(case.created_at)}
        events = [{"kind": e["kind"], "at": datetime.fromisoformat(e["at"]), "actor": e["actor"],
                   "note": mask_text(e["note"]) if e["note"] else ""} for e in view["events"]]
        title = T.CASE_TITLE.format(number=case.number)
        return self._page(request, "dashboard/case.html", title, staff, status=status, number=case.number,
                          shown=shown, events=events, media=found.media, revealed=revealed,
                          may_reveal=revealed is None and audit.may_reveal(staff, case))


def _pager(q, page: int, total: int) -> tuple[str, str]:
    """The links to the previous and the next page ("" where there is none)."""
    pages = max(1, -(-total // PAGE_SIZE))
    keep = {k: v for k, v in q.items() if k != "page"}
    prev_link = "?" + urlencode({**keep, "page": page - 1}) if page > 1 else ""
    next_link = "?" + urlencode({**keep, "page": page + 1}) if page < min(pages, MAX_PAGE) else ""
    return prev_link, next_link


async def _media_response(path: str) -> web.StreamResponse:
    file = Path(path)
    content_type = SERVED_TYPES.get(file.suffix.lower())
    if content_type is None or not file.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(file, headers={"Cache-Control": "private, max-age=3600", "Content-Type": content_type,
                                           "X-Content-Type-Options": "nosniff",
                                           "Content-Security-Policy": "default-src 'none'; sandbox"})


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, **SECURITY_HEADERS})


def _safe_next(url: str) -> str:
    """Only a path inside the dashboard (no open redirect to another site, no header injection)."""
    if url.startswith("/dashboard") and not url.startswith("//") and not UNSAFE_NEXT.search(url):
        return url
    return "/dashboard"
