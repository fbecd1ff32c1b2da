"""Staff commands in the chat: 绑定, 待办, 接单/出发/到场/办结, 转派, 定位, 协办, 核实, 退回, 回访, 统计.

Only bound staff reach these handlers (ctx.staff, loaded by `load_staff`); a resident typing the same
words gets the resident's answer. Each command checks authorisation, then moves the case through
backend.workflow, which records the event and writes the pushes.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from backend import cases, places, staff as staff_mod, workflow, worklist
from backend.clock import deadline_text
from backend.departments import name_of, resolve_names
from handlers import texts as T
from handlers import words
from handlers.casework import policy, rules_for
from handlers.router import Context, Filter, Router, SkipHandler, kind
from handlers.types import Reply, Update
from storage.conversation import ConversationStore

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^\s*(%s|帮助)\s*(.*)$" % "|".join(words.STAFF_VERBS["cases"]), re.S)
BIND = re.compile(r"^\s*(?:%s)\s*([0-9A-Za-z]{6,16})\s*$" % "|".join(words.STAFF_VERBS["bind"]))
CASE_REF = re.compile(r"^(20\d{6}-\d{4}|\d{1,4})(?:\s+|$)(.*)$", re.S)
ATTACH_WINDOW = timedelta(minutes=10)
TODO_PAGE = 10  # cases per page of 待办
ACTIONS = {"接单": "accept", "出发": "depart", "到场": "arrive", "办结": "resolve", "转派": "reassign",
           "定位": "place", "协办": "cohandle", "核实": "verify", "退回": "return", "回访": "revisit"}

router = Router("staff")


async def load_staff(update: Update, ctx: Context) -> None:
    """Router middleware: the staff member bound to this identity, if any, as ctx.staff. Looked up only
    for what staff handlers take (command words, photos, locations): most messages are residents'."""
    if command(update, ctx) or update.kind in ("image", "location"):
        ctx.staff = await staff_mod.identify(ctx.session, update.platform, update.user_id)


def staff_context(update: Update, ctx: Context) -> ConversationStore:
    """Staff keep a small context (last location, case to attach photos to) apart from any resident dialog."""
    return ConversationStore(ctx.session, f"{update.platform}#staff", update.user_id)


def is_staff(update: Update, ctx: Context) -> bool:
    return ctx.staff is not None


def command(update: Update, ctx: Context) -> bool:
    return update.kind == "text" and COMMAND.match(update.text or "") is not None


STAFF = Filter(is_staff, "staff")


@router.on(Filter(lambda u, c: u.kind == "text" and BIND.match(u.text or "") is not None, "bind"))
async def bind(update: Update, ctx: Context) -> Reply:
    code = BIND.match(update.text).group(1)
    bound = await staff_mod.bind(ctx.session, code, update.platform, update.user_id, ctx.now)
    if bound.staff is None:
        log.warning("binding refused (%s) for %s:%s", bound.code, update.platform, update.user_id)
        return Reply(text=T.BIND_LOCKED if bound.code == "locked" else T.BIND_FAILED)
    person = bound.staff
    return Reply(text=T.BOUND.format(name=person.name, role=T.ROLE.get(person.role, person.role)))


@router.on(STAFF & Filter(command, "staff command"))
async def staff_command(update: Update, ctx: Context) -> Reply:
    verb, rest = COMMAND.match(update.text).groups()
    rest = rest.strip()
    if verb == "帮助":
        return Reply(text=T.STAFF_HELP)
    if verb == "待办":
        return Reply(text=await todo(ctx, rest))
    if verb == "统计":
        return Reply(text=await stats(ctx))
    action = ACTIONS[verb]
    case, argument, problem = await find_case(ctx, action, rest)
    if problem:
        return Reply(text=problem)
    permission = await staff_mod.may_act(ctx.session, ctx.staff, case)
    if not permission.allowed:
        log.warning("staff %s refused %s on %s: %s", ctx.staff.id, action, case.number, permission.reason)
        return Reply(text=T.REFUSED[permission.reason].format(number=case.number, verb=T.VERB[action]))
    return Reply(text=await perform(update, ctx, action, case, argument))


