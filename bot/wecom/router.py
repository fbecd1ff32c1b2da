"""Who may talk to the bot on WeCom, and what the app answers: the street office's staff, people binding
themselves as staff, and WeCom's own events.

The WeCom app is a staff tool. Its Updates go through a router of its own, in front of the staff desk that
handlers/ builds (the staff commands, 电话 N; the same handlers and authorisation as on WeChat), never the
residents' router: a bound officer on WeCom gets staff answers only, not the residents' welcome or intake
dialog. Everyone else gets a short answer that the app is for staff.

WeCom also calls the app for what happens around it: contact-book changes sent by `sys`, finished batch
jobs, the location members report every few seconds, a member opening the app, approval and calendar
changes. Those are answered with silence (an empty 200), declared once below as data. The decision is made
here, inside the pipeline, rather than in the webhook before it, so every event is deduplicated, ordered
and logged like any message.
"""
from __future__ import annotations

from backend import staff as staff_mod
from bot import texts
from handlers.router import Context, Filter, Router
from handlers.staff import BIND
from handlers.types import Reply, Update

# WeCom's sender for what the system itself reports (contact changes, external contacts, …)
SYSTEM_SENDER = "sys"
# Events WeCom sends on its own or in the background (developer.work.weixin.qq.com 事件格式, lower-cased
# as bot/wechat/codec.py reads them): nobody asked the app anything, so nobody is answered.
SILENT_EVENTS = frozenset({
    "subscribe", "unsubscribe",  # added to / removed from the app's visible range by an administrator
    "enter_agent",  # a member opened the app
    "location",  # the periodic location report (not a location a member sends)
    "batch_job_result", "change_contact", "change_external_contact", "change_external_chat",
    "change_external_tag",
    "open_approval_change", "sys_approval_change",
    "add_calendar", "modify_calendar", "delete_calendar", "add_schedule", "modify_schedule", "delete_schedule",
    "respond_schedule", "book_meeting_room", "cancel_meeting_room",
    "view", "view_miniprogram",  # a menu link opened: WeCom shows the page, not a reply
    "template_card_event", "template_card_menu_event", "taskcard_click",
    "share_agent_change", "share_chain_change",
    "close_inactive_agent", "reopen_inactive_agent", "inactive_alert", "low_active_alert",
    "living_status_change", "kf_msg_or_event",
})


def silent(update: Update, ctx: Context) -> bool:
    return update.user_id == SYSTEM_SENDER or (update.kind == "event" and update.event in SILENT_EVENTS)


async def identify(update: Update, ctx: Context) -> None:
    """Middleware: the staff member bound to this WeCom user, if any, as ctx.staff."""
    ctx.staff = await staff_mod.identify(ctx.session, update.platform, update.user_id)


def binding(update: Update, ctx: Context) -> bool:
    return update.kind == "text" and BIND.match(update.text or "") is not None


STAFF = Filter(lambda u, c: c.staff is not None, "bound staff")
STAFF_OR_BINDING = STAFF | Filter(binding, "bind")


def wecom_router(staff_desk: Router) -> Router:
    """The router for WeCom Updates, in front of `staff_desk` (handlers.app.staff_desk_router). Silent events
    are dropped before anyone is looked up: the location reports alone come every few seconds per member."""
    root = Router("wecom")
    root.on(Filter(silent, "system or background event"))(_nothing)
    member = root.include(Router("wecom member"))
    member.middlewares.append(identify)
    member.include(Router("wecom staff", when=STAFF_OR_BINDING)).include(staff_desk)
    member.on(STAFF)(staff_hint)
    member.on(~STAFF_OR_BINDING)(staff_only)
    return root


async def _nothing(update: Update, ctx: Context) -> None:
    return None


async def staff_hint(update: Update, ctx: Context) -> Reply | None:
    """A bound officer's message that no staff handler took: what the app understands, never a resident's
    answer. Events (a menu click, a scan) get nothing."""
    if update.kind == "event":
        return None
    if update.kind == "image":
        return Reply(text=texts.WECOM_PHOTO_HINT)
    return Reply(text=texts.WECOM_STAFF_HINT)


async def staff_only(update: Update, ctx: Context) -> Reply | None:
    return Reply(text=texts.WECOM_STAFF_ONLY)
