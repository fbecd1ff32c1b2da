"""A person when the bot cannot help: residents ask (人工, 转人工, a second 没解决), staff on duty take them.

Two routers:
- `router` comes first of all (handlers/app.py): its middleware finds the open takeover the sender sits in.
  Bound staff's duty commands (值班, 下班, 会话, 接入 N) are answered here; then a sender inside a takeover
  talks to the other side and not to the bot: the resident's words go to the staff member who took them
  (or wait for one), the staff member's words go to that resident, and 结束 from either side ends it.
  A resident typing the staff commands gets the resident's answer (they fall through like any text).
- `request_router` sits among the residents' routers, after survey answers (a 没解决 answering a
  resolution push or a survey stays a survey answer) and before the dialogs: 人工 starts a takeover even in
  the middle of a report, whose draft is kept as it was for after the conversation; 没解决 counts only
  outside a dialog (in one, the words belong to the dialog's step).
"""
from __future__ import annotations

import logging
import re

from backend import staff as staff_mod, takeover as tk
from backend.cases import Reporter
from handlers import intake, knowledge, texts as T, words
from handlers.staff import BIND, command as staff_command
from handlers.casework import policy, rules_for
from backend.clock import duration_text
from handlers.router import Context, Filter, Router, SkipHandler, event, kind
from handlers.types import Reply, Update
from storage.conversation import ConversationStore

log = logging.getLogger(__name__)

DUTY = re.compile(r"^\s*(%s)\s*#?\s*(\d{0,9})\s*$" % "|".join(words.STAFF_VERBS["duty"]))
SEAT = "takeover_seat"  # ctx.readings key: the sender's seat in an open takeover (backend.takeover.Seat)
RELAYED_KINDS = ("text", "voice", "image", "location", "link", "video")

router = Router("takeover")
request_router = Router("takeover request")


def duty_command(update: Update, ctx: Context) -> bool:
    return update.kind == "text" and DUTY.match(update.text or "") is not None


async def load_seat(update: Update, ctx: Context) -> None:
    """Router middleware: the sender's seat in an open takeover; the staff member for duty commands."""
    ctx.readings[SEAT] = await tk.seat_of(ctx.session, update.platform, update.user_id)
    if duty_command(update, ctx) and ctx.staff is None:
        ctx.staff = await staff_mod.identify(ctx.session, update.platform, update.user_id)


router.middlewares.append(load_seat)


def seated(side: str) -> Filter:
    return Filter(lambda u, c: (seat := c.readings.get(SEAT)) is not None and seat.side == side, f"seated {side}")


STAFF = Filter(lambda u, c: c.staff is not None, "staff")


@router.on(STAFF & Filter(duty_command, "duty command"))
async def duty(update: Update, ctx: Context) -> Reply:
    verb, number = DUTY.match(update.text).groups()
    s, me = ctx.session, ctx.staff
    if verb == "值班":
        fresh = await tk.go_on_duty(s, me, ctx.now)
        return Reply(text=(T.DUTY_ON if fresh else T.DUTY_ALREADY).format(waiting=len(await tk.waiting(s))))
    if verb == "下班":
        return Reply(text=T.DUTY_OFF if await tk.go_off_duty(s, me) else T.DUTY_NOT_ON)
    if not await tk.may_take(s, me):
        log.warning("staff %s refused %s: not on duty", me.id, verb)
        return Reply(text=T.TAKE_REFUSED["not_on_duty"])
    if verb == "会话":
        return Reply(text=await queue_text(update, ctx))
    return Reply(text=await take(update, ctx, int(number) if number else None))


async def queue_text(update: Update, ctx: Context) -> str:
    """会话: the residents waiting, longest first, each with their last words masked (they are not yet the
    staff member's conversation)."""
    found = await tk.waiting(ctx.session)
    mine = ctx.readings.get(SEAT)
    tail = T.QUEUE_MINE.format(n=mine.takeover.id) if mine is not None and mine.side == "staff" else ""
    if not found:
        return T.QUEUE_EMPTY + tail
    lines = []
    for waiting in found:
        said = await tk.said_before(ctx.session, waiting, ctx.services.takeover_policy)
        told = [line for line in said if not words.is_word(line[1], words.HUMAN | words.UNSOLVED)]
        last = tk.lines_of(told[-1:], ctx.now, masked=True)
        lines.append(T.QUEUE_LINE.format(n=waiting.id, wait=duration_text(ctx.now - waiting.requested_at), last=last))
    return T.QUEUE.format(n=len(found), lines="\n".join(lines)) + tail


async def take(update: Update, ctx: Context, number: int | None) -> str:
    """接入 N (N may be left out when exactly one resident waits)."""
    if number is None:
        found = await tk.waiting(ctx.session)
        if len(found) != 1:
            return T.TAKE_WHICH.format(example=found[0].id if found else 1) if found else T.QUEUE_EMPTY
        number = found[0].id
    rules = ctx.services.takeover_policy
    done = await tk.take(ctx.session, ctx.staff, update.platform, update.user_id, number, rules, ctx.now)
    if not done.ok:
        log.warning("staff %s refused 接入 %s: %s", ctx.staff.id, number, done.code)
        shown = done.takeover.id if done.code == "busy" else number
        return T.TAKE_REFUSED[done.code].format(n=shown)
    log.info("takeover %s taken by staff %s on %s", number, ctx.staff.id, update.platform)
    said = await tk.said_before(ctx.session, done.takeover, rules)
    return T.TAKEN.format(n=number, lines=tk.lines_of(said, ctx.now, masked=False))


