"""The intake dialog: a free-text report becomes a complete case, asking one thing at a time.

The dialog is declared as data (DIALOG below: state -> question, answer handler, next step); the next
missing slot is chosen in one place (handlers.draft.next_state). The diagram in docs/intake.md shows the
same states and is kept in step with DIALOG by a test.
"""
from __future__ import annotations

from dataclasses import replace

from backend import cases, lifecycle, places, reports
from backend.wording import shorten
from backend.categories import priority_of
from backend.clock import local
from backend.privacy import mask_phone
from handlers import texts as T
from handlers import words
from handlers.casework import policy, rules_for
from handlers.dialog import Dialog, State, Step, in_dialog
from handlers.draft import SPOT_LIMIT, Draft, next_state
from handlers.router import Context, Filter, Router, kind
from handlers.turns import ASIDES, CANCEL, CONFIRM, CORRECTION, QUESTION, is_aside, kind_of, turn_of
from handlers.types import TEXT_LIMIT_BYTES, Reply, Update

LOCATION_MATCH_M = 1000  # a shared location this close to a place proposes it
PLACE_TEXT_LIMIT = 128  # characters kept of a place described in the resident's words


def taxonomy(ctx: Context):
    return ctx.services.taxonomy


def understand(update: Update, ctx: Context):
    """The nlp reading of this update's text, computed once per update."""
    if ctx.understanding is None and update.text is not None:
        ctx.understanding = ctx.services.nlp.analyze(update.text)
    return ctx.understanding


def slots_of(draft: Draft, ctx: Context) -> tuple[str, ...]:
    return tuple(taxonomy(ctx).category(draft.category).slots) if draft.category else ()


async def street_places(ctx: Context) -> dict[str, places.Place]:
    """The street's places by id (compounds and public places), read once per message (so a place seeded
    while the server runs is seen from the next message on)."""
    if "places" not in ctx.readings:
        ctx.readings["places"] = {p.id: p for p in await places.all_places(ctx.session)}
    return ctx.readings["places"]


async def compound_names(ctx: Context) -> dict[str, str]:
    return {place_id: p.name for place_id, p in (await street_places(ctx)).items()}


async def is_compound(place_id: str | None, ctx: Context) -> bool:
    place = (await street_places(ctx)).get(place_id) if place_id else None
    return place is not None and place.is_compound


def next_missing(draft: Draft, ctx: Context) -> str:
    return next_state(draft, slots_of(draft, ctx))


# --- questions, one per state -----------------------------------------------------------------

def numbered(labels: list[str]) -> str:
    return "\n".join(T.OPTION.format(n=i, label=label) for i, label in enumerate(labels, 1))


def category_options(draft: Draft, ctx: Context) -> list[str]:
    codes = draft.candidates or [c.code for c in taxonomy(ctx).categories]
    return [code for code in codes if code != "other"] + ["other"]


def custom_question(draft: Draft, ctx: Context, slot: str) -> str | None:
    """The category's own wording of a question (taxonomy.toml), if it has one."""
    return taxonomy(ctx).category(draft.category).questions.get(slot) if draft.category else None


async def ask_description(draft: Draft, ctx: Context) -> str:
    return T.ASK_DESCRIPTION


async def ask_category(draft: Draft, ctx: Context) -> str:
    options = [taxonomy(ctx).category(code).name for code in category_options(draft, ctx)]
    return T.CHOOSE_CATEGORY.format(options=numbered(options))


async def ask_location_confirm(draft: Draft, ctx: Context) -> str:
    names = await compound_names(ctx)
    this = T.THIS_COMPOUND if await is_compound(draft.location_compound, ctx) else T.THIS_PLACE
    return T.CONFIRM_LOCATION.format(compound=names[draft.location_compound], distance=draft.location_distance,
                                     this=this)


async def ask_compound(draft: Draft, ctx: Context) -> str:
    names = await compound_names(ctx)
    return T.CHOOSE_COMPOUND.format(options=numbered([names[c] for c in draft.compound_candidates]))


async def ask_place(draft: Draft, ctx: Context) -> str:
    return custom_question(draft, ctx, "compound") or T.ASK_PLACE


async def ask_building(draft: Draft, ctx: Context) -> str:
    names = await compound_names(ctx)
    if not await is_compound(draft.compound, ctx):  # a road or a square has no buildings: where on it
        return T.ASK_SPOT.format(place=names.get(draft.compound, ""))
    return custom_question(draft, ctx, "building") or T.ASK_BUILDING.format(compound=names.get(draft.compound, ""))


