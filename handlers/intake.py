"""The intake dialog: a free-text report becomes a complete case, asking one thing at a time.

The dialog is declared as data (DIALOG below: state -> question + answer handler); which state comes
next is decided in one place (`advance`, using handlers.draft.next_state). The diagram in
docs/intake.md shows the same states and must be kept in step with DIALOG.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from backend import cases, places, reports
from backend.categories import PRIORITY
from backend.privacy import mask_phone
from handlers import texts as T
from handlers import words
from handlers.casework import policy, rules_for
from handlers.dialog import Dialog, State, expired, in_dialog
from handlers.draft import Draft, next_state
from handlers.router import Context, Filter, Router, kind
from handlers.types import Reply, Update

DRAFT_TTL = timedelta(minutes=30)
LOCATION_MATCH_M = 1000  # a shared location this close to a place proposes it
PLACE_TEXT_LIMIT = 128  # characters kept of a place described in the resident's words


# --- steps an answer handler can take --------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """After an answer: go to `state` (None: the next missing slot), with `prefix` before the question;
    or finish the dialog with `reply`."""

    state: str | None = None
    prefix: str = ""
    reply: Reply | None = None


Answer = Callable[[Draft, Update, Context], Awaitable[Step]]


def taxonomy(ctx: Context):
    return ctx.services["taxonomy"]


def understand(update: Update, ctx: Context):
    """The nlp reading of this update's text, computed once per update."""
    if ctx.understanding is None and update.text is not None:
        ctx.understanding = ctx.services["nlp"].analyze(update.text)
    return ctx.understanding


def slots_of(draft: Draft, ctx: Context) -> tuple[str, ...]:
    return tuple(taxonomy(ctx).category(draft.category).slots) if draft.category else ()


async def street_places(ctx: Context) -> dict[str, places.Place]:
    """The street's places by id, read once and kept with the services (like the analyzer's place names)."""
    if "street_places" not in ctx.services:
        ctx.services["street_places"] = {p.id: p for p in await places.all_places(ctx.session)}
    return ctx.services["street_places"]


async def compound_names(ctx: Context) -> dict[str, str]:
    return {place_id: p.name for place_id, p in (await street_places(ctx)).items()}


async def is_compound(place_id: str | None, ctx: Context) -> bool:
    place = (await street_places(ctx)).get(place_id)
    return place is not None and place.is_compound


# --- questions --------------------------------------------------------------------------------

def numbered(labels: list[str]) -> str:
    return "\n".join(T.OPTION.format(n=i, label=label) for i, label in enumerate(labels, 1))


def category_options(draft: Draft, ctx: Context) -> list[str]:
    codes = draft.candidates or [c.code for c in taxonomy(ctx).categories]
    return [code for code in codes if code != "other"] + ["other"]


async def question(state: str, draft: Draft, ctx: Context) -> str:
    names = await compound_names(ctx)
    tax = taxonomy(ctx)
    custom = tax.category(draft.category).questions if draft.category else {}
    if state == "ask_description":
        return T.ASK_DESCRIPTION
    if state == "choose_category":
        options = [tax.category(code).name for code in category_options(draft, ctx)]
        return T.CHOOSE_CATEGORY.format(options=numbered(options))
    if state == "confirm_location":
        this = T.THIS_COMPOUND if await is_compound(draft.location_compound, ctx) else T.THIS_PLACE
        return T.CONFIRM_LOCATION.format(compound=names[draft.location_compound], distance=draft.location_distance,
                                         this=this)
    if state == "choose_compound":
        return T.CHOOSE_COMPOUND.format(options=numbered([names[c] for c in draft.compound_candidates]))
    if state == "ask_place":
        return custom.get("compound") or T.ASK_PLACE
    if state == "ask_building" and not await is_compound(draft.compound, ctx):
        return T.ASK_SPOT.format(place=names.get(draft.compound, ""))
    if state == "ask_building":
        return custom.get("building") or T.ASK_BUILDING.format(compound=names.get(draft.compound, ""))
    if state == "ask_time":
        return custom.get("time") or T.ASK_TIME
    if state == "confirm":
        return summary(draft, ctx, names)
    if state == "modify":
        return T.MODIFY_MENU
    if state == "ask_phone":
        return T.ASK_PHONE
    if state == "offer_follow":
        case = await cases.by_number(ctx.session, draft.duplicate)
        return T.DUPLICATE_FOUND.format(number=draft.duplicate, status=T.STATUS.get(case.status, case.status))
    raise KeyError(state)


