"""The charging chat: where is a free charging spot near me, and tell me when one frees up.

    entry: the charging intent (nlp), "充电桩" and the like, or the menu key CHARGING
      -> charging_kind   "电瓶车还是汽车？"                 when the message did not say
      -> charging_where  "请发送位置或小区名"               when there is no location: not in the message,
                                                          and no compound from the resident's earlier reports
      -> charging_list   the nearest 3 stations with free spots (free/total, freshness, a map link);
                         a number subscribes to that station, "有空位提醒我" to any within the radius,
                         a new location searches again
    "取消提醒" ends the resident's alert, in or out of the dialog.

The states live in the person's dialog store, apart from the intake dialog's. A charging question in the
middle of a report keeps the report's draft and gives it back when the charging talk ends: after a
subscription, on "取消", or as soon as the resident says something that is not a charging answer (the
`settle` middleware then restores the draft before the routers choose, so intake gets that message).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from backend import cases, charging, places
from backend.charging import ChargingPolicy, StationState
from handlers import texts as T
from handlers import words
from handlers.dialog import Dialog, State, Step, in_dialog, in_state
from handlers.intake import TEXTUAL, reporter, understand
from handlers.router import Context, Filter, Router, kind
from handlers.types import TEXT_LIMIT_BYTES, Reply, Update
from storage.conversation import DialogState

LISTED = 3


@dataclass
class Search:
    """The slots of one charging conversation."""

    kind: str | None = None
    lat: float | None = None
    lng: float | None = None
    origin: str | None = None  # what the distances are from, as shown ("您的位置", a compound's name)
    listed: list[str] = field(default_factory=list)  # station ids, in the order shown
    then_subscribe: bool = False  # "有空位提醒我" came before there was anything to subscribe to
    resume: dict | None = None  # the dialog this one interrupted: {"state", "data", "updated_at"}

    @classmethod
    def of(cls, ctx: Context) -> "Search":
        if ctx.dialog is None or ctx.dialog.state not in CHARGING.states:
            return cls()
        known = {k: v for k, v in (ctx.dialog.data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def policy(ctx: Context) -> ChargingPolicy:
    return ctx.services.charging_policy


# --- reading messages ----------------------------------------------------------------------------------

def kind_in(text: str | None) -> str | None:
    t = words.normalize(text)
    ebike = any(w in t for w in T.CHARGING_EBIKE_WORDS)
    car = any(w in t for w in T.CHARGING_CAR_WORDS)
    return "ebike" if ebike and not car else "car" if car and not ebike else None


def is_entry(update: Update, ctx: Context) -> bool:
    if update.kind == "event":
        return update.event == "click" and update.event_key == "CHARGING"
    if not TEXTUAL(update, ctx):
        return False
    return words.normalize(update.text) in T.CHARGING_WORDS or understand(update, ctx).intent == "charging_query"


def says(vocabulary: set[str]) -> Filter:
    return Filter(lambda u, c: TEXTUAL(u, c) and words.normalize(u.text) in vocabulary, "says")


def picks_kind(update: Update, ctx: Context) -> bool:
    return TEXTUAL(update, ctx) and (words.choice(update.text, 2) is not None or kind_in(update.text) is not None)


def names_place(update: Update, ctx: Context) -> bool:
    u = understand(update, ctx) if TEXTUAL(update, ctx) else None
    return u is not None and bool(u.compound or u.compound_candidates)


def picks_station(update: Update, ctx: Context) -> bool:
    return TEXTUAL(update, ctx) and words.choice(update.text, len(Search.of(ctx).listed)) is not None


SUBSCRIBE = says(T.CHARGING_SUBSCRIBE_WORDS)
CANCEL_ALERT = says(T.CHARGING_CANCEL_ALERT_WORDS)
CANCEL = says(words.CANCEL)
ENTRY = Filter(is_entry, "charging entry")


def belongs(update: Update, ctx: Context) -> bool:
    """Is this message an answer within the charging dialog the person is in?"""
    state = ctx.dialog.state
    return (update.kind == "location" or ENTRY(update, ctx) or SUBSCRIBE(update, ctx) or CANCEL(update, ctx)
            or CANCEL_ALERT(update, ctx)
            or (state == "charging_kind" and picks_kind(update, ctx))
            or (state == "charging_where" and names_place(update, ctx))
            or (state == "charging_list" and picks_station(update, ctx)))


# --- the dialog store ------------------------------------------------------------------------------------

async def save(ctx: Context, state: str, search: Search) -> None:
    await ctx.store.set(state, asdict(search), ctx.now)


async def leave(ctx: Context) -> bool:
    """End the charging talk; give back the dialog it interrupted (True) or clear the state."""
    resume = Search.of(ctx).resume
    if resume:
        at = datetime.fromisoformat(resume["updated_at"])
        await ctx.store.set(resume["state"], resume["data"], at)
        ctx.dialog = DialogState(resume["state"], resume["data"], at)
        return True
    await ctx.store.clear()
    ctx.dialog = None
    return False


async def settle(update: Update, ctx: Context) -> None:
    """Router middleware (after load_dialog): a charging dialog that is idle too long, or that this message
    does not answer, ends here, so the other routers see the person's previous dialog (or none)."""
    if not ACTIVE(update, ctx) or (update.kind == "event" and update.event != "click"):
        return  # automatic events (LOCATION reports, template callbacks) neither answer nor end it
    if CHARGING.expired(ctx) or not belongs(update, ctx):
        await leave(ctx)