async def ask_time(draft: Draft, ctx: Context) -> str:
    return custom_question(draft, ctx, "time") or T.ASK_TIME


async def ask_confirm(draft: Draft, ctx: Context) -> str:
    return summary(draft, ctx, await compound_names(ctx))


async def ask_modify(draft: Draft, ctx: Context) -> str:
    return T.MODIFY_MENU


async def ask_phone(draft: Draft, ctx: Context) -> str:
    return T.ASK_PHONE


async def ask_follow(draft: Draft, ctx: Context) -> str:
    """Another resident's open case: only its category, place and when it was reported (never its words or
    number); the resident's own: its number too, to add to it."""
    case = await cases.by_number(ctx.session, draft.duplicate)
    fields = dict(category=taxonomy(ctx).category(case.category).name, place=(await compound_names(ctx)).get(
        case.compound_id, T.NOT_GIVEN), when=local(case.created_at).strftime("%m-%d %H:%M"))
    if draft.own_duplicate:
        return T.REPEAT_FOUND.format(number=case.number, **fields)
    return T.DUPLICATE_FOUND.format(**fields)


def place_text(draft: Draft, names: dict[str, str]) -> str:
    if draft.compound is None and (draft.place_text or "place" in draft.skipped):
        return T.PLACE_TO_CHECK.format(place=draft.place_text or T.NOT_GIVEN)
    return places.spelled(names.get(draft.compound, T.NOT_GIVEN), draft.building, exact_spot(draft))


def exact_spot(draft: Draft) -> str | None:
    """Where exactly: the spot as said, "all over the compound" put before it when the resident said so
    ("全小区楼道")."""
    if not draft.everywhere or draft.building:
        return draft.spot
    spot = draft.spot or ""
    return (spot if spot.startswith(T.EVERYWHERE) else T.EVERYWHERE + spot)[:SPOT_LIMIT]


SUMMARY_DESCRIPTION_CHARS = 400  # a summary with a longer description would pass WeChat's 2048 bytes and lose
# its last lines, the ones that say how to confirm


def summary_description(description: str | None) -> str:
    """The description as the summary shows it: whole, or shortened at a clause with its length said (the case
    keeps every word)."""
    if not description:
        return T.NOT_GIVEN
    if len(description) <= SUMMARY_DESCRIPTION_CHARS:
        return description
    return T.LONG_DESCRIPTION.format(start=shorten(description, SUMMARY_DESCRIPTION_CHARS), n=len(description))


def summary(draft: Draft, ctx: Context, names: dict[str, str]) -> str:
    category = taxonomy(ctx).category(draft.category)
    shows_time = "time" in category.slots or draft.occurred
    return T.SUMMARY.format(
        category=category.name, place=place_text(draft, names),
        time_line=T.SUMMARY_TIME.format(time=draft.occurred or T.NOT_GIVEN) if shows_time else "",
        description=summary_description(draft.description),
        photos=T.PHOTOS.format(n=len(draft.photos)) if draft.photos else T.NO_PHOTOS,
        phone=mask_phone(draft.phone) if draft.phone else T.NO_PHONE,
        anonymous=T.ANONYMOUS if draft.anonymous else "")


# --- answers, one per state -------------------------------------------------------------------

TELLS_NOTHING = (CONFIRM, CANCEL, *ASIDES)  # turns that add nothing to a report, whatever step they come at


def take_answer(draft: Draft, turn) -> str:
    """What an answer tells beyond the slot it answers joins the report: spot, building, time, whether it is
    all over the compound, and what happens (as the nlp read it: place names, times and don't-know words taken
    out). A confirmation, a skip word, chit-chat or a bare place name tells nothing more, so nothing is
    appended. Returns what joined the description."""
    if turn is None or turn.kind in TELLS_NOTHING:
        return ""
    return draft.take_details(turn.details)


def passes_over(update: Update, turn) -> bool:
    """An optional question passed over: a skip word ("不知道", "跳过") or a yes ("确认", "行") that moves on."""
    return words.is_word(update.text, words.SKIP) or (turn is not None and (turn.skip or turn.kind == CONFIRM))


