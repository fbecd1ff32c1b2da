"""绑定手机: a resident proves a phone number with an SMS code, so cases reported with that number on other
channels (the 12345 hotline, through Open311) show up under 我的工单 (backend.phones, backend.cases)."""
from __future__ import annotations

import re

from backend import phones
from backend.privacy import mask_phone
from handlers import texts as T
from handlers.intake import reporter
from handlers.router import Context, Filter, Router
from handlers.types import Reply, Update

BIND_PHONE = re.compile(r"^\s*绑定(?:手机|手机号|手机号码|电话)\s*[:：]?\s*([+\d][\d\s-]{0,24})?\s*$")
CODE = re.compile(r"^\s*验证码\s*[:：]?\s*(\d{4,8})\s*$")
UNBIND_PHONE = re.compile(r"^\s*(解绑手机|解除手机绑定|解绑手机号)\s*$")

router = Router("phone")


def text_matches(pattern: re.Pattern, name: str) -> Filter:
    return Filter(lambda u, c: u.kind == "text" and pattern.match(u.text or "") is not None, name)


@router.on(text_matches(BIND_PHONE, "bind phone"))
async def bind_phone(update: Update, ctx: Context) -> Reply:
    number = (BIND_PHONE.match(update.text).group(1) or "").strip()
    if not number:
        return Reply(text=T.PHONE_HOW)
    outcome = await phones.request_code(ctx.session, reporter(update), number, ctx.now)
    if outcome.ok:
        return Reply(text=T.PHONE_CODE_SENT.format(phone=mask_phone(outcome.phone)))
    if outcome.code == "too_soon":
        return Reply(text=T.PHONE_TOO_SOON)
    if outcome.code == "too_many":
        return Reply(text=T.PHONE_TOO_MANY)
    return Reply(text=T.PHONE_BAD.format(phone=number[:20]))


@router.on(text_matches(CODE, "phone code"))
async def verify_code(update: Update, ctx: Context) -> Reply:
    outcome = await phones.verify(ctx.session, reporter(update), CODE.match(update.text).group(1), ctx.now)
    if outcome.ok:
        return Reply(text=T.PHONE_BOUND.format(phone=mask_phone(outcome.phone)))
    return Reply(text={"wrong": T.PHONE_CODE_WRONG, "locked": T.PHONE_CODE_LOCKED,
                       "expired": T.PHONE_CODE_EXPIRED}.get(outcome.code, T.PHONE_NO_CODE))


@router.on(text_matches(UNBIND_PHONE, "unbind phone"))
async def unbind_phone(update: Update, ctx: Context) -> Reply:
    return Reply(text=T.PHONE_UNBOUND if await phones.unbind(ctx.session, reporter(update)) else T.PHONE_NOT_BOUND)
