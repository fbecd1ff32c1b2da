"""/h5/report (随手拍): photos, the place and one line of text become the same case the chat makes
(`backend.reports.open_case`), after the chat's duplicate check offered 我也遇到.

The form is multipart and read as a stream: the CSRF token must come first (so nothing of a forged post
is read or stored), text fields are short, at most MAX_PHOTOS photos of at most MEDIA_MAX_BYTES each,
checked by their bytes (web/h5_photos.py). Photos taken in WeChat come as JS-SDK server media ids and are
fetched like chat photos (the media keeper). The place: a shared location (JS-SDK getLocation or the
browser's) first, else the compound picked, else a photo's EXIF position; the category: the one picked,
else what the nlp reads in the text (also offered live by /h5/report/suggest).
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from backend import cases as cases_mod, reports, residents
from backend.categories import priority_of, rules_of
from backend.places import all_places, nearest
from web import h5_photos, h5_session as S, h5_texts as T
from web.dashboard import STATIC
from web.h5 import ResidentPages, ago

log = logging.getLogger(__name__)

FIELD_CHARS = 2000
TEXT_CHARS = 500
MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
STAGED = re.compile(r"[0-9a-f]{24}\.(jpg|png|gif|webp)")
EXIF_NEAR_M = 500  # a photo's position names a place only this close to it
STAGED_TTL_S = 1800
# WeChat's JS-SDK, served from here when the operator puts it there (README): no script from elsewhere
JSSDK_FILE = "jweixin-1.6.0.js"


class BadReport(ValueError):
    """The form cannot be a report; the message (Chinese) says why."""


@dataclass
class ReportForm:
    text: str = ""
    compound: str = ""
    category: str = ""
    lat: float | None = None
    lng: float | None = None
    wx_media: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)  # file names in DATA_DIR/media/h5
    exif: tuple[float, float] | None = None
    choice: str = ""
    number: str = ""
    owner: str = ""  # the openid whose uploads `staged` may name
    uploaded: list[str] = field(default_factory=list)  # files stored from this request


class ReportPages(ResidentPages):
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/h5/report", self.report_form), web.post("/h5/report", self.report),
                web.get("/h5/report/suggest", self.suggest), web.post("/h5/report/photos", self.more_photos),
                *super().routes()]

    @property
    def media_root(self) -> Path:
        return self.settings.data_dir / "media"

    async def report_form(self, request: web.Request, *, form: ReportForm | None = None, error: str = "",
                          offer: dict | None = None, status: int = 200) -> web.Response:
        session = await self.resident(request)
        async with self.db.reading() as db_session:
            places = await all_places(db_session)
        categories = sorted(self.category_names.items(), key=lambda kv: kv[1])
        form = form or ReportForm()
        return await self.page(request, "h5/report.html", session, title=T.REPORT_TITLE, nav="report", status=status,
                               form=form, error=error, offer=offer, places=[(p.id, p.name) for p in places],
                               categories=categories, mb=self.settings.media_max_bytes // (1024 * 1024),
                               staged=self._seal_staged(form.staged, session.openid), max_photos=h5_photos.MAX_PHOTOS,
                               jssdk=JSSDK_FILE if (STATIC / JSSDK_FILE).is_file() else "")

    def _seal_staged(self, names: list[str], openid: str) -> str:
        """The uploads a form carries on (after an error or the duplicate offer), for this resident only."""
        return S.seal(self.secret, "staged", {"p": names, "o": openid,
                                              "e": int(self.clock().timestamp()) + STAGED_TTL_S}) if names else ""

    def _unseal_staged(self, sealed: str, openid: str) -> list[str]:
        value = S.unseal(self.secret, "staged", sealed, self.clock().timestamp()) if sealed else None
        names = value.get("p") if value and value.get("o") == openid else []
        return [n for n in names if isinstance(n, str) and STAGED.fullmatch(n)
                and (self.media_root / "h5" / n).is_file()][:h5_photos.MAX_PHOTOS]

    # --- reading the form ----------------------------------------------------------------------------

    async def _read(self, request: web.Request, session: S.Session) -> ReportForm:
        """The multipart form, CSRF token first; photos stored as they come (raises BadReport, 403). A form
        without photos may come urlencoded (small: the application's body limit holds)."""
        if request.content_type == "application/x-www-form-urlencoded":
            posted = await self.form(request, session)
            form = ReportForm(owner=session.openid)
            for name, value in posted.items():
                self._field(form, name, str(value)[:FIELD_CHARS].strip())
            return form
        if request.content_type != "multipart/form-data":
            raise web.HTTPUnsupportedMediaType(text="multipart/form-data expected\n")
        form = ReportForm(owner=session.openid)
        try:
            await self._read_parts(await request.multipart(), session, form)
        except BadReport:
            self._discard(form.uploaded)
            raise
        except (ValueError, LookupError, UnicodeError, AssertionError, asyncio.IncompleteReadError,
                HttpProcessingError) as exc:  # a body that is not the multipart it says it is
            self._discard(form.uploaded)
            log.info("h5: a broken report form (%s)", type(exc).__name__)
            raise BadReport(T.REPORT_BROKEN) from None
        return form

    async def _read_parts(self, reader, session: S.Session, form: ReportForm) -> None:
        first = await reader.next()
        if first is None or first.name != "csrf" or not S.csrf_ok(
                self.secret, session, (await first.read(decode=True))[:256].decode("utf-8", "replace")):
            log.warning("h5: a report form without this session's CSRF token first")
            raise web.HTTPForbidden(text=T.FORM_EXPIRED)
        while (part := await reader.next()) is not None:
            if part.name == "photo" and part.filename:
                if len(form.uploaded) + len(form.staged) >= h5_photos.MAX_PHOTOS:
                    raise BadReport(T.REPORT_TOO_MANY.format(n=h5_photos.MAX_PHOTOS))
                name = await self._photo(part, form)
                if name:
                    form.uploaded.append(name)
                continue
            value = (await part.read(decode=True))[:FIELD_CHARS].decode("utf-8", "replace").replace("\x00", "").strip()
            self._field(form, part.name or "", value)
        form.staged += form.uploaded

    async def _photo(self, part, form: ReportForm) -> str | None:
        limit = self.settings.media_max_bytes
        content = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            content += chunk
            if len(content) > limit:
                raise BadReport(T.REPORT_BAD_PHOTO.format(mb=limit // (1024 * 1024)))
        if not content:
            return None
        suffix = h5_photos.photo_suffix(bytes(content[:16]))
        if suffix is None:
            raise BadReport(T.REPORT_BAD_PHOTO.format(mb=limit // (1024 * 1024)))
        if suffix == ".jpg" and form.exif is None:
            form.exif = h5_photos.exif_position(bytes(content))
        # up to MEDIA_MAX_BYTES a photo: written off the event loop, as the media keeper writes
        return (await asyncio.to_thread(h5_photos.store, self.media_root, bytes(content), suffix)).name

    def _field(self, form: ReportForm, name: str, value: str) -> None:
        if name == "text":
            form.text = value[:TEXT_CHARS]
        elif name in ("compound", "category", "choice", "number"):
            setattr(form, name, value[:32])
        elif name in ("lat", "lng"):
            try:
                number = float(value)
            except ValueError:
                return
            if abs(number) <= (90 if name == "lat" else 180):
                setattr(form, name, number)
        elif name == "wx_media" and MEDIA_ID.fullmatch(value) and len(form.wx_media) < h5_photos.MAX_PHOTOS:
            form.wx_media.append(value)
        elif name == "staged":
            form.staged += [n for n in self._unseal_staged(value, form.owner) if n not in form.staged]

    # --- deciding and making the case ----------------------------------------------------------------

    async def report(self, request: web.Request) -> web.Response:
        session = await self.resident(request)
        try:
            form = await self._read(request, session)
        except BadReport as exc:
            return await self.report_form(request, error=str(exc), status=400)
        who, now = self.who(session), self.clock()
        if not form.text:
            return await self.report_form(request, form=form, error=T.REPORT_NO_TEXT, status=400)
        async with self.db.transaction() as db_session:
            outcome = await self._decide(db_session, form, who, now)
        if isinstance(outcome, dict):
            return await self.report_form(request, form=form, status=outcome.pop("status", 200),
                                          error=outcome.get("error", ""), offer=outcome.get("offer"))
        raise web.HTTPSeeOther(outcome)

    async def _decide(self, db_session, form: ReportForm, who, now: datetime) -> dict | str:
        """The case page to go to (followed or made), or what the form page must show (an error, the offer).
        An emergency is made at once, as in the chat: no duplicate offer, a place only if known."""
        u = self.services.nlp.analyze(form.text)
        place = await self._place(db_session, form)
        if place is None and not u.urgent:
            return {"error": T.REPORT_NO_PLACE, "status": 400}
        category = self._category(form, u)
        form.compound, form.category = place or "", category.code
        duplicate = None if u.urgent else await residents.duplicate_of(db_session, place, category.code, now)
        # the resident's own open case: what they say now is added to it, as the chat's repeat offer does
        own = duplicate is not None and await cases_mod.role_of(db_session, duplicate, who) == "reporter"
        if duplicate is not None and form.choice == "follow" and form.number == duplicate.number:
            if own:
                await reports.supplement(db_session, duplicate, form.text, [], who.actor, now)
            code = "supplemented" if own else (await residents.me_too(db_session, duplicate.number, who, now)).code
            await self._attach(db_session, duplicate, form, who, now)
            return f"/h5/cases/{duplicate.number}?notice={code}"
        if duplicate is not None and form.choice != "own":
            return {"offer": {"number": duplicate.number, "own": own, "text": (
                T.REPORT_OWN_DUPLICATE if own else T.REPORT_DUPLICATE).format(
                compound=await self._compound_name(db_session, place), ago=ago(duplicate.created_at, now),
                category=self.category_names.get(category.code, category.name))}}
        case = await self._open(db_session, form, place, category, u, who, now)
        log.info("h5: 随手拍 made case %s%s", case.number, " (urgent)" if u.urgent else "")
        return f"/h5/cases/{case.number}?notice=" + ("created_urgent" if u.urgent else "created")

    async def _place(self, db_session, form: ReportForm) -> str | None:
        """The shared location's nearest place, else the one picked, else the photo's (EXIF) if close."""
        places = await all_places(db_session)
        if form.lat is not None and form.lng is not None:
            found = nearest(places, form.lat, form.lng)
            if found is not None and found[1] <= self.settings.h5_nearby_radius_m:
                return found[0].id
        if any(p.id == form.compound for p in places):
            return form.compound
        if form.exif is not None:
            found = nearest(places, *form.exif)
            if found is not None and found[1] <= EXIF_NEAR_M:
                return found[0].id
        return None

    def _category(self, form: ReportForm, u):
        taxonomy = self.services.taxonomy
        if form.category in self.category_names:
            return taxonomy.category(form.category)
        return taxonomy.category(u.category or "other")

    @staticmethod
    async def _compound_name(db_session, compound_id: str) -> str:
        found = await residents.compound(db_session, compound_id)
        return found.name if found else compound_id

    async def _open(self, db_session, form: ReportForm, place: str | None, category, u, who, now: datetime):
        new = cases_mod.NewCase(
            category=category.code, description=form.text, priority=priority_of(category), channel="wechat",
            dept_id=category.department, compound_id=place, building=u.building if u.compound in (None, place) else None,
            lat=form.lat if form.lat is not None else None, lng=form.lng if form.lat is not None else None,
            urgent=u.urgent, reporter=who,
            media=[{"kind": "image", "media_id": m, "platform": "wechat"} for m in form.wx_media])
        case, _ = await reports.open_case(db_session, new, rules_of(category), self.services.workflow_policy, now)
        await residents.add_stored_photos(db_session, case, [str(self.media_root / "h5" / n) for n in form.staged],
                                          who, now)
        return case

    async def _attach(self, db_session, case, form: ReportForm, who, now: datetime) -> None:
        """The resident's photos join the case they follow, as the chat's 我也遇到 adds them."""
        await cases_mod.add_media(db_session, case, [{"kind": "image", "media_id": m, "platform": "wechat"}
                                                     for m in form.wx_media], actor=who.actor, now=now)
        await residents.add_stored_photos(db_session, case, [str(self.media_root / "h5" / n) for n in form.staged],
                                          who, now)

    async def more_photos(self, request: web.Request) -> web.Response:
        """补充照片 on the reporter's own case page: the same upload rules as 随手拍."""
        session = await self.resident(request)
        try:
            form = await self._read(request, session)
        except BadReport as exc:
            return self.message(request, str(exc), status=400, session=session)
        who, now = self.who(session), self.clock()
        async with self.db.transaction() as db_session:
            case = await cases_mod.by_number(db_session, form.number)
            role = await cases_mod.role_of(db_session, case, who) if case else None
            if role == "reporter":
                await self._attach(db_session, case, form, who, now)
        if role != "reporter":
            self._discard(form.staged)
        if role is None:
            raise web.HTTPNotFound()
        raise web.HTTPSeeOther(f"/h5/cases/{case.number}?notice="
                               + ("photos_added" if role == "reporter" else "supplement_not_yours"))

    def _discard(self, names: list[str]) -> None:
        """Uploaded files that joined no case (not the reporter's case to add to)."""
        for name in names:
            (self.media_root / "h5" / name).unlink(missing_ok=True)

    # --- live help while typing ----------------------------------------------------------------------

    async def suggest(self, request: web.Request) -> web.Response:
        """What the nlp reads in the text so far, and a duplicate to offer 我也遇到 on (JSON for h5.js)."""
        session = await self.session_of(request)
        if session is None:
            raise web.HTTPUnauthorized(text="no session")
        text = request.query.get("text", "")[:TEXT_CHARS].strip()
        form = ReportForm(text=text, compound=request.query.get("compound", "")[:32], owner=session.openid)
        self._field(form, "lat", request.query.get("lat", ""))
        self._field(form, "lng", request.query.get("lng", ""))
        answer: dict = {}
        if text:
            u = self.services.nlp.analyze(text)
            answer = {"category": u.category, "hint": T.REPORT_SUGGESTED.format(
                name=self.category_names.get(u.category, u.category)), "compound": u.compound}
            form.compound = form.compound or u.compound or ""
        async with self.db.reading() as db_session:
            place = await self._place(db_session, form)
            if place and answer.get("category"):
                duplicate = await residents.duplicate_of(db_session, place, answer["category"], self.clock())
                if duplicate is not None:
                    answer["duplicate"] = {"number": duplicate.number,
                                           "offer": S.offer_token(self.secret, session, duplicate.number),
                                           "text": T.REPORT_DUPLICATE.format(
                        compound=await self._compound_name(db_session, place), ago=ago(duplicate.created_at, self.clock()),
                        category=self.category_names.get(duplicate.category, duplicate.category))}
        return web.json_response(answer, headers={"Cache-Control": "no-store"})
