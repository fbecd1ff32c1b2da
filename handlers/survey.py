"""Answers to satisfaction surveys: 满意 / 基本满意 / 不满意, or 1 / 2 / 3, with an optional comment, and
the resident's own words of discontent ("没解决", "还是老样子") in reply to the resolution push.

What an answer answers is the last question put to the resident (`backend.surveys.question_for`): a
survey waiting for them, the resolution push of one of their cases, or one they answered already. How
far a message may be read as an answer depends on that and on whether a dialog is going on:

- rating words answer a waiting survey at any time; anything else only outside a dialog (in a dialog the
  resident's words belong to the dialog);
- bare numbers only answer a survey that offered them (the resolution push offers none);
- words of discontent are an answer only when they open the message and it does not read as a report of
  another problem (an emergency, another place or another kind of problem than the case's).
"""
from __future__ import annotations

import re
import unicodedata

from backend import lifecycle, surveys, workflow
from handlers import intake, texts as T
from handlers.casework import policy, rules_for
from handlers.intake import reporter, understand
from handlers.router import Context, Filter, Router, SkipHandler
from handlers.types import Reply, Update
NUMBER = re.compile(r"^\s*([123１２３])[\s,，。.、:：]*(.*)$", re.S)
# the survey offers its answers numbered in their order ("回复 1 满意，2 基本满意，3 不满意")
NUMBER_RATING = {str(n): rating for n, rating in enumerate(surveys.RATINGS, 1)}
FIRST_CLAUSE = re.compile(r"[，。,.!！?？;；\n]")
FIRST_CLAUSE_CHARS = 16  # longer, and the words of discontent are part of a report, not an answer

router = Router("survey")


def reading(update: Update, ctx: Context) -> tuple[str, str, str] | None:
    """(rating, comment, how) if the text may be a survey answer; how: word | number | words."""
    text = (update.text or "").strip()
    words = ctx.services.nlp.intents.survey_words  # declared once in nlp/lexicon.toml, as the intents read them
    answer = words.answer(text)
    if answer:
        return *answer, "word"
    if ctx.dialog is not None:
        return None
    match = NUMBER.match(text)
    if match:
        return NUMBER_RATING[unicodedata.normalize("NFKC", match.group(1))], match.group(2).strip(), "number"
    first = FIRST_CLAUSE.split(text, 1)[0]
    if text and len(first) <= FIRST_CLAUSE_CHARS and words.unsolved(first):
        return "unsatisfied", text, "words"
    return None


def looks_like_answer(update: Update, ctx: Context) -> bool:
    return intake.is_text(update, ctx) and reading(update, ctx) is not None


def answers(question: surveys.Question, how: str, update: Update, ctx: Context) -> bool:
    """Whether a message read `how` answers `question` (the rules in the module's docstring)."""
    if ctx.dialog is not None or how == "number":
        return question.kind == "survey"
    if how == "words":
        return question.case is not None and not about_something_else(update, ctx, question.case)
    return True


def about_something_else(update: Update, ctx: Context, case) -> bool:
    """The message reads as a report of its own: an emergency, another place, another kind of problem."""
    u = understand(update, ctx)
    if u is None:
        return False
    other_place = u.compound is not None and u.compound != case.compound_id
    other_kind = not u.ask_category and u.category != case.category
    return u.urgent or other_place or other_kind


@router.on(Filter(looks_like_answer, "survey answer"))
async def survey_answer(update: Update, ctx: Context) -> Reply:
    rating, comment, how = reading(update, ctx)
    who = reporter(update)
    question = await surveys.question_for(ctx.session, who, ctx.now)
    if question is None or not answers(question, how, update, ctx):
        raise SkipHandler  # nothing asked: the words mean whatever they mean elsewhere
    settled = await surveys.settle(ctx.session, question, who, rating, comment or None, ctx.now)
    return Reply(text=await consequence(settled, comment or None, ctx, who.actor))


async def consequence(settled: surveys.Settled, comment: str | None, ctx: Context, actor: str) -> str:
    """Carry out what the answer calls for (重办, or a flag to the supervisor) and say what happened."""
    case = settled.case
    if case is None:
        return T.CAMPAIGN_THANKS
    await workflow.after_answer(ctx.session, settled, comment, rules_for(ctx, case.category), policy(ctx), ctx.now,
                                actor=actor)
    state = T.SURVEY_CASE_NOW[lifecycle.group_of(case.status)].format(number=case.number)
    return T.SURVEY_THANKS[settled.outcome].format(number=case.number, label=settled.label, state=state)
