"""Greetings, the menu, and polite answers to messages no other handler takes."""
from __future__ import annotations

from handlers import texts, words
from handlers.router import Context, Router, event, kind
from handlers.turns import kind_of
from handlers.types import Reply, Update

router = Router("basic")

HELP_WORDS = {"帮助", "help", "菜单", "使用帮助", "?", "？"}


@router.on(event("subscribe"))
async def welcome(update: Update, ctx: Context) -> Reply:
    return Reply(text=texts.WELCOME + texts.MENU)


@router.on(event("unsubscribe"))
async def farewell(update: Update, ctx: Context) -> Reply | None:
    return None  # WeChat drops replies to unsubscribe; nothing to say


@router.on(kind("event"))
async def other_event(update: Update, ctx: Context) -> Reply | None:
    # SCAN, VIEW, LOCATION reports, template/subscription callbacks and events we do not know yet:
    # acknowledged silently. CLICK keys get their own handlers as the menu grows.
    if update.event == "click" and update.event_key in ("HELP", "MENU"):
        return Reply(text=texts.HELP)
    if update.event == "click" and update.event_key == "REPORT":
        return Reply(text=texts.REPORT_PROMPT)
    return None


@router.on(kind("voice"))
async def voice(update: Update, ctx: Context) -> Reply:
    if not update.text:
        return Reply(text=texts.VOICE_NOT_RECOGNIZED)
    return await text_menu(update, ctx)


@router.on(kind("image"))
async def image(update: Update, ctx: Context) -> Reply:
    return Reply(text=texts.IMAGE_RECEIVED)


@router.on(kind("video"))
async def video(update: Update, ctx: Context) -> Reply:
    return Reply(text=texts.VIDEO_RECEIVED)


@router.on(kind("location"))
async def location(update: Update, ctx: Context) -> Reply:
    label = (update.location.label if update.location else None) or "已定位"
    return Reply(text=texts.LOCATION_RECEIVED.format(label=label))


@router.on(kind("link"))
async def link(update: Update, ctx: Context) -> Reply:
    return Reply(text=texts.LINK_RECEIVED)


@router.on(kind("text"))
async def text_menu(update: Update, ctx: Context) -> Reply:
    text = (update.text or "").strip()
    if not text:
        return Reply(text=texts.EMPTY_TEXT)
    if text.lower() in HELP_WORDS:
        return Reply(text=texts.HELP)
    if words.is_word(text, words.CANCEL):
        return Reply(text=texts.NOTHING_TO_CANCEL + texts.MENU)
    if words.is_word(text, words.CONFIRM):
        return Reply(text=texts.NOTHING_TO_CONFIRM)
    return Reply(text=texts.ASIDE_AT_REST.get(kind_of(update, ctx), texts.GREETING))


@router.on(kind("unknown"))
async def unsupported(update: Update, ctx: Context) -> Reply:
    return Reply(text=texts.UNSUPPORTED)
