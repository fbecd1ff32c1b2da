"""/dashboard: the street's numbers, hotspots, a map and the cases, for logged-in staff.

Server-side HTML (templates/ + string.Template, every value escaped here), inline SVG charts
(web/charts.py), one local stylesheet: nothing is fetched from elsewhere, so it works offline.
Login is by staff id and password (backend/accounts.py); the session cookie is HttpOnly, SameSite=Strict,
scoped to /dashboard, Secure on HTTPS, and expires after DASHBOARD_SESSION_TTL_S.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func, select

from backend import accounts, analytics, cases as cases_mod
from backend.clock import LOCAL_TZ, local
from web import charts, dashboard_texts as T
from storage.models import Case, CaseMedia, ChargingStation, Compound, Department, Staff

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COOKIE = "gz_dash"
PAGE_SIZE = 50
HEAT_ROWS, HEAT_COLUMNS = 15, 10
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def h(value) -> str:
    """Escaped text for HTML (None -> empty)."""
    return "" if value is None else escape(str(value), quote=True)


def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return f"{hours:.1f} 小时" if hours < 48 else f"{hours / 24:.1f} 天"


def when(at: datetime | None) -> str:
    return local(at).strftime("%Y-%m-%d %H:%M") if at else ""


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ)


class Dashboard:
    def __init__(self, db, clock, *, session_ttl_s: int = 8 * 3600, cookie_secure: str = "auto",
                 category_names: dict[str, str] | None = None, targets=analytics.Targets(),
                 rule=analytics.HotspotRule()):
        self.db, self.clock = db, clock
        self.session_ttl_s, self.cookie_secure = session_ttl_s, cookie_secure
        self.category_names = category_names or {}
        self.targets, self.rule = targets, rule

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/dashboard", self.overview), web.get("/dashboard/", self.overview),
                web.get("/dashboard/login", self.login_form), web.post("/dashboard/login", self.login),
                web.post("/dashboard/logout", self.logout), web.get("/dashboard/cases", self.case_list),
                web.get("/dashboard/cases/{number}", self.case_page),
                web.get("/dashboard/media/{media_id:\\d+}", self.media_file),
                web.static("/dashboard/static", STATIC)]

    # --- sessions -------------------------------------------------------------------------------------

    async def _staff(self, request: web.Request) -> Staff | None:
        async with self.db.sessions() as session:
            return await accounts.staff_for_token(session, request.cookies.get(COOKIE), self.clock())

    def _to_login(self, request: web.Request) -> web.HTTPFound:
        return web.HTTPFound("/dashboard/login?" + urlencode({"next": request.path_qs}))

    async def login_form(self, request: web.Request, *, failed: bool = False, status: int = 200,
                         next_url: str | None = None) -> web.Response:
        next_url = next_url or request.query.get("next", "/dashboard")
        body = template("login.html").substitute(
            title=h(T.LOGIN_TITLE), staff_id=h(T.LOGIN_STAFF_ID), password=h(T.LOGIN_PASSWORD),
            submit=h(T.LOGIN_SUBMIT), hint=h(T.LOGIN_HINT), next=h(_safe_next(next_url)),
            error=f'<p class="error" role="alert">{h(T.LOGIN_FAILED)}</p>' if failed else "")
        return self._page(T.LOGIN_TITLE, body, None, status=status)

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        staff_id, password = str(form.get("staff_id", "")).strip(), str(form.get("password", ""))
        async with self.db.transaction() as session:
            staff = await accounts.authenticate(session, staff_id, password)
            token = await accounts.open_session(session, staff, self.clock(), self.session_ttl_s) if staff else None
        if staff is None:
            return await self.login_form(request, failed=True, status=401, next_url=str(form.get("next", "")))
        response = _redirect(_safe_next(str(form.get("next", "/dashboard"))))
        secure = self.cookie_secure == "on" or (self.cookie_secure == "auto" and request.secure)
        response.set_cookie(COOKIE, token, max_age=self.session_ttl_s, path="/dashboard", httponly=True,
                            samesite="Strict", secure=secure)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        async with self.db.transaction() as session:
            await accounts.close_session(session, request.cookies.get(COOKIE))
        response = _redirect("/dashboard/login")
        response.del_cookie(COOKIE, path="/dashboard")
        return response

    # --- pages ----------------------------------------------------------------------------------------

    def _page(self, title: str, body: str, staff: Staff | None, *, status: int = 200, banner: str = "") -> web.Response:
        nav = ""
        if staff is not None:
            nav = (f'<nav><a href="/dashboard">{h(T.NAV["overview"])}</a><a href="/dashboard/cases">'
                   f'{h(T.NAV["cases"])}</a><span class="who">{h(T.SIGNED_IN_AS.format(name=staff.name, staff_id=staff.id))}'
                   f'</span><form method="post" action="/dashboard/logout"><button type="submit">{h(T.NAV["logout"])}'
                   f'</button></form></nav>')
        html = template("base.html").substitute(title=h(title), site=h(T.TITLE), nav=nav, body=body,
                                                banner=f'<p class="banner">{h(banner)}</p>' if banner else "")
        return web.Response(text=html, content_type="text/html", status=status, headers=SECURITY_HEADERS)

    def _scope(self, request: web.Request) -> tuple[analytics.Scope, date, date]:
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
        scope, first, last = self._scope(request)
        now = self.clock()
        async with self.db.reading() as session:
            found = await analytics.summaries(session, scope, [None, "month"], self.targets, now)
            total, months = found[None][0], found["month"]
            cells = await analytics.hotspots(session, scope, end=min(scope.end, now), rule=self.rule,
                                             flagged_only=False)
            compounds = list((await session.execute(select(Compound).order_by(Compound.id))).scalars())
            stations = list((await session.execute(select(ChargingStation))).scalars())
            open_rows = (await session.execute(
                select(Case.compound_id, func.count()).where(Case.status.in_(cases_mod.OPEN_STATUSES))
                .group_by(Case.compound_id))).all()
            demo = (await session.execute(select(func.count()).select_from(Case)
                                          .where(Case.reporter_platform == "demo"))).scalar_one()
        names = {c.id: c.name for c in compounds}
        communities = sorted({c.community for c in compounds})
        keys = [m.key for m in months]
        cards = "".join(
            f'<div class="card"><div class="label">{h(T.CARDS[name])}</div><div class="value" id="card-{name}">'
            f'{h(value)}</div></div>' for name, value in (
                ("cases", total.cases), ("response_rate", pct(total.response_rate)),
                ("closure_rate", pct(total.closure_rate)), ("satisfaction_rate", pct(total.satisfaction_rate)),
                ("avg_handling_s", duration(total.avg_handling_s)), ("p90_handling_s", duration(total.p90_handling_s)),
                ("reopen_rate", pct(total.reopen_rate)), ("repeat_reports", total.repeat_reports)))
        sla_cards = "".join(f'<div class="card small"><div class="label">{h(T.SERIES[s])}</div>'
                            f'<div class="value">{h(pct(total.sla_compliance[s]))}</div></div>' for s in analytics.STAGES)
        rates = charts.line_chart(T.CHART_RATES, keys, {T.SERIES[k]: [getattr(m, k) for m in months] for k in
                                                        ("response_rate", "closure_rate", "satisfaction_rate")},
                                  empty=T.NO_DATA)
        sla = charts.line_chart(T.CHART_SLA, keys, {T.SERIES[s]: [m.sla_compliance[s] for m in months]
                                                    for s in analytics.STAGES}, empty=T.NO_DATA)
        volume = charts.bar_chart(T.CHART_VOLUME, keys, [m.cases for m in months], empty=T.NO_DATA)
        the_map = charts.street_map(T.MAP_TITLE, [{"id": c.id, "name": c.name, "lat": c.lat, "lng": c.lng}
                                                  for c in compounds if scope.community in (None, c.community)],
                                    {k: n for k, n in open_rows if k}, [{"name": s.name, "lat": s.lat, "lng": s.lng}
                                                                        for s in stations],
                                    (T.MAP_LEGEND_CASES, T.MAP_LEGEND_STATIONS, T.MAP_LEGEND_COMPOUNDS))
        options = "".join(f'<option value="{h(c)}"{" selected" if c == scope.community else ""}>{h(c)}</option>'
                          for c in communities)
        filters = (f'<form class="filters" method="get" action="/dashboard"><label>{h(T.SCOPE_FROM)} <input type="date" '
                   f'name="from" value="{first.isoformat()}"></label><label>{h(T.SCOPE_TO)} <input type="date" name="to" '
                   f'value="{last.isoformat()}"></label><label>{h(T.SCOPE_COMMUNITY)} <select name="community">'
                   f'<option value="">{h(T.SCOPE_ALL)}</option>{options}</select></label>'
                   f'<button type="submit">{h(T.SCOPE_APPLY)}</button></form>')
        body = (f"{filters}<section class=\"cards\">{cards}</section><section class=\"cards\">{sla_cards}</section>"
                f'<section class="charts"><figure id="chart-rates"><figcaption>{h(T.CHART_RATES)}</figcaption>{rates}'
                f'</figure><figure id="chart-sla"><figcaption>{h(T.CHART_SLA)}</figcaption>{sla}</figure>'
                f'<figure id="chart-volume"><figcaption>{h(T.CHART_VOLUME)}</figcaption>{volume}</figure></section>'
                f'{self._heat(cells, names, scope)}'
                f'<section id="map"><h2>{h(T.MAP_TITLE)}</h2>{the_map}</section>')
        return self._page(T.TITLE, body, staff, banner=T.DEMO_BANNER if demo else "")

    def _heat(self, cells: list[analytics.Cell], names: dict[str, str], scope: analytics.Scope) -> str:
        by_compound: dict[str, int] = {}
        by_category: dict[str, int] = {}
        for c in cells:
            by_compound[c.compound_id] = by_compound.get(c.compound_id, 0) + c.count
            by_category[c.category] = by_category.get(c.category, 0) + c.count
        flagged_compounds = [c.compound_id for c in cells if c.flagged]
        rows = list(dict.fromkeys(flagged_compounds + sorted(by_compound, key=lambda k: -by_compound[k])))[:HEAT_ROWS]
        columns = list(dict.fromkeys([c.category for c in cells if c.flagged]
                                     + sorted(by_category, key=lambda k: -by_category[k])))[:HEAT_COLUMNS]
        grid = {(c.compound_id, c.category): c for c in cells}
        top = max([c.count for c in cells] or [1])
        head = "".join(f"<th>{h(self.category_names.get(k, k))}</th>" for k in columns)
        body = []
        window_start = (min(scope.end, self.clock()) - timedelta(days=self.rule.window_days))
        for compound in rows:
            tds = []
            for category in columns:
                cell = grid.get((compound, category))
                n = cell.count if cell else 0
                level = 0 if n == 0 else 1 + min(4, int(5 * n / (top + 1)))
                css = f"heat{level}" + (" flagged" if cell and cell.flagged else "")
                link = "/dashboard/cases?" + urlencode({"compound": compound, "category": category,
                                                        "from": local(window_start).date().isoformat()})
                tds.append(f'<td class="{css}">' + (f'<a href="{h(link)}">{n}</a>' if n else "") + "</td>")
            body.append(f"<tr><th>{h(names.get(compound, compound))}</th>{''.join(tds)}</tr>")
        flagged = [c for c in cells if c.flagged]
        lines = "".join(
            f'<li><a href="/dashboard/cases?{h(urlencode({"compound": c.compound_id, "category": c.category, "from": local(window_start).date().isoformat()}))}">'
            + h(T.HOTSPOT_LINE.format(compound=names.get(c.compound_id, c.compound_id),
                                      category=self.category_names.get(c.category, c.category), count=c.count,
                                      trailing=c.trailing_avg, peers=c.peer_avg,
                                      reasons="、".join(T.HOTSPOT_REASONS[r] for r in c.reasons)))
            + "</a></li>" for c in flagged) or f"<li>{h(T.HOTSPOT_NONE)}</li>"
        return (f'<section id="hotspots"><h2>{h(T.HEAT_TITLE.format(days=self.rule.window_days))}</h2>'
                f'<p class="note">{h(T.HEAT_NOTE.format(windows=self.rule.trailing_windows))}</p>'
                f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
                f'<ul class="flags">{lines}</ul></section>')

    async def case_list(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        q = request.query
        page = max(1, int(q.get("page", "1")) if q.get("page", "1").isdigit() else 1)
        statement = select(Case, Compound.name, Staff.name).outerjoin(Compound, Compound.id == Case.compound_id) \
            .outerjoin(Staff, Staff.id == Case.officer_id)
        conditions = []
        for name, column in (("status", Case.status), ("compound", Case.compound_id), ("category", Case.category),
                             ("officer", Case.officer_id), ("channel", Case.channel), ("community", Compound.community)):
            if q.get(name):
                conditions.append(column == q[name])
        if q.get("number"):
            conditions.append(Case.number.contains(q["number"].strip(), autoescape=True))
        if parse_day(q.get("from")):
            conditions.append(Case.created_at >= day_start(parse_day(q["from"])))
        if parse_day(q.get("to")):
            conditions.append(Case.created_at < day_start(parse_day(q["to"]) + timedelta(days=1)))
        async with self.db.reading() as session:
            total = (await session.execute(select(func.count()).select_from(
                statement.where(*conditions).subquery()))).scalar_one()
            rows = (await session.execute(statement.where(*conditions).order_by(Case.created_at.desc(), Case.id.desc())
                                          .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).all()
            compounds = list((await session.execute(select(Compound).order_by(Compound.id))).scalars())
            officers = list((await session.execute(select(Staff).order_by(Staff.id))).scalars())
            channels = list((await session.execute(select(Case.channel).distinct())).scalars())
        from backend.privacy import mask_phone

        lines = "".join(
            f'<tr><td><a href="/dashboard/cases/{h(c.number)}">{h(c.number)}</a></td><td>{h(when(c.created_at))}</td>'
            f'<td>{h(self.category_names.get(c.category, c.category))}</td><td>{h(compound or "")}</td>'
            f'<td class="status {h(c.status)}">{h(T.STATUS.get(c.status, c.status))}</td><td>{h(officer or "")}</td>'
            f'<td>{h(c.channel)}</td><td>{h(mask_phone(c.contact_phone) or "")}</td></tr>'
            for c, compound, officer in rows)

        def select_box(name: str, pairs: list[tuple[str, str]]) -> str:
            options = "".join(f'<option value="{h(v)}"{" selected" if q.get(name) == v else ""}>{h(label)}</option>'
                              for v, label in pairs)
            return (f'<label>{h(T.FILTERS[name])} <select name="{name}"><option value="">{h(T.SCOPE_ALL)}</option>'
                    f'{options}</select></label>')

        filters = ("".join([
            select_box("status", list(T.STATUS.items())),
            select_box("community", [(c, c) for c in sorted({c.community for c in compounds})]),
            select_box("compound", [(c.id, c.name) for c in compounds]),
            select_box("category", sorted(self.category_names.items(), key=lambda kv: kv[1])),
            select_box("officer", [(s.id, f"{s.name}（{s.id}）") for s in officers]),
            select_box("channel", [(c, c) for c in sorted(channels)])])
            + f'<label>{h(T.FILTERS["from"])} <input type="date" name="from" value="{h(q.get("from", ""))}"></label>'
            + f'<label>{h(T.FILTERS["to"])} <input type="date" name="to" value="{h(q.get("to", ""))}"></label>'
            + f'<label>{h(T.FILTERS["number"])} <input type="search" name="number" value="{h(q.get("number", ""))}">'
            + f'</label><button type="submit">{h(T.SCOPE_APPLY)}</button>')
        pages = max(1, -(-total // PAGE_SIZE))
        keep = {k: v for k, v in q.items() if k != "page"}
        pager = h(T.PAGE_OF.format(page=page, total=total))
        if page > 1:
            pager = f'<a href="?{h(urlencode({**keep, "page": page - 1}))}">{h(T.PAGE_PREV)}</a> ' + pager
        if page < pages:
            pager += f' <a href="?{h(urlencode({**keep, "page": page + 1}))}">{h(T.PAGE_NEXT)}</a>'
        head = "".join(f"<th>{h(c)}</th>" for c in T.COLUMNS)
        body = (f'<h2>{h(T.CASES_TITLE)}</h2><form class="filters" method="get" action="/dashboard/cases">{filters}</form>'
                f'<table class="cases"><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>'
                f'<p class="pager">{pager}</p>')
        return self._page(T.CASES_TITLE, body, staff)

    async def media_file(self, request: web.Request) -> web.StreamResponse:
        """A photo kept in the data directory (bot/background/media.py), for logged-in staff only."""
        if await self._staff(request) is None:
            raise web.HTTPForbidden()
        async with self.db.sessions() as session:
            media = await session.get(CaseMedia, int(request.match_info["media_id"]))
        if media is None or not getattr(media, "stored_path", None):
            raise web.HTTPNotFound()
        return await _media_response(media.stored_path)

    async def case_page(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        if staff is None:
            raise self._to_login(request)
        number = request.match_info["number"]
        async with self.db.sessions() as session:
            case = await cases_mod.by_number(session, number)
            if case is None:
                return self._page(T.NOT_FOUND, f'<p>{h(T.NOT_FOUND)}</p>', staff, status=404)
            view = await cases_mod.staff_view(session, case)
            compound = await session.get(Compound, case.compound_id) if case.compound_id else None
            officer = await session.get(Staff, case.officer_id) if case.officer_id else None
            dept = await session.get(Department, case.dept_id) if case.dept_id else None
            media = list((await session.execute(select(CaseMedia).where(CaseMedia.case_id == case.id)
                                                .order_by(CaseMedia.id))).scalars())
        shown = {**view, "status": T.STATUS.get(case.status, case.status),
                 "category": self.category_names.get(case.category, case.category),
                 "compound": compound.name if compound else case.compound_id,
                 "officer": f"{officer.name}（{officer.id}）" if officer else "",
                 "dept": dept.name if dept else case.dept_id,
                 "priority": T.PRIORITY.get(case.priority, case.priority),
                 "reporter": T.ANONYMOUS if case.anonymous else view["reporter"],
                 "created_at": when(case.created_at)}
        fields = "".join(f"<dt>{h(label)}</dt><dd>{h(shown.get(key))}</dd>" for key, label in T.CASE_FIELDS.items())
        events = "".join(
            f'<li class="event {h(e["kind"])}"><time>{h(when(datetime.fromisoformat(e["at"])))}</time> '
            f'<strong>{h(T.EVENTS.get(e["kind"], e["kind"]))}</strong> <span class="actor">{h(e["actor"])}</span>'
            + (f'<div class="note">{h(e["note"])}</div>' if e["note"] else "") + "</li>" for e in view["events"])
        photos = "".join(
            (f'<figure class="photo"><a href="/dashboard/media/{m.id}"><img src="/dashboard/media/{m.id}" '
             f'alt="{h(m.kind)}" loading="lazy"></a><figcaption>{h(m.kind)} {h(when(m.added_at))}</figcaption></figure>')
            if getattr(m, "stored_path", None) and m.kind == "image" else
            (f'<figure class="photo"><a href="{h(m.url)}" rel="noreferrer"><img src="{h(m.url)}" alt="{h(m.kind)}" '
             f'loading="lazy"></a><figcaption>{h(m.kind)} {h(when(m.added_at))}</figcaption></figure>')
            if m.url and m.url.startswith(("http://", "https://")) else
            f'<figure class="photo"><figcaption>{h(m.kind)} {h(m.media_id)} {h(when(m.added_at))}</figcaption></figure>'
            for m in media) or f"<p>{h(T.NO_PHOTOS)}</p>"
        body = (f'<p><a href="/dashboard/cases">{h(T.BACK)}</a></p><h2>{h(T.CASE_TITLE.format(number=case.number))}</h2>'
                f'<dl class="case">{fields}</dl><h3>{h(T.PHOTOS)}</h3><div class="photos">{photos}</div>'
                f'<h3>{h(T.TIMELINE)}</h3><ol class="timeline">{events}</ol>')
        return self._page(T.CASE_TITLE.format(number=case.number), body, staff)


async def _media_response(path: str) -> web.StreamResponse:
    file = Path(path)
    if not file.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(file, headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, **SECURITY_HEADERS})


def _safe_next(url: str) -> str:
    """Only a path inside the dashboard (no open redirect to another site)."""
    return url if url.startswith("/dashboard") and not url.startswith("//") else "/dashboard"