def said_text(update: Update) -> str | None:
    """What a message says for the other side: its text, or a line for a photo, voice, place or link."""
    if update.kind == "text" or (update.text or "").strip():
        return (update.text or "").strip() or None  # an empty text says nothing
    if update.kind == "image" and update.media:
        return tk.media_text("image", url=update.media.url)
    if update.kind == "location" and update.location:
        return tk.media_text("location", label=update.location.label)
    return tk.media_text(update.kind)


@router.on(seated("staff") & kind(*RELAYED_KINDS))
async def from_staff(update: Update, ctx: Context) -> Reply | None:
    seat = ctx.readings[SEAT]
    if staff_command(update, ctx) or BIND.match(update.text or ""):
        raise SkipHandler  # 待办, 接单 N …: a staff member's work goes on during a conversation
    if words.is_word(update.text, words.END) and await tk.still_held(ctx.session, seat.takeover):
        await tk.end(ctx.session, seat.takeover, "staff", ctx.now)
        return Reply(text=T.TAKEOVER_STAFF_ENDED.format(n=seat.takeover.id))
    said = said_text(update)
    if said and await tk.relay(ctx.session, seat, said, ctx.services.takeover_policy, ctx.now,
                               update.message_key) == tk.UNBOUND:
        log.warning("takeover %s: %s:%s is no longer its staff member", seat.takeover.id, update.platform,
                    update.user_id)
        raise SkipHandler  # the seat is no longer theirs: the words go where anyone's would
    return None


@router.on(seated("resident") & kind(*RELAYED_KINDS))
async def from_resident(update: Update, ctx: Context) -> Reply | None:
    seat = ctx.readings[SEAT]
    if words.is_word(update.text, words.END):
        waiting = seat.takeover.status == tk.WAITING
        await tk.end(ctx.session, seat.takeover, "resident", ctx.now)
        return Reply(text=T.TAKEOVER_WITHDRAWN if waiting else T.TAKEOVER_YOU_ENDED)
    said = said_text(update)
    if not said:  # an empty message: nothing to pass on
        return Reply(text=T.TAKEOVER_STILL_WAITING) if seat.takeover.status == tk.WAITING else None
    outcome = await tk.relay(ctx.session, seat, said, ctx.services.takeover_policy, ctx.now, update.message_key)
    if outcome == tk.UNBOUND:  # the staff member's identity was unbound: the talk has ended, the bot answers
        raise SkipHandler
    return Reply(text=T.TAKEOVER_STILL_WAITING) if outcome == tk.WAITING_STILL else None


@router.on(seated("resident") & event("unsubscribe"))
async def unfollowed(update: Update, ctx: Context) -> None:
    """A resident who unfollows the account leaves the conversation (the staff member is told); nothing can
    reach them any more."""
    await tk.end(ctx.session, ctx.readings[SEAT].takeover, "resident", ctx.now)
    return None


# --- residents asking for a person ---------------------------------------------------------------------

def asks_for_person(update: Update, ctx: Context) -> bool:
    if update.kind not in ("text", "voice") or not update.text:
        return False
    said = words.normalize(update.text)
    return words.is_word(update.text, words.HUMAN) or (
        len(said) <= words.PERSON_REQUEST_MAX and words.PERSON_REQUEST.search(said) is not None)


def says_unsolved(update: Update, ctx: Context) -> bool:
    return update.kind in ("text", "voice") and ctx.dialog is None and words.is_word(update.text, words.UNSOLVED)


def unsolved_store(update: Update, ctx: Context) -> ConversationStore:
    """The first 没解决 of a conversation, kept apart from any dialog (it expires with DRAFT_TTL_S)."""
    return ConversationStore(ctx.session, f"{update.platform}#help", update.user_id)


async def start(update: Update, ctx: Context) -> Reply:
    callback = tk.Callback(rules_for(ctx, tk.CALLBACK_CATEGORY), policy(ctx).sla)
    await tk.request(ctx.session, Reporter(update.platform, update.user_id), ctx.services.takeover_policy,
                     callback, ctx.now)
    log.info("takeover requested by %s:%s", update.platform, update.user_id)
    kept = ctx.dialog is not None and ctx.dialog.state in intake.DIALOG.states and not intake.DIALOG.expired(ctx)
    return Reply(text=T.TAKEOVER_REQUESTED + (T.TAKEOVER_DRAFT_KEPT if kept else ""))


@request_router.on(Filter(asks_for_person, "asks for a person"))
async def person(update: Update, ctx: Context) -> Reply:
    await knowledge.answer_disowned(update, ctx)
    await unsolved_store(update, ctx).clear()
    return await start(update, ctx)


@request_router.on(Filter(says_unsolved, "unsolved"))
async def unsolved(update: Update, ctx: Context) -> Reply:
    """The first 没解决 of a conversation invites the resident to say more or ask for a person; the second
    within DRAFT_TTL_S hands them to a person. Right after an answer of the knowledge base, it disowns that
    answer."""
    await knowledge.answer_disowned(update, ctx)
    store = unsolved_store(update, ctx)
    before = await store.get()
    if before is not None and ctx.now - before.updated_at <= ctx.services.dialog_ttl:
        await store.clear()
        return await start(update, ctx)
    await store.set("unsolved", {}, ctx.now)
    return Reply(text=T.UNSOLVED_FIRST)