async def perform(update: Update, ctx: Context, action: str, case, argument: str) -> str:
    s, me, now, number = ctx.session, ctx.staff, ctx.now, case.number
    if action in ("resolve", "return", "revisit", "place") and not argument:
        return T.REFUSED["need_note"].format(verb=T.VERB[action], number=number)
    if action == "accept":
        done = await workflow.accept(s, me, case, now)
    elif action == "depart":
        done = await workflow.depart(s, me, case, now)
    elif action == "arrive":
        done = await workflow.arrive(s, me, case, now, await recent_location(update, ctx))
    elif action == "resolve":
        done = await workflow.resolve(s, me, case, argument, policy(ctx), now)
    elif action == "return":
        done = await workflow.return_case(s, me, case, argument, now)
    elif action == "revisit":
        solved = any(word in argument for word in T.SOLVED_WORDS) and "未" not in argument and "不" not in argument
        done = await workflow.revisit(s, me, case, argument, solved, rules_for(ctx, case.category), policy(ctx), now)
    elif action == "place":  # 定位 N 紫云路: a supervisor places a case its resident could only describe
        place_id = await place_named(ctx, argument)
        if place_id is None:
            return T.REFUSED["unknown_place"].format(place=argument)
        done = await workflow.place_case(s, me, case, place_id, rules_for(ctx, case.category), policy(ctx), now)
    elif action in ("reassign", "cohandle"):
        depts, unknown = await resolve_names(s, argument.split())
        if unknown or not depts:
            return T.REFUSED["unknown_dept"].format(names="、".join(unknown) or "（空）")
        if action == "reassign":
            done = await workflow.reassign(s, me, case, depts[0], rules_for(ctx, case.category), policy(ctx), now)
        else:
            done = await workflow.add_cohandlers(s, me, case, depts, rules_for(ctx, case.category), now)
    else:  # verify: a liaison signs for their department, a supervisor names the department first
        dept, opinion = me.dept_id, argument
        if me.role == "supervisor" and argument:
            first, _, remainder = argument.partition(" ")
            named, _ = await resolve_names(s, [first])
            if named:
                dept, opinion = named[0], remainder.strip() or first
        done = await workflow.verify(s, me, case, opinion or "同意", policy(ctx), now, dept_id=dept)
    if not done.ok:
        log.warning("staff %s: %s on %s refused: %s", me.id, action, number, done.code)
        return T.REFUSED[done.code].format(number=number, verb=T.VERB[action],
                                           status=T.STATUS.get(case.status, case.status))
    return await confirmation(update, ctx, action, case, done)


async def confirmation(update: Update, ctx: Context, action: str, case, done: workflow.Done) -> str:
    number = case.number
    if action == "accept":
        due = {k: deadline_text(datetime.fromisoformat(v), ctx.now) for k, v in (case.sla or {}).items()}
        return T.DONE["accept"].format(number=number, depart_by=due.get("depart", ""), arrive_by=due.get("arrive", ""))
    if action == "arrive":
        await remember(update, ctx, arrived=case.id)
        events = await cases.timeline(ctx.session, case)
        data = events[-1].data or {}
        proof = ""
        if "distance_m" in data:
            proof = (T.PROOF_OK if data["proof"] else T.PROOF_FAR).format(m=data["distance_m"])
        return T.DONE["arrive"].format(number=number, proof=proof)
    if action == "resolve":
        await remember(update, ctx, attach=case.id)
        if done.detail == "suspended":
            pending = [c.dept_id for c in await workflow.cohandlers(ctx.session, case) if c.verified_at is None]
            names = "、".join([await name_of(ctx.session, d) for d in pending])
            return T.DONE["suspended"].format(number=number, depts=names)
        return T.DONE["resolve"].format(number=number, photos="如有处置照片，请直接发送。")
    if action == "place":
        officer = await staff_mod.get(ctx.session, case.officer_id) if case.officer_id else None
        return T.DONE["place"].format(number=number, place=await workflow.place_of(ctx.session, case),
                                      officer=officer.name if officer else T.NOBODY)
    if action == "reassign":
        return T.DONE["reassign"].format(number=number, dept=await name_of(ctx.session, case.dept_id))
    if action == "cohandle":
        names = "、".join([await name_of(ctx.session, d) for d in done.detail.split(",") if d]) or "（已在协办）"
        return T.DONE["cohandle"].format(number=number, depts=names)
    if action == "verify":
        return T.DONE["verified_all" if done.detail == "resolved" else "verify"].format(number=number)
    if action == "revisit":
        return T.DONE[done.detail].format(number=number)
    return T.DONE[action].format(number=number)


async def place_named(ctx: Context, said: str) -> str | None:
    """The place a staff member names: an id, name or alias exactly, else what the nlp reads in it
    ("紫云路和徽州大道路口"); None when it names no single place."""
    exact = places.named(await places.all_places(ctx.session), said)
    return exact.id if exact else ctx.services.nlp.analyze(said).compound


