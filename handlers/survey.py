"""Answers to satisfaction surveys: 满意 / 基本满意 / 不满意, or 1 / 2 / 3, with an optional comment.

Rating words are recognised at any time a survey is pending; bare numbers only when no dialog is going
on (in a dialog "1" answers the dialog's own question)."""
from __future__ import annotations

import re

from backend import surveys, workflow
from handlers import intake, texts as T
from handlers.casework import policy, rules_for
from handlers.router import Context, Filter, Router, SkipHandler
from handlers.types import Reply, Update

WORDS = re.compile(r"^\s*(非常不满意|很不满意|不满意|不太满意|基本满意|比较满意|还算满意|非常满意|很满意|满意)[\s,，。!！:：]*(.*)$", re.S)
RATING_OF = {"非常不满意": "unsatisfied", "很不满意": "unsatisfied", "不满意": "unsatisfied", "不太满意": "unsatisfied",
             "基本满意": "basic", "比较满意": "basic", "还算满意": "basic",
             "非常满意": "satisfied", "很满意": "satisfied", "满意": "satisfied"}
NUMBER = re.compile(r"^\s*([123１２３])[\s,，。.、:：]*(.*)$", re.S)
NUMBER_RATING = {"1": "satisfied", "2": "basic", "3": "unsatisfied", "１": "satisfied", "２": "basic", "３": "unsatisfied"}

router = Router("survey")


def reading(update: Update, ctx: Context) -> tuple[str, str] | None:
    """(rating, comment) if the text reads as a survey answer here."""
    text = update.text or ""
    match = WORDS.match(text)
    if match:
        return RATING_OF[match.group(1)], match.group(2).strip()
    match = NUMBER.match(text)
    if match and ctx.dialog is None:
        return NUMBER_RATING[match.group(1)], match.group(2).strip()
    return None


def looks_like_answer(update: Update, ctx: Context) -> bool:
    return intake.is_text(update, ctx) and reading(update, ctx) is not None


@router.on(Filter(looks_like_answer, "survey answer"))
async def survey_answer(update: Update, ctx: Context) -> Reply:
    pending = await surveys.pending_for(ctx.session, update.platform, update.user_id)
    if pending is None:  # no survey waiting: the words mean whatever they mean elsewhere
        raise SkipHandler
    rating, comment = reading(update, ctx)
    who = f"resident:{update.platform}:{update.user_id}"
    done = await surveys.answer(ctx.session, pending, rating, comment or None, ctx.now, actor=who)
    if done.case is None:
        return Reply(text=T.CAMPAIGN_THANKS)
    if done.reopened:
        await workflow.unsatisfied(ctx.session, done.case, comment or None, rules_for(ctx, done.case.category),
                                   policy(ctx), ctx.now, actor=who)
    return Reply(text=T.SURVEY_THANKS[rating].format(number=done.case.number))