def place_text(draft: Draft, names: dict[str, str]) -> str:
    if draft.compound is None and (draft.place_text or "place" in draft.skipped):
        return T.PLACE_TO_CHECK.format(place=draft.place_text or T.NOT_GIVEN)
    place = names.get(draft.compound, T.NOT_GIVEN)
    return f"{place} {draft.building}" if draft.building else place


def summary(draft: Draft, ctx: Context, names: dict[str, str]) -> str:
    category = taxonomy(ctx).category(draft.category)
    shows_time = "time" in category.slots or draft.occurred
    return T.SUMMARY.format(
        category=category.name, place=place_text(draft, names),
        time_line=T.SUMMARY_TIME.format(time=draft.occurred or T.NOT_GIVEN) if shows_time else "",
        description=draft.description or T.NOT_GIVEN,
        photos=T.PHOTOS.format(n=len(draft.photos)) if draft.photos else T.NO_PHOTOS,
        phone=mask_phone(draft.phone) if draft.phone else T.NO_PHONE,
        anonymous=T.ANONYMOUS if draft.anonymous else "")




# --- answers, one per state -------------------------------------------------------------------

async def on_description(draft: Draft, update: Update, ctx: Context) -> Step:
    u = understand(update, ctx)
    draft.add_text(update.text or "")
    draft.absorb(u)
    return Step()


async def on_category_choice(draft: Draft, update: Update, ctx: Context) -> Step:
    options = category_options(draft, ctx)
    picked = words.choice(update.text, len(options))
    if picked is not None:
        draft.category, draft.candidates = options[picked - 1], []
        draft.duplicate_checked = False
        return Step()
    u = understand(update, ctx)
    draft.add_text(update.text or "")
    draft.absorb(u, overwrite=("category",))
    return Step(prefix="" if draft.category else T.NOT_UNDERSTOOD_CHOICE)


async def on_location_confirm(draft: Draft, update: Update, ctx: Context) -> Step:
    if words.is_word(update.text, words.CONFIRM) or words.choice(update.text, 2) == 1:
        draft.compound, draft.compound_candidates, draft.place_text = draft.location_compound, [], None
    draft.location_compound = draft.location_distance = None
    draft.duplicate_checked = False
    if words.is_word(update.text, words.DENY) or words.choice(update.text, 2) == 2:
        if draft.place_asked:  # asked once already: the shared point stays the place, for a person to place
            return Step(prefix=T.LOCATION_KEPT)
        draft.place_asked = True
        return Step(state="ask_place", prefix=T.LOCATION_DENIED)
    if not draft.compound:
        return await on_place(draft, update, ctx)  # neither yes nor no: read it as naming the place
    return Step()


async def on_compound_choice(draft: Draft, update: Update, ctx: Context) -> Step:
    picked = words.choice(update.text, len(draft.compound_candidates))
    if picked is not None:
        draft.compound, draft.compound_candidates = draft.compound_candidates[picked - 1], []
        draft.duplicate_checked = False
        return Step()
    return await on_place(draft, update, ctx)


async def on_place(draft: Draft, update: Update, ctx: Context) -> Step:
    """A known place, or an ambiguous name to choose from; otherwise the resident's own description is
    kept for a person to place. "都不是"/"不知道" asks once for a location or a description, then leaves the
    place to staff: the place step never asks the same question twice."""
    u = understand(update, ctx)
    before = (draft.compound, tuple(draft.compound_candidates))
    draft.absorb(u, overwrite=("compound", "building") if u.compound else ())
    draft.duplicate_checked = False
    if (draft.compound, tuple(draft.compound_candidates)) != before or draft.compound:
        if draft.compound:
            draft.place_text = None
        return Step()
    draft.compound_candidates = []
    if words.is_word(update.text, words.NONE_OF_THESE | words.SKIP) or not words.normalize(update.text):
        if draft.place_asked:
            draft.skipped.append("place")
            return Step(prefix=T.PLACE_LEFT_TO_STAFF)
        draft.place_asked = True
        return Step(state="ask_place", prefix=T.DESCRIBE_PLACE)
    draft.place_text = (update.text or "").strip()[:PLACE_TEXT_LIMIT]
    return Step(prefix=T.PLACE_NOTED.format(place=draft.place_text))


