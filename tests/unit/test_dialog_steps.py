"""Dialog steps as data (no HTTP, no database): each state holds its question, answer and next step;
timeouts and their texts follow configuration."""
import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from handlers.charging import CHARGING, Search, missing
from backend.clock import duration_text
from handlers.dialog import Dialog, State, Step
from handlers.draft import Draft, next_state
from handlers.intake import DIALOG
from handlers.router import Context
from handlers.services import Services
from storage.conversation import DialogState

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def ctx_in(state: str | None, idle: timedelta = timedelta(0), ttl: timedelta = timedelta(minutes=30)) -> Context:
    ctx = Context(session=None, now=NOW, services=Services(dialog_ttl=ttl))
    ctx.dialog = DialogState(state, {}, NOW - idle) if state else None
    return ctx


@pytest.mark.parametrize("dialog", [DIALOG, CHARGING], ids=lambda d: d.name)
def test_every_state_holds_a_question_and_an_answer(dialog):
    for name, state in dialog.states.items():
        assert callable(state.ask) and callable(state.answer), name


def test_the_answer_names_the_next_state_or_the_state_chooses_it():
    async def ask(slots, ctx):
        return f"question {slots}"

    async def answer(*args):
        return Step()

    talk = Dialog("talk", {"a": State(ask, answer, next=lambda s, c: "b"), "b": State(ask, answer)},
                  next=lambda s, c: "a")
    ctx = ctx_in("a")
    assert talk.next_state("a", None, ctx, Step(state="b")) == "b"
    assert talk.next_state("a", None, ctx, Step()) == "b"  # the state's own next
    assert talk.next_state("b", None, ctx, Step()) == "a"  # the dialog's default
    assert asyncio.run(talk.ask("b", 7, ctx)) == "question 7"


def test_intake_asks_for_the_most_important_missing_slot():
    assert next_state(Draft(), ()) == "ask_description"
    assert next_state(Draft(candidates=["noise", "parking"]), ()) == "choose_category"
    assert next_state(Draft(category="noise"), ()) == "ask_place"
    assert next_state(Draft(category="noise", compound_candidates=["a", "b"]), ()) == "choose_compound"
    assert next_state(Draft(category="noise", compound="c1"), ("building",)) == "ask_building"
    assert next_state(Draft(category="noise", compound="c1", skipped=["building"]), ("building",)) == "confirm"
    assert next_state(Draft(category="noise", compound="c1", duplicate="20261201-0001"), ()) == "offer_follow"


def test_the_phone_step_goes_back_to_the_summary():
    assert DIALOG.next_state("ask_phone", Draft(), ctx_in("ask_phone"), Step()) == "confirm"


def test_charging_asks_kind_then_place_then_lists():
    ctx = ctx_in(None)
    assert missing(Search(), ctx) == "charging_kind"
    assert missing(Search(kind="ebike"), ctx) == "charging_where"
    assert missing(Search(kind="ebike", lat=31.8, lng=117.2), ctx) == "charging_list"
    assert CHARGING.next_state(None, Search(kind="car"), ctx, Step()) == "charging_where"


@pytest.mark.parametrize("dialog, state", [(DIALOG, "confirm"), (CHARGING, "charging_list")], ids=["intake", "charging"])
def test_both_dialogs_expire_after_the_configured_idle_time(dialog, state):
    ttl = timedelta(minutes=5)
    assert not dialog.expired(ctx_in(state, idle=timedelta(minutes=4), ttl=ttl))
    assert dialog.expired(ctx_in(state, idle=timedelta(minutes=6), ttl=ttl))
    assert not dialog.expired(ctx_in(None, idle=timedelta(hours=9), ttl=ttl))


def test_the_expiry_text_says_the_configured_time():
    assert "45分钟" in DIALOG.expiry_notice(ctx_in("confirm", ttl=timedelta(minutes=45)))
    assert "2小时" in DIALOG.expiry_notice(ctx_in("confirm", ttl=timedelta(hours=2)))
    assert "30分钟" not in DIALOG.expiry_notice(ctx_in("confirm", ttl=timedelta(hours=2)))


@pytest.mark.parametrize("seconds, text", [(30, "30秒"), (600, "10分钟"), (5400, "1小时30分钟"), (7200, "2小时"),
                                           (183, "3分钟3秒")])
def test_durations_read_as_residents_say_them(seconds, text):
    assert duration_text(timedelta(seconds=seconds)) == text


def test_details_of_an_answer_fill_empty_slots_and_what_happens_joins_the_description():
    from types import SimpleNamespace as Details

    draft = Draft(description="楼下太吵了")
    said = Details(spot="南门小广场", building=None, scope=None, time=Details(said="半夜一两点"), what="有人喝酒划拳")
    assert draft.take_details(said) == "有人喝酒划拳"
    assert (draft.spot, draft.occurred) == ("南门小广场", "半夜一两点")
    assert draft.description == "楼下太吵了；有人喝酒划拳"
    assert draft.take_details(said) == ""  # said twice, kept once
    assert draft.take_details(None) == ""


def test_every_intake_state_says_what_it_expects():
    assert all(state.expecting for state in DIALOG.states.values())
    assert DIALOG.states["confirm"].expecting == "confirm" and DIALOG.states["ask_time"].expecting == "time"