def details_of(update: Update, ctx: Context, expecting: str):
    """The details (spot, building, time, what happens) the nlp read in this answer, if it reads them."""
    turn = turn_of(update, ctx, expecting)
    return turn.details if turn is not None else None


async def on_description(draft: Draft, update: Update, ctx: Context) -> Step:
    u = understand(update, ctx)
    draft.add_text(update.text or "")
    draft.absorb(u)
    draft.take_details(details_of(update, ctx, "description"), what=False)
    return Step()


async def on_category_choice(draft: Draft, update: Update, ctx: Context) -> Step:
    options = category_options(draft, ctx)
    picked = words.choice(update.text, len(options))
    if picked is not None:
        draft.category, draft.candidates = options[picked - 1], []
        draft.duplicate_checked = False
        # the resident says it is an emergency: a case at once, the category's notice (whom to call) first
        draft.urgent = draft.urgent or taxonomy(ctx).category(draft.category).priority == "urgent"
        return Step()
    u = understand(update, ctx)
    draft.absorb(u, overwrite=("category",))
    take_answer(draft, turn_of(update, ctx, "category"))  # a place or time said here fills its slot
    return Step(prefix="" if draft.category else T.NOT_UNDERSTOOD_CHOICE)


async def on_location_confirm(draft: Draft, update: Update, ctx: Context) -> Step:
    yes = words.is_word(update.text, words.CONFIRM) or kind_of(update, ctx, "choice") == CONFIRM
    if yes or words.choice(update.text, 2) == 1:
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
        details = details_of(update, ctx, "place")
        if details is not None and details.spot:  # the answer to "where" says where better than the first words
            draft.spot = details.spot[:SPOT_LIMIT]
        elif u.compound and u.place_detail:
            draft.spot = u.place_detail[:SPOT_LIMIT]
        draft.take_details(details)
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
    turn = turn_of(update, ctx, "building")
    if not await is_compound(draft.compound, ctx):  # asked where on a road or square: the answer is the spot
        spot = turn.details.spot if turn is not None and turn.details is not None else None
        if not passes_over(update, turn):  # "行" to "where on the road?" is no spot called 行
            draft.spot = (spot or (update.text or "").strip())[:SPOT_LIMIT] or None
        draft.skipped.append("building")
        return Step()
    if passes_over(update, turn):
        draft.skipped.append("building")  # "不清楚，好几栋都有": no building; what else it tells is taken below
    elif turn is not None:  # only a building reference is a building; anything else said is kept as detail
        if turn.value:
            draft.building = turn.value
        else:
            draft.skipped.append("building")
    elif u.building:
        draft.building = u.building
    else:
        draft.building = (update.text or "").strip()[:32] or None
    draft.absorb(u)
    take_answer(draft, turn)
    return Step()


async def on_time(draft: Draft, update: Update, ctx: Context) -> Step:
    u = understand(update, ctx)
    turn = turn_of(update, ctx, "time")
    if passes_over(update, turn):
        draft.skipped.append("time")
    elif turn is not None:  # the time as said; what else the answer tells joins the description
        draft.occurred = (turn.value or "")[:64] or None
        if draft.occurred is None:
            draft.skipped.append("time")
        take_answer(draft, turn)
    else:
        draft.occurred = u.time or (update.text or "").strip()[:64] or None
    return Step()


async def on_follow(draft: Draft, update: Update, ctx: Context) -> Step:
    """Offered after the resident confirmed: 1 follows that case; 2 makes the resident's own case."""
    yes = words.is_word(update.text, words.CONFIRM) or kind_of(update, ctx, "follow") == CONFIRM
    picked = words.choice(update.text, 2) or (1 if yes else None)
    if picked is None:
        return Step(state="offer_follow", prefix=T.NOT_UNDERSTOOD_CHOICE)
    number, draft.duplicate = draft.duplicate, None
    case = await cases.by_number(ctx.session, number) if picked == 1 else None
    if case is not None and case.status in lifecycle.UNFINISHED:
        who = reporter(update)
        if draft.own_duplicate:
            await reports.supplement(ctx.session, case, draft.description, draft.photos, who.actor, ctx.now)
            return Step(reply=Reply(text=T.SUPPLEMENTED.format(number=number)))
        added = await cases.follow(ctx.session, case, who, ctx.now)
        await cases.add_media(ctx.session, case, draft.photos, actor=who.actor, now=ctx.now)
        text = (T.FOLLOWED if added else T.ALREADY_FOLLOWING).format(number=number)
        return Step(reply=Reply(text=text))
    return Step(reply=await create(draft, update, ctx))  # 2, or the case closed meanwhile: their own case


