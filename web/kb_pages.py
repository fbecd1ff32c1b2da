"""/dashboard/kb: the street's knowledge base in the dashboard, for supervisors only.

A supervisor edits, adds and removes entries and sees what residents asked that no entry answered (masked
when asked, grouped, with counts, newest first), so the knowledge base grows from real questions: beside each
such question, naming the entry that answers it makes it one of that entry's phrasings, and the next resident
who asks it so gets the entry. An edit
commits at once and the chat's index is rebuilt on the next question (handlers/knowledge.py reads the
entries' version), so the next resident gets the new answer. Other staff get a 403 page, anyone not logged
in the login page; every form carries the dashboard's CSRF token, and every change is logged with who made
it (the entry keeps `updated_by`)."""
from __future__ import annotations

import logging
from typing import Callable

from aiohttp import web

from backend import kb
from web import dashboard_texts as T
from web.dashboard import Dashboard

log = logging.getLogger(__name__)
SUPERVISOR = "supervisor"


class KnowledgePages:
    def __init__(self, dashboard: Dashboard, on_change: Callable[[], None] = lambda: None):
        """`on_change()`: an entry was added, edited or removed here (the chat's index reads them again)."""
        self.dashboard, self.on_change = dashboard, on_change
        self.db, self.clock = dashboard.db, dashboard.clock

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/dashboard/kb", self.overview), web.post("/dashboard/kb", self.add),
                web.get("/dashboard/kb/{faq_id}", self.entry_page), web.post("/dashboard/kb/{faq_id}", self.edit),
                web.post("/dashboard/kb/{faq_id}/remove", self.remove),
                web.post("/dashboard/kb/asked/attach", self.attach)]

    async def _supervisor(self, request: web.Request):
        """The logged-in supervisor; a login redirect for nobody, a 403 page for other staff."""
        staff = await self.dashboard._staff(request)
        if staff is None:
            raise self.dashboard._to_login(request)
        if staff.role != SUPERVISOR:
            log.warning("dashboard: %s (%s) refused the knowledge base", staff.id, staff.role)
            raise _Refused(self.dashboard._message(request, T.KB_ONLY_SUPERVISORS, staff, status=403, back=True,
                                                   error=True))
        return staff

    async def overview(self, request: web.Request, *, staff=None, status: int = 200, notice: str = "",
                       error: str = "", draft: dict | None = None) -> web.Response:
        try:
            staff = staff or await self._supervisor(request)
        except _Refused as refused:
            return refused.response
        async with self.db.sessions() as session:
            entries = await kb.list_entries(session)
            asked = await kb.unanswered(session)
        return self.dashboard._page(request, "dashboard/kb.html", T.KB_TITLE, staff, status=status, entries=entries,
                                    asked=asked, notice=notice, error=error, draft=draft or {}, editing=None)

    async def entry_page(self, request: web.Request, *, staff=None, status: int = 200, notice: str = "",
                         error: str = "", draft: dict | None = None) -> web.Response:
        try:
            staff = staff or await self._supervisor(request)
        except _Refused as refused:
            return refused.response
        faq_id = request.match_info["faq_id"][:32]
        async with self.db.sessions() as session:
            entry = await kb.get_entry(session, faq_id.replace("\x00", ""))
        if entry is None:
            return self.dashboard._message(request, T.KB_REFUSED["unknown_id"].format(where=faq_id), staff,
                                           status=404, back=True, error=True)
        shown = draft or {**entry.as_json(), "keywords": "|".join(entry.keywords), "department": entry.department or "",
                          "phrasings": "\n".join(entry.phrasings or ())}
        notice = notice or T.KB_SAVED.get(request.query.get("saved", ""), "")
        return self.dashboard._page(request, "dashboard/kb_entry.html", T.KB_EDIT_TITLE.format(faq_id=entry.faq_id),
                                    staff, status=status, entry=entry, draft=shown, notice=notice, error=error)

    async def _form(self, request: web.Request):
        """(supervisor, form) of a POST with a valid CSRF token, or the refusal page."""
        staff = await self._supervisor(request)
        form = await request.post()
        if not self.dashboard._csrf_ok(request, form):
            raise _Refused(self.dashboard._message(request, T.FORM_EXPIRED, staff, status=403))
        return staff, form

    async def add(self, request: web.Request) -> web.Response:
        try:
            staff, form = await self._form(request)
        except _Refused as refused:
            return refused.response
        draft = _draft(form)
        outcome = await self._put(draft, staff, must_exist=False)
        if isinstance(outcome, kb.Refusal):
            return await self.overview(request, staff=staff, status=400, error=_refusal(outcome), draft=draft)
        return _see_other(f"/dashboard/kb/{draft['faq_id']}?saved={outcome}")

    async def edit(self, request: web.Request) -> web.Response:
        try:
            staff, form = await self._form(request)
        except _Refused as refused:
            return refused.response
        draft = {**_draft(form), "faq_id": request.match_info["faq_id"][:32]}
        outcome = await self._put(draft, staff, must_exist=True)
        if isinstance(outcome, kb.Refusal):
            status = 404 if outcome.code == "unknown_id" else 400
            return await self.entry_page(request, staff=staff, status=status, error=_refusal(outcome), draft=draft)
        return _see_other(f"/dashboard/kb/{draft['faq_id']}?saved={outcome}")

    async def _put(self, draft: dict, staff, *, must_exist: bool) -> str | kb.Refusal:
        made = kb.make_entry(draft["faq_id"], draft["question"], draft["answer"], draft["department"],
                             draft["keywords"], draft["phrasings"])
        if isinstance(made, kb.Refusal):
            return made
        async with self.db.transaction() as session:
            outcome = await kb.put_entry(session, made, self.clock(), f"staff:{staff.id}", must_exist=must_exist)
        if not isinstance(outcome, kb.Refusal):
            self.on_change()
            log.info("dashboard: %s %s knowledge-base entry %s", staff.id, outcome, made.faq_id)
        return outcome

    async def remove(self, request: web.Request) -> web.Response:
        try:
            staff, _ = await self._form(request)
        except _Refused as refused:
            return refused.response
        faq_id = request.match_info["faq_id"][:32].replace("\x00", "")
        async with self.db.transaction() as session:
            removed = await kb.remove_entry(session, faq_id)
        if not removed:
            return self.dashboard._message(request, T.KB_REFUSED["unknown_id"].format(where=faq_id), staff,
                                           status=404, back=True, error=True)
        self.on_change()
        log.info("dashboard: %s removed knowledge-base entry %s", staff.id, faq_id)
        return await self.overview(request, staff=staff, notice=T.KB_SAVED["removed"])


    async def attach(self, request: web.Request) -> web.Response:
        """An unanswered question becomes one of an entry's phrasings (the form beside it in the list)."""
        try:
            staff, form = await self._form(request)
        except _Refused as refused:
            return refused.response
        key = str(form.get("key", ""))[:64]
        faq_id = str(form.get("faq_id", "")).strip()[:32].replace("\x00", "")
        async with self.db.transaction() as session:
            outcome = await kb.attach_question(session, key, faq_id, self.clock(), f"staff:{staff.id}")
        if isinstance(outcome, kb.Refusal):
            status = 404 if outcome.code == "unknown_question" else 400
            return await self.overview(request, staff=staff, status=status, error=_refusal(outcome))
        self.on_change()
        log.info("dashboard: %s attached an unanswered question to knowledge-base entry %s", staff.id, outcome)
        return await self.overview(request, staff=staff, notice=T.KB_ATTACHED.format(faq_id=outcome))


class _Refused(Exception):
    def __init__(self, response: web.Response):
        self.response = response


def _draft(form) -> dict:
    """The entry's fields as posted; phrasings None when the form has no such field (they stay as they are)."""
    draft = {name: str(form.get(name, ""))[:4000].replace("\x00", "") for name in T.KB_FIELDS}
    if "phrasings" not in form:
        draft["phrasings"] = None
    return draft


def _refusal(refusal: kb.Refusal) -> str:
    return T.KB_REFUSED.get(refusal.code, refusal.code).format(where=refusal.where)


def _see_other(location: str) -> web.Response:
    from web.dashboard import SECURITY_HEADERS

    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})