async def on_building(draft: Draft, update: Update, ctx: Context) -> Step:
    u = understand(update, ctx)
    if words.is_word(update.text, words.SKIP):
        draft.skipped.append("building")
    elif u.building:
        draft.building = u.building
    else:
        draft.building = (update.text or "").strip()[:32] or None
    draft.absorb(u)
    return Step()


async def on_time(draft: Draft, update: Update, ctx: Context) -> Step:
    u = understand(update, ctx)
    if words.is_word(update.text, words.SKIP):
        draft.skipped.append("time")
    else:
        draft.occurred = u.time or (update.text or "").strip()[:64] or None
    return Step()


async def on_follow(draft: Draft, update: Update, ctx: Context) -> Step:
    picked = words.choice(update.text, 2) or (1 if words.is_word(update.text, words.CONFIRM) else None)
    number, draft.duplicate = draft.duplicate, None
    if picked == 1:
        case = await cases.by_number(ctx.session, number)
        if case is not None and case.status in cases.OPEN_STATUSES:
            who = reporter(update)
            added = await cases.follow(ctx.session, case, who, ctx.now)
            await cases.add_media(ctx.session, case, draft.photos, actor=who.actor, now=ctx.now)
            text = (T.FOLLOWED if added else T.ALREADY_FOLLOWING).format(number=number)
            return Step(reply=Reply(text=text))
    return Step()  # 2, or the case closed meanwhile: carry on with a report of their own


async def on_confirm(draft: Draft, update: Update, ctx: Context) -> Step:
    text = update.text or ""
    if words.is_word(text, words.CONFIRM) or words.choice(text, 3) == 1:
        return Step(reply=await create(draft, update, ctx))
    if words.is_word(text, words.MODIFY) or words.choice(text, 3) == 2:
        return Step(state="modify")
    if words.choice(text, 3) == 3:
        return Step(reply=Reply(text=T.CANCELLED))
    if words.normalize(text) == "匿名":
        draft.anonymous = True
        return Step(state="confirm")
    u = understand(update, ctx)
    if u.phone:
        draft.phone = u.phone
        return Step(state="confirm")
    draft.add_text(text)  # more detail: keep it and show the summary again
    draft.absorb(u)
    return Step()


MODIFY_CHOICES = ("category", "place", "description", "time", "phone")


async def on_modify(draft: Draft, update: Update, ctx: Context) -> Step:
    if words.normalize(update.text) in T.BACK_WORDS:
        return Step(state="confirm")
    picked = words.choice(update.text, len(MODIFY_CHOICES))
    if picked is None:
        return Step(state="modify", prefix=T.NOT_UNDERSTOOD_CHOICE)
    what = MODIFY_CHOICES[picked - 1]
    draft.editing = True
    draft.duplicate_checked = False
    if what == "category":
        draft.category, draft.candidates = None, []
        return Step(state="choose_category")
    if what == "place":
        draft.compound, draft.building, draft.compound_candidates = None, None, []
        draft.place_text, draft.place_asked = None, False
        draft.skipped = [s for s in draft.skipped if s not in ("building", "place")]
        return Step(state="ask_place")
    if what == "description":
        draft.description = ""
        return Step(state="ask_description")
    if what == "time":
        draft.occurred = None
        draft.skipped = [s for s in draft.skipped if s != "time"]
        return Step(state="ask_time")
    return Step(state="ask_phone")