async def find_case(ctx: Context, action: str, rest: str) -> tuple[object | None, str, str]:
    """(case, the rest of the command, a problem to answer instead). A short number is matched against
    the endings of the cases this person may act on; no number at all works when exactly one fits."""
    match = CASE_REF.match(rest)
    if not match:
        mine = await worklist.open_page(ctx.session, ctx.staff, per_page=1)
        if mine.total == 1 and action in ("accept", "depart", "arrive"):
            return mine.cases[0], rest, ""
        example = mine.cases[0].number if mine.cases else "20261127-0001"
        return None, rest, T.WHICH_CASE.format(verb=T.VERB[action], example=example)
    ref, argument = match.group(1), match.group(2).strip()
    if "-" in ref:
        case = await cases.by_number(ctx.session, ref)
        return (case, argument, "") if case else (None, argument, T.CASE_UNKNOWN.format(number=ref))
    candidates = await worklist.open_ending_with(ctx.session, ctx.staff, ref.zfill(4), limit=2)
    if len(candidates) == 1:
        return candidates[0], argument, ""
    if not candidates:
        return None, argument, T.CASE_UNKNOWN.format(number=ref)
    return None, argument, T.CASE_AMBIGUOUS.format(number=ref)


async def todo(ctx: Context, rest: str) -> str:
    """待办 [page]: every open case in reach, most urgent and newest first, a page at a time."""
    wanted = words.choice(rest, 10_000) if rest else 1
    found = await worklist.open_page(ctx.session, ctx.staff, page=wanted or 1, per_page=TODO_PAGE)
    if not found.total:
        return T.NO_OPEN
    places = await workflow.places_of(ctx.session, found.cases)
    lines = [todo_line(ctx, case, places[case.id]) for case in found.cases]
    more = T.TODO_MORE.format(next=found.page + 1) if found.page < found.pages else ""
    return T.TODO.format(n=found.total, page=found.page, pages=found.pages, lines="\n".join(lines), more=more)


def todo_line(ctx: Context, case, place: str) -> str:
    stage = next((s for s in workflow.STAGES if not workflow.stage_done(case, s)), None)
    due = ""
    if stage and case.sla:
        due = T.TODO_DUE.format(stage=T.VERB[stage], at=deadline_text(datetime.fromisoformat(case.sla[stage]), ctx.now))
    return T.TODO_LINE.format(number=case.number, status=T.STATUS.get(case.status, case.status),
                              category=ctx.services.taxonomy.category(case.category).name, place=place, due=due)


async def stats(ctx: Context) -> str:
    figures = await worklist.month_figures(ctx.session, ctx.staff, ctx.now)
    return T.STATS.format(name=ctx.staff.name, total=figures.total, on_time=figures.on_time,
                          resolved=figures.resolved, open=figures.open)


# --- photos and locations from staff ------------------------------------------------------

async def remember(update: Update, ctx: Context, **fields) -> None:
    store = staff_context(update, ctx)
    current = await store.get()
    data = dict(current.data) if current else {}
    data.update({k: {"case": v, "at": ctx.now.isoformat()} for k, v in fields.items()})
    await store.set("staff", data, ctx.now)


async def recent(update: Update, ctx: Context, key: str) -> dict | None:
    current = await staff_context(update, ctx).get()
    entry = (current.data if current else {}).get(key)
    if entry and ctx.now - datetime.fromisoformat(entry["at"]) <= ATTACH_WINDOW:
        return entry
    return None


async def recent_location(update: Update, ctx: Context) -> tuple[float, float] | None:
    entry = await recent(update, ctx, "location")
    return tuple(entry["case"]) if entry else None


@router.on(STAFF & kind("image"))
async def staff_photo(update: Update, ctx: Context) -> Reply | None:
    entry = await recent(update, ctx, "attach")
    case = await worklist.by_id(ctx.session, entry["case"]) if entry else None
    if case is None:  # not right after a 办结: a photo like any resident's
        raise SkipHandler
    await cases.add_media(ctx.session, case, [{"kind": "image", "media_id": update.media.media_id,
                                               "url": update.media.url, "platform": update.platform}],
                          actor=f"staff:{ctx.staff.id}", now=ctx.now)
    count = await worklist.media_count(ctx.session, case)
    return Reply(text=T.PHOTO_ATTACHED.format(number=case.number, n=count))


@router.on(STAFF & kind("location"))
async def staff_location(update: Update, ctx: Context) -> Reply:
    where = (update.location.lat, update.location.lng)
    arrived = await recent(update, ctx, "arrived")
    await remember(update, ctx, location=list(where))
    case = await worklist.by_id(ctx.session, arrived["case"]) if arrived else None
    if case is None:
        return Reply(text=T.LOCATION_NOTED)
    proof = await workflow.arrival_proof(ctx.session, case, where)
    cases.record(ctx.session, case, "arrival_proof", actor=f"staff:{ctx.staff.id}", at=ctx.now, data=proof)
    text = (T.PROOF_OK if proof and proof["proof"] else T.PROOF_FAR).format(m=proof["distance_m"]) if proof else ""
    return Reply(text=T.LOCATION_PROOF.format(number=case.number, proof=text))