def begin(ctx: Context) -> Search:
    """A fresh search; keeps (or stashes) the dialog it interrupts."""
    current = ctx.dialog
    if current is not None and current.state in CHARGING.states:
        return Search(resume=Search.of(ctx).resume)
    if current is not None:
        return Search(resume={"state": current.state, "data": current.data,
                              "updated_at": current.updated_at.isoformat()})
    return Search()


# --- answers ---------------------------------------------------------------------------------------------

def age(at: datetime, now: datetime) -> str:
    seconds = max(0, (now - at).total_seconds())
    if seconds < 60:
        return T.CHARGING_JUST_NOW
    if seconds < 3600:
        return T.CHARGING_MINUTES_AGO.format(m=int(seconds // 60))
    return T.CHARGING_HOURS_AGO.format(h=int(seconds // 3600))


def distance_text(metres: float) -> str:
    return T.CHARGING_DISTANCE_M.format(m=int(round(metres, -1))) if metres < 1000 \
        else T.CHARGING_DISTANCE_KM.format(km=metres / 1000)


def line(n: int, s: StationState, now: datetime) -> str:
    total = s.station.spots
    if s.status == "available":
        state = T.CHARGING_STATE_FREE.format(free=s.free, total=total, fresh=age(s.reported_at, now))
    elif s.status == "full":
        state = T.CHARGING_STATE_FULL.format(total=total, fresh=age(s.reported_at, now))
    else:
        state = T.CHARGING_STATE_UNAVAILABLE.format(total=total)
    return T.CHARGING_LINE.format(n=n, name=s.station.name, distance=distance_text(s.distance_m or 0),
                                  state=state, url=charging.navigation_url(s.station))


def fit(template: str, entries: list[str], **fields) -> tuple[str, int]:
    """The list with as many entries as fit WeChat's 2048-byte text limit, and how many that is."""
    while True:
        text = template.format(lines="\n".join(entries), **fields)
        if len(text.encode()) <= TEXT_LIMIT_BYTES or len(entries) <= 1:
            return text, len(entries)
        entries = entries[:-1]


async def show(update: Update, ctx: Context, search: Search, prefix: str = "") -> Reply:
    """Ask what is missing, or list the nearest stations with free spots."""
    if search.kind is not None and search.lat is None:
        place = await known_compound(update, ctx)
        if place is not None:
            search.lat, search.lng, search.origin = place.lat, place.lng, place.name
            prefix += T.CHARGING_FROM_COMPOUND.format(place=place.name)
    state = CHARGING.next_state(None, search, ctx, Step())
    if state == "charging_list":  # the prefix counts against the reply's byte limit
        text = await ask_station(search, ctx, prefix)
    else:
        text = prefix + await CHARGING.ask(state, search, ctx)
    if state == "charging_list" and not search.listed:
        return Reply(text=text)  # no station of that kind at all: nothing to choose from
    if state == "charging_list" and search.then_subscribe:
        search.then_subscribe = False
        confirm = await subscribe_area(update, ctx, search)
        return Reply(text=f"{text}\n\n{confirm}")
    await save(ctx, state, search)
    return Reply(text=text)


def missing(search: Search, ctx: Context) -> str:
    if search.kind is None:
        return "charging_kind"
    return "charging_where" if search.lat is None else "charging_list"


async def ask_kind(search: Search, ctx: Context) -> str:
    return T.CHARGING_ASK_KIND


async def ask_where(search: Search, ctx: Context) -> str:
    return T.CHARGING_ASK_WHERE.format(kind=T.CHARGING_KIND[search.kind])


async def ask_station(search: Search, ctx: Context, prefix: str = "") -> str:
    """The nearest stations with free spots (or the nearest at all when none is free), after `prefix`,
    within WeChat's reply limit; sets `listed`."""
    p = policy(ctx)
    found = await charging.nearest(ctx.session, search.lat, search.lng, ctx.now, p, kind=search.kind, limit=LISTED)
    template = T.CHARGING_LIST
    if not found:
        found = await charging.nearest(ctx.session, search.lat, search.lng, ctx.now, p, kind=search.kind,
                                       limit=LISTED, free_only=False)
        template = T.CHARGING_NONE_FREE
    kind_name = T.CHARGING_KIND[search.kind]
    if not found:
        search.listed = []
        return prefix + T.CHARGING_NO_STATIONS.format(kind=kind_name)
    footer = T.CHARGING_FOOTER.format(radius=p.alert_radius_m, hours=hours(ctx))
    text, shown = fit(prefix + template, [line(n, s, ctx.now) for n, s in enumerate(found, 1)],
                      origin=search.origin or T.CHARGING_ORIGIN_LOCATION, kind=kind_name, footer=footer)
    search.listed = [s.station.id for s in found[:shown]]
    return text


async def known_compound(update: Update, ctx: Context) -> places.Place | None:
    """The compound of the resident's latest report that had one."""
    for entry in await cases.cases_of(ctx.session, reporter(update)):
        if entry.case.compound_id:
            return next((p for p in await places.all_places(ctx.session) if p.id == entry.case.compound_id), None)
    return None


async def place_named(update: Update, ctx: Context) -> places.Place | None:
    u = understand(update, ctx)
    wanted = u.compound or (u.compound_candidates[0] if u.compound_candidates else None)
    if wanted is None:
        return None
    return next((p for p in await places.all_places(ctx.session) if p.id == wanted), None)


def hours(ctx: Context) -> str:
    ttl = policy(ctx).alert_ttl_s
    return str(ttl // 3600) if ttl % 3600 == 0 else f"{ttl / 3600:.1f}"


async def subscribe_area(update: Update, ctx: Context, search: Search) -> str:
    p = policy(ctx)
    await charging.subscribe(ctx.session, update.platform, update.user_id, kind=search.kind, now=ctx.now, policy=p,
                             lat=search.lat, lng=search.lng)
    back = await leave(ctx)
    return T.CHARGING_SUBSCRIBED_AREA.format(origin=search.origin or T.CHARGING_ORIGIN_LOCATION,
                                            radius=p.alert_radius_m, kind=T.CHARGING_KIND[search.kind],
                                            hours=hours(ctx)) + (T.CHARGING_DRAFT_BACK if back else "")


# --- the dialog: a state's answer, then the declaration ------------------------------------------------

async def chose_kind(update: Update, ctx: Context) -> Reply:
    search = Search.of(ctx)
    picked = words.choice(update.text, 2)
    search.kind = ("ebike", "car")[picked - 1] if picked else kind_in(update.text)
    return await show(update, ctx, search)


async def named_place(update: Update, ctx: Context) -> Reply:
    search = Search.of(ctx)
    place = await place_named(update, ctx)
    if place is None:
        return Reply(text=T.CHARGING_PLACE_NOT_FOUND)
    search.lat, search.lng, search.origin = place.lat, place.lng, place.name
    return await show(update, ctx, search)


async def chose_station(update: Update, ctx: Context) -> Reply:
    search = Search.of(ctx)
    station_id = search.listed[words.choice(update.text, len(search.listed)) - 1]
    p = policy(ctx)
    state = await charging.state_of(ctx.session, station_id, ctx.now, p)
    await charging.subscribe(ctx.session, update.platform, update.user_id, kind=state.station.kind, now=ctx.now,
                             policy=p, station_id=station_id)
    back = await leave(ctx)
    text = T.CHARGING_SUBSCRIBED_STATION.format(name=state.station.name, hours=hours(ctx))
    if state.status == "available":
        text = T.CHARGING_FREE_NOW.format(free=state.free) + text
    return Reply(text=text + (T.CHARGING_DRAFT_BACK if back else ""))


# Each answer is a router handler (update, ctx) -> Reply, reached through the state's filter below.
CHARGING = Dialog(
    name="charging",
    next=missing,
    states={
        "charging_kind": State(ask_kind, chose_kind),
        "charging_where": State(ask_where, named_place),
        "charging_list": State(ask_station, chose_station),
    },
)
ACTIVE = in_dialog(CHARGING)
ANSWERS = {"charging_kind": Filter(picks_kind, "kind"), "charging_where": Filter(names_place, "place"),
           "charging_list": Filter(picks_station, "station number")}


# --- handlers ---------------------------------------------------------------------------------------------

router = Router("charging")


@router.on(CANCEL_ALERT)
async def cancel_alert(update: Update, ctx: Context) -> Reply:
    ended = await charging.cancel(ctx.session, update.platform, update.user_id, ctx.now)
    return Reply(text=T.CHARGING_ALERT_CANCELLED if ended else T.CHARGING_NO_ALERT)


@router.on(ACTIVE & kind("location"))
async def location(update: Update, ctx: Context) -> Reply:
    search = Search.of(ctx)
    search.lat, search.lng, search.origin = update.location.lat, update.location.lng, None
    return await show(update, ctx, search)


@router.on(ACTIVE & CANCEL)
async def close(update: Update, ctx: Context) -> Reply:
    back = await leave(ctx)
    return Reply(text=T.CHARGING_CLOSED + (T.CHARGING_DRAFT_BACK if back else ""))


@router.on(SUBSCRIBE)
async def subscribe(update: Update, ctx: Context) -> Reply:
    search = Search.of(ctx)
    if ctx.dialog is not None and ctx.dialog.state == "charging_list" and search.lat is not None:
        return Reply(text=await subscribe_area(update, ctx, search))
    if not ACTIVE(update, ctx):
        search = begin(ctx)
    search.then_subscribe = True
    return await show(update, ctx, search)


for _name, _state in CHARGING.states.items():
    router.on(in_state(CHARGING, _name) & ANSWERS[_name])(_state.answer)


@router.on(ENTRY)
async def start(update: Update, ctx: Context) -> Reply:
    search = begin(ctx)
    if TEXTUAL(update, ctx):
        u = understand(update, ctx)
        search.kind = u.charging_kind or kind_in(update.text)
        place = await place_named(update, ctx) if (u.compound or u.compound_candidates) else None
        if place is not None:
            search.lat, search.lng, search.origin = place.lat, place.lng, place.name
    return await show(update, ctx, search)