async def on_confirm(draft: Draft, update: Update, ctx: Context) -> Step:
    text = update.text or ""
    turn = turn_of(update, ctx, "confirm")
    picked = words.choice(text, 3)
    if words.is_word(text, words.CONFIRM) or picked == 1 or (turn is not None and turn.kind == CONFIRM):
        return await confirmed(draft, update, ctx)
    if words.is_word(text, words.MODIFY) or picked == 2:
        return Step(state="modify")
    if picked == 3:
        return Step(reply=Reply(text=T.CANCELLED))
    if words.normalize(text) == "匿名":
        draft.anonymous = True
        return Step(state="confirm")
    u = understand(update, ctx)
    if u.phone:
        draft.phone = u.phone
        return Step(state="confirm")
    if words.normalize(text).isdigit():  # a number that is not an option: never a detail of the report
        return Step(state="confirm", prefix=T.NOT_UNDERSTOOD_CHOICE)
    draft.absorb(u)
    return Step(state="confirm", prefix=added_at_summary(draft, turn, text))


def added_at_summary(draft: Draft, turn, text: str) -> str:
    """Words at the summary that are not a choice: a skip word or a bare "不知道" adds nothing; a spot, time or
    scope fills its slot (the summary shows it); what happens joins the description and is said back; words
    the nlp cannot place anywhere are kept whole and said back, so nothing the resident says is lost."""
    if words.is_word(text, words.SKIP):
        return ""
    where = (draft.spot, draft.building, draft.occurred, draft.everywhere)
    added = take_answer(draft, turn)
    if added:
        return T.DETAIL_ADDED.format(detail=added[:60])
    details = turn.details if turn is not None else None
    if where != (draft.spot, draft.building, draft.occurred, draft.everywhere) or (details and details.unknown):
        return ""
    draft.add_text(text.strip())
    return T.DETAIL_ADDED.format(detail=text.strip()[:60])


def correct(draft: Draft, turn, ctx: Context, state: str) -> Step:
    """"不是3栋，是5栋", "改成晚上十点", at whatever step: the corrected slot replaces the old one, and the same
    question is asked again (at the summary, the summary shows the correction)."""
    value = (turn.value or "").strip()
    u = ctx.services.nlp.analyze(value) if value else None
    details = turn.details
    if u is not None and u.compound:
        draft.compound, draft.compound_candidates = u.compound, []
        draft.duplicate_checked = False
    if details is not None and details.building:
        draft.building = details.building
    elif u is not None and u.building:
        draft.building = u.building
    if details is not None and details.spot:
        draft.spot = details.spot
    if details is not None and details.time is not None:
        draft.occurred = details.time.said
    changed = (u is not None and u.compound) or (details is not None and (details.building or details.spot or details.time))
    if not changed and value:
        draft.add_text(value)
    return Step(state=state, prefix=T.CORRECTED.format(value=value[:60] or T.NOT_GIVEN))


async def confirmed(draft: Draft, update: Update, ctx: Context) -> Step:
    """The resident confirmed the summary: an open case of the same problem in the same place is offered
    now, not before (the offer names only its category, place and when it was reported), else the case."""
    if not draft.duplicate_checked:
        draft.duplicate_checked = True
        duplicate = await cases.find_duplicate(ctx.session, compound_id=draft.compound, category=draft.category,
                                               now=ctx.now)
        if duplicate is not None:
            draft.duplicate = duplicate.number
            draft.own_duplicate = await cases.visible_to(ctx.session, duplicate.number, reporter(update)) is not None
            return Step(state="offer_follow")
    return Step(reply=await create(draft, update, ctx))


MODIFY_CHOICES = ("category", "place", "description", "time", "phone")


async def on_modify(draft: Draft, update: Update, ctx: Context) -> Step:
    if words.normalize(update.text) in T.BACK_WORDS:
        return Step(state="confirm")
    picked = words.choice(update.text, len(MODIFY_CHOICES))
    if picked is None:
        return Step(state="modify", prefix=T.NOT_UNDERSTOOD_CHOICE)
    what = MODIFY_CHOICES[picked - 1]
    draft.duplicate_checked = False
    if what == "category":
        draft.category, draft.candidates = None, []
        return Step(state="choose_category")
    if what == "place":
        draft.compound, draft.building, draft.spot, draft.compound_candidates = None, None, None, []
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


