"""/h5/: the residents' pages inside WeChat — 我的工单 (their cases), 附近 (what neighbours reported, 我也遇到)
and 随手拍 (web/h5_report.py) — on the same backend functions as the chat.

Who may use them and how the login works: web/h5_site.py. What a resident may see of a case:
backend/residents.py (their own cases and followed ones only; a follower reads the public view, never
the reporter's words or photos; photos only from our own store). Every POST carries the session's CSRF
token. HTML from Jinja2 templates (web/templates/h5), escaped by default; the countdown's script is the
one local file web/static/h5.js, and every page works without it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from backend import cases as cases_mod, lifecycle, reports, residents, surveys, workflow
from backend.categories import rules_of
from backend.clock import local, time_text
from backend.places import distance_m
from backend.privacy import mask_text
from web import charts, h5_session as S, h5_texts as T
from web.dashboard import MAX_ID, STATIC, _media_response
from web.h5_site import ResidentSite, safe_next

log = logging.getLogger(__name__)

NUMBER_CHARS = 32
COMMENT_CHARS = 300


def ago(at: datetime, now: datetime) -> str:
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 1:
        return T.NEARBY_JUST_NOW
    if minutes < 60:
        return T.NEARBY_AGO["minutes"].format(n=minutes)
    if minutes < 48 * 60:
        return T.NEARBY_AGO["hours"].format(n=minutes // 60)
    return T.NEARBY_AGO["days"].format(n=minutes // (24 * 60))


class ResidentPages(ResidentSite):
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/h5", self.home), web.get("/h5/", self.home),
                web.get("/h5/login", self.login), web.get("/h5/auth", self.authorised),
                web.get("/h5/cases", self.case_list), web.get("/h5/cases/{number}", self.case_page),
                web.post("/h5/cases/{number}/urge", self.urge),
                web.post("/h5/cases/{number}/supplement", self.supplement),
                web.post("/h5/cases/{number}/rate", self.rate),
                web.post("/h5/cases/{number}/follow", self.follow),
                web.get("/h5/nearby", self.nearby), web.post("/h5/prefs", self.prefs), web.get("/h5/jssdk", self.jssdk),
                web.get("/h5/media/{media_id:\\d+}", self.media_file),
                web.static("/h5/static", STATIC)]

    async def home(self, request: web.Request) -> web.Response:
        await self.resident(request)
        raise web.HTTPFound("/h5/cases")

    # --- 我的工单 ----------------------------------------------------------------------------------

    async def case_list(self, request: web.Request) -> web.Response:
        session = await self.resident(request)
        async with self.db.reading() as db_session:
            found = await residents.my_cases(db_session, self.who(session))
            names = await residents.compound_names(db_session, {s.case.compound_id for s in found if s.case.compound_id})
        rows = [{"number": s.case.number, "role": T.ROLE[s.role], "status": s.status, "latest": s.latest,
                 "category": self.category_names.get(s.case.category, s.case.category),
                 "compound": names.get(s.case.compound_id, ""), "created": time_text(s.case.created_at, self.clock())}
                for s in found]
        return await self.page(request, "h5/cases.html", session, title=T.CASES_TITLE, nav="cases", rows=rows)

    def _number(self, request: web.Request) -> str:
        number = request.match_info["number"][:NUMBER_CHARS]
        if "\x00" in number:
            raise web.HTTPNotFound()
        return number

    async def case_page(self, request: web.Request) -> web.Response:
        session = await self.resident(request)
        number = self._number(request)
        now = self.clock()
        async with self.db.reading() as db_session:
            found = await residents.case_page(db_session, number, self.who(session))
        if found is None:
            log.info("h5: a resident asked for case %r, not theirs or unknown", number)
            return await self.page(request, "h5/message.html", session, title=T.NOT_FOUND, nav="cases",
                                   message=T.NOT_FOUND, status=404)
        view, case = found.view, found.case
        shown = {"status": view.status, "category": self.category_names.get(case.category, case.category),
                 "place": found.compound or (view.place_text if view.role == "reporter" else "") or "",
                 "created": local(case.created_at).strftime("%Y-%m-%d %H:%M"),
                 "officer": T.OFFICER.format(surname=found.officer_surname) if found.officer_surname else T.NO_OFFICER}
        if view.role == "reporter" and view.building and found.compound:
            shown["place"] = f"{found.compound}{view.building}"
        stage = None
        if found.stage is not None:
            stage = {"name": T.STAGE[found.stage.stage], "due": found.stage.due.isoformat(),
                     "due_text": time_text(found.stage.due, now), "late": found.stage.due <= now,
                     "left_s": max(0, int((found.stage.due - now).total_seconds()))}
        question = found.question
        rating = None
        if question is not None and question.kind == "answered":
            rating = T.RATED.format(label=T.RATINGS.get(question.survey.rating, ""))
        return await self.page(
            request, "h5/case.html", session, title=T.CASE_TITLE.format(number=case.number), nav="cases",
            number=case.number, role=view.role, shown=shown, stage=stage,
            notice=T.NOTICES.get(request.query.get("notice", ""), "").format(number=case.number),
            description=view.description if view.role == "reporter" else None,
            lines=[{"at": time_text(line.at, now), "what": line.what, "note": line.note} for line in view.lines],
            photos=found.photos, is_open=found.is_open, rating=rating,
            may_rate=question is not None and question.kind in ("survey", "push"))

    async def _acting_on(self, request: web.Request):
        session = await self.resident(request)
        return session, await self.form(request, session), self._number(request)

    async def urge(self, request: web.Request) -> web.Response:
        session, form, number = await self._acting_on(request)
        async with self.db.transaction() as db_session:
            case = await cases_mod.visible_to(db_session, number, self.who(session))
            if case is None:
                raise web.HTTPNotFound()
            if case.status not in lifecycle.UNFINISHED:
                notice = "urge_closed"
            else:
                await workflow.urge(db_session, case, self.who(session), self.clock())
                notice = "urged"
        return self._back(number, notice)

    async def supplement(self, request: web.Request) -> web.Response:
        """补充说明 by the reporter (the chat's supplement); photos go through 随手拍's upload rules."""
        session, form, number = await self._acting_on(request)
        text = str(form.get("text") or "").strip()[:reports.SUPPLEMENT_LIMIT]
        if not text:
            return self._back(number, "supplement_empty")
        async with self.db.transaction() as db_session:
            case = await cases_mod.by_number(db_session, number)
            role = await cases_mod.role_of(db_session, case, self.who(session)) if case else None
            if role is None:
                raise web.HTTPNotFound()
            if role != "reporter":
                return self._back(number, "supplement_not_yours")
            await reports.supplement(db_session, case, text, [], self.who(session).actor, self.clock())
        return self._back(number, "supplemented")

    async def rate(self, request: web.Request) -> web.Response:
        """The case's satisfaction survey, the same one the chat asks: answered once, wherever."""
        session, form, number = await self._acting_on(request)
        rating = str(form.get("rating") or "")
        if rating not in T.RATINGS:
            return self._back(number, "rate_nothing")
        comment = mask_text(str(form.get("comment") or "").strip()[:COMMENT_CHARS]) or None
        who, now = self.who(session), self.clock()
        async with self.db.transaction() as db_session:
            case = await cases_mod.visible_to(db_session, number, who)
            if case is None:
                raise web.HTTPNotFound()
            question = await surveys.question_about(db_session, case, who)
            if question is None:
                return self._back(number, "rate_nothing")
            settled = await surveys.settle(db_session, question, who, rating, comment, now)
            await workflow.after_answer(db_session, settled, comment, self._rules(case.category),
                                        self.services.workflow_policy, now, actor=who.actor)
        return self._back(number, f"rate_{settled.outcome}")

    def _rules(self, category: str):
        return rules_of(self.services.taxonomy.category(category))

    async def follow(self, request: web.Request) -> web.Response:
        """我也遇到: follow the case and count as a repeat report (the chat's duplicate offer)."""
        session, form, number = await self._acting_on(request)
        if not S.offer_ok(self.secret, session, number, form.get("offer")):
            log.warning("h5: 我也遇到 on %s without an offer shown to this session: refused", number)
            raise web.HTTPNotFound()
        async with self.db.transaction() as db_session:
            done = await residents.me_too(db_session, number, self.who(session), self.clock())
        log.info("h5: 我也遇到 on %s: %s", number, done.code)
        if done.code == "unknown":
            raise web.HTTPNotFound()
        return self._back(number, done.code)

    @staticmethod
    def _back(number: str, notice: str) -> web.Response:
        """Post/redirect/get: the page says what happened by a code from T.NOTICES (nothing personal in it)."""
        raise web.HTTPSeeOther(f"/h5/cases/{quote(number, safe='-')}?notice={notice}")

    # --- 附近 ---------------------------------------------------------------------------------------

    async def nearby(self, request: web.Request) -> web.Response:
        session = await self.resident(request)
        who, now = self.who(session), self.clock()
        lat, lng, place = _point(request.query)
        async with self.db.reading() as db_session:
            center = await residents.compound(db_session, request.query["compound"][:16]) \
                if request.query.get("compound") else None
            center = center or (await residents.where_is(db_session, who) if lat is None else None)
            if center is not None:
                lat, lng, place = center.lat, center.lng, center.name
            found = await residents.nearby(db_session, who, now, lat=lat, lng=lng,
                                           radius_m=self.settings.h5_nearby_radius_m)
            compounds, stations = await residents.map_places(db_session)
        counts: dict[str, int] = {}
        for c in found:
            if c.compound_id:
                counts[c.compound_id] = counts.get(c.compound_id, 0) + 1
        street_map = self._map(compounds, stations, counts, lat, lng)
        rows = [{"number": c.number, "category": self.category_names.get(c.category, c.category),
                 "compound": c.compound or "", "ago": ago(c.created_at, now), "reporters": c.reporters,
                 "followed": c.followed, "offer": S.offer_token(self.secret, session, c.number)} for c in found]
        return await self.page(request, "h5/nearby.html", session, title=T.NEARBY_TITLE, nav="nearby",
                               rows=rows, street_map=street_map,
                               where=place or (T.NEARBY_HERE if lat is not None else T.NEARBY_ANYWHERE),
                               days=residents.NEARBY_DAYS,
                               compounds=[(c.id, c.name) for c in compounds])

    def _map(self, compounds, stations, counts: dict[str, int], lat: float | None, lng: float | None):
        """The dashboard's server-drawn map, framed on the neighbourhood (the whole street without a point)."""
        def near(item) -> bool:
            return lat is None or distance_m(lat, lng, item.lat, item.lng) <= 1.5 * self.settings.h5_nearby_radius_m

        return charts.street_map(T.MAP_TITLE, [{"id": c.id, "name": c.name, "lat": c.lat, "lng": c.lng}
                                               for c in compounds if near(c)], counts,
                                 [{"name": s.name, "lat": s.lat, "lng": s.lng} for s in stations if near(s)],
                                 T.MAP_LEGEND)

    # --- the large-text switch and photos -----------------------------------------------------------

    async def prefs(self, request: web.Request) -> web.Response:
        session = await self.resident(request)
        form = await self.form(request, session)
        async with self.db.transaction() as db_session:
            await residents.set_large_text(db_session, self.who(session), form.get("large") == "1", self.clock())
        raise web.HTTPSeeOther(safe_next(str(form.get("next") or "")))

    async def media_file(self, request: web.Request) -> web.StreamResponse:
        """A photo from our own store, for the reporter of its case only (their own and staff's photos)."""
        session = await self.resident(request)
        media_id = int(request.match_info["media_id"])
        if media_id > MAX_ID:
            raise web.HTTPNotFound()
        async with self.db.reading() as db_session:
            path = await residents.photo_for(db_session, media_id, self.who(session))
        if path is None:
            raise web.HTTPNotFound()
        return await _media_response(path)


def _point(query) -> tuple[float | None, float | None, str | None]:
    """A shared location (?lat=&lng=) inside sensible bounds, else none."""
    try:
        lat, lng = float(query.get("lat", "")), float(query.get("lng", ""))
    except ValueError:
        return None, None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None, None
    return lat, lng, None
