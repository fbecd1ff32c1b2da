"""Personal data in the chat: a resident's 我的信息 (what the street keeps about them) and 删除我的信息
(erasure, confirmed once with 确认删除 within a few minutes); a staff member's 电话 <case number> (the
case's contact number, for its assigned officer and supervisors only, every request recorded)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from backend import audit, personal_data, staff as staff_mod
from handlers import texts as T
from handlers.intake import reporter
from handlers.router import Context, Filter, Router
from handlers.types import Reply, Update
from storage.conversation import ConversationStore

MY_DATA = re.compile(r"^\s*(?:我的信息|我的个人信息|查看我的信息)\s*$")
ERASE = re.compile(r"^\s*(?:删除我的信息|删除我的个人信息|注销我的信息)\s*$")
CONFIRM_ERASE = re.compile(r"^\s*确认删除\s*$")
REVEAL = re.compile(r"^\s*(?:电话|联系电话|查看电话)\s*(20\d{6}-\d{4})\s*$")
CONFIRM_WITHIN = timedelta(minutes=10)

router = Router("personal")


def text_matches(pattern: re.Pattern, name: str) -> Filter:
    return Filter(lambda u, c: u.kind == "text" and pattern.match(u.text or "") is not None, name)


def erase_request(update: Update, ctx: Context) -> ConversationStore:
    """The pending erasure request, kept apart from the resident's dialog so asking does not drop a draft."""
    return ConversationStore(ctx.session, f"{update.platform}#erase", update.user_id)


@router.on(text_matches(MY_DATA, "my data"))
async def my_data(update: Update, ctx: Context) -> Reply:
    kept = await personal_data.kept(ctx.session, reporter(update), ctx.now)
    policy = ctx.services.retention_policy
    return Reply(text=T.MY_DATA.format(phone=kept.phone or T.MY_DATA_NO_PHONE, reported=kept.reported,
                                       followed=kept.followed, drafts=kept.drafts, subscriptions=kept.subscriptions,
                                       messages=kept.messages, log_days=policy.log_days,
                                       media_days=policy.media_days))


@router.on(text_matches(ERASE, "erase my data"))
async def ask_erase(update: Update, ctx: Context) -> Reply:
    await erase_request(update, ctx).set("erase", {"asked_at": ctx.now.isoformat()}, ctx.now)
    return Reply(text=T.ERASE_ASK.format(minutes=int(CONFIRM_WITHIN.total_seconds() // 60)))


@router.on(text_matches(CONFIRM_ERASE, "confirm erasure"))
async def confirm_erase(update: Update, ctx: Context) -> Reply:
    asked = await erase_request(update, ctx).get()
    if asked is None or ctx.now - datetime.fromisoformat(asked.data["asked_at"]) > CONFIRM_WITHIN:
        return Reply(text=T.ERASE_NOT_ASKED)
    erased = await personal_data.erase(ctx.session, reporter(update), ctx.now)
    return Reply(text=T.ERASE_DONE.format(cases=erased.cases, photos=erased.photos, messages=erased.messages))


@router.on(text_matches(REVEAL, "reveal contact"))
async def reveal(update: Update, ctx: Context) -> Reply:
    number = REVEAL.match(update.text).group(1)
    me = ctx.staff or await staff_mod.identify(ctx.session, update.platform, update.user_id)
    if me is None:
        return Reply(text=T.REVEAL_STAFF_ONLY)
    shown = await audit.reveal_contact(ctx.session, number, me, ctx.now, via="chat")
    if not shown.ok:
        return Reply(text=T.REVEAL_REFUSED[shown.code].format(number=number))
    return Reply(text=T.REVEAL_SHOWN.format(number=shown.number, phones="、".join(shown.phones)))
