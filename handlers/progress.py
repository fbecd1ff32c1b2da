"""Where is my case? The resident's list, one case's timeline, and 催办 (urging)."""
from __future__ import annotations

import re

from backend import cases, lifecycle, trace, workflow
from backend.clock import local
from handlers import texts as T
from handlers.intake import TEXTUAL, compound_names, reporter, taxonomy, understand
from handlers.router import Context, Filter, Router
from handlers.types import Reply, Update

CASE_NUMBER = re.compile(r"(20\d{6})\s*[-－—_]\s*(\d{4})")
MY_CASES_WORDS = re.compile(r"^(我的工单|我的反映|我的案件|工单|查进度|查询进度|进度|办理进度|查一下进度|查询)$")
URGE = re.compile(r"^(催办|催一下|催促)")

router = Router("progress")


def case_number(text: str | None) -> str | None:
    match = CASE_NUMBER.search(text or "")
    return f"{match.group(1)}-{match.group(2)}" if match else None


def wants_list(update: Update, ctx: Context) -> bool:
    text = (update.text or "").strip()
    if MY_CASES_WORDS.match(text) or (update.kind == "event" and update.event_key == "MY_CASES"):
        return True
    return TEXTUAL(update, ctx) and case_number(text) is None and understand(update, ctx).intent == "status_query"


def wants_urge(update: Update, ctx: Context) -> bool:
    return TEXTUAL(update, ctx) and bool(URGE.match((update.text or "").strip()))


def names_a_case(update: Update, ctx: Context) -> bool:
    return TEXTUAL(update, ctx) and case_number(update.text) is not None and len(update.text or "") <= 40


def reminder(ctx: Context) -> str:
    return T.DIALOG_PENDING if ctx.dialog is not None else ""


def page_link(update: Update, ctx: Context, number: str | None = None) -> str:
    """The line pointing a WeChat resident to their cases' page (or one case's) when the server has a public
    address; the page logs them in by WeChat, so the link carries nothing of theirs."""
    base = ctx.services.public_url
    if not base or update.platform != "wechat":
        return ""
    if number is None:
        return T.CASES_PAGE.format(url=f"{base.rstrip('/')}/h5/cases")
    return T.CASE_PAGE.format(url=f"{base.rstrip('/')}/h5/cases/{number}")


@router.on(Filter(wants_urge, "urge"))
async def urge(update: Update, ctx: Context) -> Reply:
    number = case_number(update.text)
    if number is None:
        return Reply(text=T.URGE_WHICH + reminder(ctx))
    case = await cases.visible_to(ctx.session, number, reporter(update))
    if case is None:
        return Reply(text=T.CASE_NOT_FOUND.format(number=number) + reminder(ctx))
    if lifecycle.transition("urge", case.status) is None:
        return Reply(text=T.URGE_CLOSED.format(number=number) + reminder(ctx))
    await workflow.urge(ctx.session, case, reporter(update), ctx.now)
    return Reply(text=T.URGED.format(number=number) + reminder(ctx))


@router.on(Filter(names_a_case, "case number"))
async def show_case(update: Update, ctx: Context) -> Reply:
    number = case_number(update.text)
    view = await trace.view_for(ctx.session, number, reporter(update))
    if view is None:
        return Reply(text=T.CASE_NOT_FOUND.format(number=number) + reminder(ctx))
    names = await compound_names(ctx)
    lines = "\n".join(T.TIMELINE_LINE.format(at=local(line.at).strftime("%m-%d %H:%M"), what=line.what,
                                             note=f"：{line.note}" if line.note else "") for line in view.lines)
    fields = dict(number=view.number, category=taxonomy(ctx).category(view.category).name, status=view.status,
                  timeline=lines)
    if view.role == "reporter":
        text = T.CASE_DETAIL.format(**fields, place=place(view, names), description=view.description[:200])
    else:
        text = T.CASE_DETAIL_PUBLIC.format(**fields, place=names.get(view.compound_id, T.NOT_GIVEN),
                                           created=local(view.created_at).strftime("%m-%d %H:%M"))
    return Reply(text=text + page_link(update, ctx, view.number) + reminder(ctx))


@router.on(Filter(wants_list, "my cases"))
async def my_cases(update: Update, ctx: Context) -> Reply:
    found = await trace.my_cases(ctx.session, reporter(update))
    if not found:
        return Reply(text=T.NO_CASES + reminder(ctx))
    names = await compound_names(ctx)
    lines = "\n".join(T.CASE_LINE.format(
        number=line.case.number, category=taxonomy(ctx).category(line.case.category).name,
        place=place(line.case, names) if line.role == "reporter" else names.get(line.case.compound_id, T.NOT_GIVEN),
        status=line.status, role=T.FOLLOWED_MARK if line.role == "follower" else "", last=line.latest)
        for line in found)
    return Reply(text=T.MY_CASES.format(n=len(found), lines=lines) + page_link(update, ctx) + reminder(ctx))


def place(case, names: dict[str, str]) -> str:
    if case.compound_id is None and case.place_text:
        return T.PLACE_TO_CHECK.format(place=case.place_text)
    name = names.get(case.compound_id, T.NOT_GIVEN)
    return f"{name}{case.building}" if case.building else name