async def on_phone(draft: Draft, update: Update, ctx: Context) -> Step:
    if words.is_word(update.text, words.SKIP):
        draft.phone = None
        return Step(state="confirm")
    u = understand(update, ctx)
    if not u.phone:
        return Step(state="ask_phone", prefix=T.PHONE_NOT_UNDERSTOOD)
    draft.phone = u.phone
    return Step(state="confirm")


DIALOG = Dialog(
    name="intake",
    timeout=DRAFT_TTL,
    states={
        "ask_description": State(on_description),
        "choose_category": State(on_category_choice),
        "confirm_location": State(on_location_confirm),
        "choose_compound": State(on_compound_choice),
        "ask_place": State(on_place),
        "ask_building": State(on_building),
        "ask_time": State(on_time),
        "offer_follow": State(on_follow),
        "confirm": State(on_confirm),
        "modify": State(on_modify),
        "ask_phone": State(on_phone),
    },
)


# --- moving between states ------------------------------------------------------------------

def reporter(update: Update) -> cases.Reporter:
    return cases.Reporter(update.platform, update.user_id)


async def advance(draft: Draft, update: Update, ctx: Context, step: Step) -> Reply:
    """Save the draft in its next state and ask that state's question (or finish the dialog)."""
    if step.reply is not None:
        await ctx.store.clear()
        return step.reply
    if draft.urgent and draft.category:
        await ctx.store.clear()
        return await create(draft, update, ctx)
    state = step.state or next_state(draft, slots_of(draft, ctx))
    if state == "confirm" and not draft.duplicate_checked:
        draft.duplicate_checked = True
        duplicate = await cases.find_duplicate(ctx.session, compound_id=draft.compound, category=draft.category,
                                               now=ctx.now)
        if duplicate is not None and await cases.visible_to(ctx.session, duplicate.number, reporter(update)) is None:
            draft.duplicate = duplicate.number
            state = "offer_follow"
    if draft.editing and state == "confirm":
        draft.editing = False
    await ctx.store.set(state, {"draft": draft.to_data()}, ctx.now)
    ask = await question(state, draft, ctx)
    return Reply(text=f"{step.prefix}\n{ask}" if step.prefix else ask)


async def create(draft: Draft, update: Update, ctx: Context) -> Reply:
    """Turn the finished draft into a case and tell the resident its number and what happens next."""
    category = taxonomy(ctx).category(draft.category or "other")
    new = cases.NewCase(
        category=category.code, description=draft.description or category.name,
        priority=PRIORITY.get(category.priority, 3), channel="wechat", dept_id=category.department,
        compound_id=draft.compound, building=draft.building, occurred=draft.occurred, lat=draft.lat,
        place_text=None if draft.compound else draft.place_text,
        lng=draft.lng, urgent=draft.urgent, reporter=reporter(update), contact_phone=draft.phone,
        anonymous=draft.anonymous, media=draft.photos)
    case, officer = await reports.open_case(ctx.session, new, rules_for(ctx, category.code), policy(ctx), ctx.now)
    await ctx.store.clear()
    if draft.urgent:
        return Reply(text=T.URGENT_CREATED.format(notice=category.notice or T.URGENT_NOTICE, number=case.number,
                                                  place_hint="" if draft.compound else T.URGENT_PLACE_HINT))
    promise = T.PROMISE_SLOW if category.sla_overrides else T.PROMISE_1315
    who = T.OFFICER_ASSIGNED.format(name=officer.name) if officer else ""
    return Reply(text=T.CREATED.format(number=case.number, promise=who + promise))


# --- handlers ---------------------------------------------------------------------------------

router = Router("intake")


def draft_of(ctx: Context) -> Draft:
    return Draft.from_data(ctx.dialog.data if ctx.dialog else None)


async def expiry_prefix(ctx: Context) -> str:
    """Drop a draft idle past the timeout; say so once, before answering the new message."""
    if expired(DIALOG, ctx):
        await ctx.store.clear()
        ctx.dialog = None
        return T.EXPIRED
    return ""


def is_text(update: Update, ctx: Context) -> bool:
    return update.kind == "text" or (update.kind == "voice" and bool(update.text))