async def on_urgent_place(draft: Draft, update: Update, ctx: Context) -> Step:
    """After an emergency case made without a place: a message naming a place is that case's place."""
    u = understand(update, ctx)
    if not (u.compound or draft.compound):
        return Step(state="add_place", prefix=T.URGENT_PLACE_NOT_FOUND)
    draft.absorb(u, overwrite=("compound", "building"))
    draft.take_details(details_of(update, ctx, "place"), what=False)
    return Step(reply=await attach_place(draft, update, ctx))


async def ask_urgent_place(draft: Draft, ctx: Context) -> str:
    return T.URGENT_ASK_PLACE.format(number=draft.urgent_case)


DIALOG = Dialog(
    name="intake",
    next=next_missing,
    states={
        "ask_description": State(ask_description, on_description, expecting="description"),
        "choose_category": State(ask_category, on_category_choice, expecting="category"),
        "confirm_location": State(ask_location_confirm, on_location_confirm, expecting="choice"),
        "choose_compound": State(ask_compound, on_compound_choice, expecting="compound_choice"),
        "ask_place": State(ask_place, on_place, expecting="place"),
        "ask_building": State(ask_building, on_building, expecting="building"),
        "ask_time": State(ask_time, on_time, expecting="time"),
        "confirm": State(ask_confirm, on_confirm, expecting="confirm"),
        "offer_follow": State(ask_follow, on_follow, expecting="follow"),
        "modify": State(ask_modify, on_modify, expecting="modify"),
        "ask_phone": State(ask_phone, on_phone, next=lambda draft, ctx: "confirm", expecting="phone"),
        "add_place": State(ask_urgent_place, on_urgent_place, expecting="place"),
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
    if draft.urgent and draft.category and not draft.urgent_case:
        return await create(draft, update, ctx)
    if draft.spot and draft.compound and "building" not in draft.skipped and not await is_compound(draft.compound,
                                                                                                  ctx):
        draft.skipped.append("building")  # at a road or a square the spot says where; there is no building
    state = DIALOG.next_state(ctx.dialog.state if ctx.dialog else None, draft, ctx, step)
    await ctx.store.set(state, {"draft": draft.to_data()}, ctx.now)
    ask = await DIALOG.ask(state, draft, ctx)
    return Reply(text=f"{step.prefix}\n{ask}" if step.prefix else ask)


async def create(draft: Draft, update: Update, ctx: Context) -> Reply:
    """Turn the finished draft into a case and tell the resident its number and what happens next.
    An emergency's case without a place waits for the next place or location the resident sends."""
    category = taxonomy(ctx).category(draft.category or "other")
    new = cases.NewCase(
        category=category.code, description=draft.description or category.name,
        priority=priority_of(category, draft.priority), channel="wechat", dept_id=category.department,
        compound_id=draft.compound, building=draft.building, spot=exact_spot(draft), occurred=draft.occurred,
        place_text=None if draft.compound else draft.place_text,
        lat=draft.lat, lng=draft.lng, urgent=draft.urgent, reporter=reporter(update), contact_phone=draft.phone,
        anonymous=draft.anonymous, media=draft.photos)
    case, officer = await reports.open_case(ctx.session, new, rules_for(ctx, category.code), policy(ctx), ctx.now)
    await ctx.store.clear()
    if draft.urgent:
        placed = draft.compound or draft.lat is not None
        if not placed:
            waiting = Draft(category=category.code, urgent=True, urgent_case=case.number)
            await ctx.store.set("add_place", {"draft": waiting.to_data()}, ctx.now)
        return Reply(text=T.URGENT_CREATED.format(notice=draft.advice or category.notice or T.URGENT_NOTICE,
                                                  number=case.number,
                                                  place_hint="" if placed else T.URGENT_PLACE_HINT))
    promise = T.PROMISE_SLOW if category.sla_overrides else T.PROMISE_1315
    who = T.OFFICER_ASSIGNED.format(name=officer.name) if officer else ""
    return Reply(text=T.CREATED.format(number=case.number, promise=who + promise))


async def attach_place(draft: Draft, update: Update, ctx: Context) -> Reply:
    """The place (compound or shared point) the emergency case `draft.urgent_case` waits for."""
    case = await cases.by_number(ctx.session, draft.urgent_case)
    await ctx.store.clear()
    if case is None:
        return Reply(text=T.MENU)
    place = reports.Place(compound_id=draft.compound, building=draft.building, spot=draft.spot, lat=draft.lat,
                          lng=draft.lng)
    await reports.add_place(ctx.session, case, place, rules_for(ctx, case.category), policy(ctx), ctx.now,
                            actor=reporter(update).actor)
    return Reply(text=T.URGENT_PLACE_ADDED.format(number=case.number))


# --- handlers ---------------------------------------------------------------------------------

INQUIRY = "inquiry"  # ctx.readings key of the front door's decision on a message at rest (handlers/knowledge.py)
router = Router("intake")


def draft_of(ctx: Context) -> Draft:
    return Draft.from_data(ctx.dialog.data if ctx.dialog else None)


async def expiry_prefix(ctx: Context) -> str:
    """Drop a draft idle past the timeout; say so once, before answering the new message."""
    if DIALOG.expired(ctx):
        notice = DIALOG.expiry_notice(ctx) if ctx.dialog.state != "add_place" else ""
        await ctx.store.clear()
        ctx.dialog = None
        return notice
    return ""


def is_text(update: Update, ctx: Context) -> bool:
    return update.kind == "text" or (update.kind == "voice" and bool(update.text))


TEXTUAL = Filter(is_text, "text")
ACTIVE = in_dialog(DIALOG)


def expecting(ctx: Context) -> str | None:
    return DIALOG.states[ctx.dialog.state].expecting if ctx.dialog and ctx.dialog.state in DIALOG.states else None


def cancels(update: Update, ctx: Context) -> bool:
    """The resident gives up the report. The turn reader decides where it reads the message: "不用了" to an
    optional question passes that question over, it does not drop the report."""
    turn = turn_of(update, ctx, expecting(ctx))
    if turn is not None:
        return turn.kind == CANCEL and not turn.skip
    return words.is_word(update.text, words.CANCEL)


@router.on(ACTIVE & TEXTUAL & Filter(cancels, "cancel"))
async def cancel(update: Update, ctx: Context) -> Reply:
    await ctx.store.clear()
    return Reply(text=T.CANCELLED)


def emergency(draft: Draft, update: Update, u) -> None:
    """An emergency told at any step: the draft becomes a top-priority case with the number to call first."""
    draft.add_text(update.text or "")
    draft.absorb(u)
    draft.urgent = True
    draft.category = u.category if u.category not in (None, "other") else "emergency"
    draft.candidates = []
    draft.advice = advice_of(u) or draft.advice


def advice_of(u) -> str | None:
    found = u.emergency
    return found.advice if found is not None and not found.hazard and found.advice else None


@router.on(ACTIVE & TEXTUAL)
async def answer(update: Update, ctx: Context) -> Reply:
    prefix = await expiry_prefix(ctx)
    if prefix or ctx.dialog is None:
        return prepend(prefix, await at_rest(update, ctx))
    draft = draft_of(ctx)
    u = understand(update, ctx)
    state = ctx.dialog.state
    if u.urgent and state != "add_place":  # whatever was being asked, an emergency goes first
        emergency(draft, update, u)
        return await advance(draft, update, ctx, Step())
    turn_kind = kind_of(update, ctx, expecting(ctx))
    if turn_kind in ASIDES:  # nothing for the report: answer briefly and ask the same question again
        prefix = await aside_prefix(turn_kind, update, ctx)
        return await advance(draft, update, ctx, Step(state=state, prefix=prefix))
    turn = turn_of(update, ctx, expecting(ctx))
    if turn_kind == CORRECTION and turn.value and state != "add_place" and expecting(ctx) != "description":
        # "不对，是8栋" corrects its slot at any step; to "what happened?" the words are the answer
        return await advance(draft, update, ctx, correct(draft, turn, ctx, state))
    if u.intent in ("greeting", "help") and state not in ("confirm", "offer_follow", "modify"):
        step = Step(state=state, prefix=T.MENU + "\n\n" + T.IN_DIALOG_REMINDER)
        return await advance(draft, update, ctx, step)
    if state == "add_place" and not (u.compound or u.compound_candidates):
        await ctx.store.clear()  # not a place: the emergency case stays as it is; this message is new
        ctx.dialog = None
        return await at_rest(update, ctx)
    step = await DIALOG.states[state].answer(draft, update, ctx)
    return await advance(draft, update, ctx, step)


async def at_rest(update: Update, ctx: Context) -> Reply:
    """A message once no dialog stands (an idle one was just dropped, or the emergency case took no place): the
    front door decides, as for any message at rest (a report, with the answer to what it asks; a question)."""
    from handlers import knowledge  # it routes after this module's filters, which it reuses

    await knowledge.inquiry_of(update, ctx)
    return await start(update, ctx) if is_complaint(update, ctx) else await aside(update, ctx)


async def aside(update: Update, ctx: Context) -> Reply:
    """Not a report and not in one: a question for the knowledge base, else a short answer by what the message
    is (the menu for anything else)."""
    from handlers import knowledge  # it routes after this module's filters, which it reuses

    return await knowledge.consult(update, ctx) or Reply(text=T.ASIDE_AT_REST.get(kind_of(update, ctx), T.MENU))


async def aside_prefix(turn_kind: str, update: Update, ctx: Context) -> str:
    """What to say to an aside before asking the step's question again: a question the knowledge base answers
    gets the answer."""
    from handlers import knowledge

    answer = await knowledge.known_answer(update, ctx) if turn_kind == QUESTION else None
    return T.KB_ANSWER_IN_DIALOG.format(answer=answer) if answer else T.ASIDE[turn_kind]


@router.on(kind("image"))
async def photo(update: Update, ctx: Context) -> Reply:
    prefix = await expiry_prefix(ctx)
    draft = draft_of(ctx)
    if ctx.dialog is not None and ctx.dialog.state == "add_place":
        ctx.dialog, draft = None, Draft()  # the emergency case is made; a photo now starts a new draft
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
    near = found is not None and found[1] <= LOCATION_MATCH_M
    if ctx.dialog is not None and ctx.dialog.state == "add_place":
        draft.compound = found[0].id if near else None
        return await attach_place(draft, update, ctx)
    if not near:
        return prepend(prefix, await advance(draft, update, ctx, Step(prefix=T.LOCATION_NOT_NEAR)))
    draft.location_compound, draft.location_distance = found[0].id, int(found[1])
    return prepend(prefix, await advance(draft, update, ctx, Step(prefix=T.LOCATION_START)))


async def start(update: Update, ctx: Context) -> Reply:
    """A new report from a first message, after the answer to what it asks when an entry answers it and both
    fit in one reply (the report's question must not be cut off)."""
    from handlers import knowledge

    reply = await on_first_text(Draft(), update, ctx)
    answer = knowledge.answer_beside_report(ctx)
    both = T.KB_ANSWER_BEFORE_REPORT.format(answer=answer) + "\n" + (reply.text or "") if answer else ""
    return replace(reply, text=both) if both and len(both.encode()) <= TEXT_LIMIT_BYTES else reply


async def on_first_text(draft: Draft, update: Update, ctx: Context) -> Reply:
    u = understand(update, ctx)
    draft.add_text(update.text or "")
    draft.absorb(u)
    draft.priority = u.emergency.priority if u.emergency is not None else None  # what the danger raises
    if u.urgent:
        emergency(draft, update, u)
    return await advance(draft, update, ctx, Step())


def is_complaint(update: Update, ctx: Context) -> bool:
    """A report to start. At rest, the front door's decision on the message when it was made (INQUIRY: the
    form reader's, what `kb ask` shows): a problem told with a demand ("…满出来两天了，请问什么时候来清一下") is a
    report though the turn reader alone reads a question there. Otherwise the nlp reads a complaint, and the
    message is not empty, chit-chat, a question to us or a staff command (those open no draft)."""
    if not is_text(update, ctx):
        return False
    decided = ctx.readings.get(INQUIRY)
    if decided is not None and ctx.dialog is None:
        return decided.intent == "complaint"
    if understand(update, ctx).intent != "complaint":
        return False
    return understand(update, ctx).urgent or not is_aside(update, ctx)


@router.on(Filter(is_complaint, "complaint"))
async def report(update: Update, ctx: Context) -> Reply:
    return await start(update, ctx)


def prepend(prefix: str, reply: Reply) -> Reply:
    return Reply(text=f"{prefix}\n{reply.text}") if prefix and reply.text else reply