TEXTUAL = Filter(is_text, "text")
ACTIVE = in_dialog(DIALOG)


@router.on(ACTIVE & TEXTUAL & Filter(lambda u, c: words.is_word(u.text, words.CANCEL), "cancel"))
async def cancel(update: Update, ctx: Context) -> Reply:
    await ctx.store.clear()
    return Reply(text=T.CANCELLED)


@router.on(ACTIVE & TEXTUAL)
async def answer(update: Update, ctx: Context) -> Reply:
    prefix = await expiry_prefix(ctx)
    if prefix:
        fresh = await start(update, ctx) if understand(update, ctx).intent == "complaint" else Reply(text=T.MENU)
        return prepend(prefix, fresh)
    draft = draft_of(ctx)
    u = understand(update, ctx)
    if u.urgent:  # whatever was being asked, an emergency goes first
        draft.add_text(update.text or "")
        draft.absorb(u)
        draft.urgent, draft.category = True, draft.category or u.category or "emergency"
        return await advance(draft, update, ctx, Step())
    if u.intent in ("greeting", "help") and ctx.dialog.state not in ("confirm", "offer_follow", "modify"):
        step = Step(state=ctx.dialog.state, prefix=T.MENU + "\n\n" + T.IN_DIALOG_REMINDER)
        return await advance(draft, update, ctx, step)
    step = await DIALOG.states[ctx.dialog.state].answer(draft, update, ctx)
    return await advance(draft, update, ctx, step)


@router.on(kind("image"))
async def photo(update: Update, ctx: Context) -> Reply:
    prefix = await expiry_prefix(ctx)
    draft = draft_of(ctx)
    media = {"kind": "image", "media_id": update.media.media_id if update.media else None,
             "url": update.media.url if update.media else None, "platform": update.platform}
    if not draft.add_photo(media):
        return await advance(draft, update, ctx, Step(state=ctx.dialog.state, prefix=T.PHOTO_LIMIT.format(n=9)))
    if ctx.dialog is None:
        return prepend(prefix, await advance(draft, update, ctx, Step(prefix=T.PHOTO_ADDED.format(n=1))))
    return await advance(draft, update, ctx, Step(state=ctx.dialog.state,
                                                  prefix=T.PHOTO_ADDED.format(n=len(draft.photos))))


@router.on(kind("location"))
async def location(update: Update, ctx: Context) -> Reply:
    prefix = await expiry_prefix(ctx)
    draft = draft_of(ctx)
    draft.lat, draft.lng = update.location.lat, update.location.lng
    if draft.compound is None:  # the point itself is the place until a known place is confirmed
        draft.place_text = (update.location.label or T.SHARED_LOCATION)[:PLACE_TEXT_LIMIT]
    found = places.nearest(list((await street_places(ctx)).values()), draft.lat, draft.lng)
    if found is None or found[1] > LOCATION_MATCH_M:
        return prepend(prefix, await advance(draft, update, ctx, Step(prefix=T.LOCATION_NOT_NEAR)))
    draft.location_compound, draft.location_distance = found[0].id, int(found[1])
    return prepend(prefix, await advance(draft, update, ctx, Step(prefix=T.LOCATION_START)))


async def start(update: Update, ctx: Context) -> Reply:
    """A new report from a first message."""
    draft = Draft()
    return await on_first_text(draft, update, ctx)


async def on_first_text(draft: Draft, update: Update, ctx: Context) -> Reply:
    u = understand(update, ctx)
    draft.add_text(update.text or "")
    draft.absorb(u)
    if u.urgent:
        draft.urgent, draft.category = True, draft.category or u.category or "emergency"
    return await advance(draft, update, ctx, Step())


def is_complaint(update: Update, ctx: Context) -> bool:
    return is_text(update, ctx) and understand(update, ctx).intent == "complaint"


@router.on(Filter(is_complaint, "complaint"))
async def report(update: Update, ctx: Context) -> Reply:
    return await start(update, ctx)


def prepend(prefix: str, reply: Reply) -> Reply:
    return Reply(text=f"{prefix}\n{reply.text}") if prefix and reply.text else reply

