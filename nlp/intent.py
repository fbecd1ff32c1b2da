"""What the resident wants from this message: complaint, status query, charging query, survey answer,
greeting, help, cancel, confirm or deny. Staff commands are recognised by their grammar in handlers/."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .survey_words import SurveyWords
from .lexicon import Lexicon
from .matcher import AnyOf

COMPLAINT = "complaint"
STATUS_QUERY = "status_query"
CHARGING_QUERY = "charging_query"
SURVEY_ANSWER = "survey_answer"
GREETING = "greeting"
HELP = "help"
CANCEL = "cancel"
CONFIRM = "confirm"
DENY = "deny"
INTENTS = (COMPLAINT, STATUS_QUERY, CHARGING_QUERY, SURVEY_ANSWER, GREETING, HELP, CANCEL, CONFIRM, DENY)

SHORT_REPLY = 8  # characters (after dropping punctuation and emoji) of a bare reply such as "好的" or "不是"
_NOT_WORD = re.compile(r"[^\w]+")
# a bare score ("3", "5分", "五星") reads as a survey's answer; what it means depends on the question it answers
_SCORE = re.compile(r"^[1-5一二三四五]\s*(?:分|星|颗星)?$")


@dataclass(frozen=True)
class IntentReading:
    intent: str
    rating: str | None = None  # the survey's level the words give (lexicon.toml [survey])
    resolved: bool | None = None  # the resident says the problem is (not) solved


class IntentRecogniser:
    def __init__(self, lexicon: Lexicon):
        words = lexicon.intent
        self._status = AnyOf(words.get("status_query", ()))
        self._greeting = frozenset(words.get("greeting", ()))
        self._help = AnyOf(words.get("help", ()))
        self._cancel = words.get("cancel", ())
        self._confirm = frozenset(words.get("confirm", ()))
        self._deny = frozenset(words.get("deny", ()))
        self.survey_words = SurveyWords(lexicon)  # the survey handler reads answers with it too
        charging = lexicon.charging
        self._charging_place = AnyOf(charging.get("place", ()))
        self._charging_ask = AnyOf(charging.get("ask", ()))
        self._charging_complaint = AnyOf(charging.get("complaint", ()))

    def read(self, text: str, *, has_category_evidence: bool, case_number: str | None) -> IntentReading:
        bare = _NOT_WORD.sub("", text)
        rating, resolved = self.survey_words.level(bare), self.survey_words.solved(text)
        if case_number:
            return IntentReading(STATUS_QUERY, rating, resolved)
        if not bare:
            return IntentReading(HELP if text.strip() in ("?", "？") else COMPLAINT)
        if len(bare) <= SHORT_REPLY:
            short = self._short_reply(bare, text)
            if short:
                return IntentReading(short, rating, resolved)
        answering = rating is not None or resolved is not None or _SCORE.match(bare)
        if answering and not has_category_evidence and len(bare) <= 20:
            return IntentReading(SURVEY_ANSWER, rating, resolved)
        if self._is_charging_query(text):
            return IntentReading(CHARGING_QUERY)
        if self._status(text) and len(bare) <= 30:
            return IntentReading(STATUS_QUERY, rating, resolved)
        if not has_category_evidence and len(bare) <= 12:
            if any(bare.startswith(g) for g in self._greeting):
                return IntentReading(GREETING)
            if self._help(text):
                return IntentReading(HELP)
        return IntentReading(COMPLAINT, rating, resolved)

    def _short_reply(self, bare: str, text: str) -> str | None:
        if any(bare.startswith(c) for c in self._cancel):
            return CANCEL
        if bare in self._deny or bare.rstrip("了啊呀吧的") in self._deny:
            return DENY
        if bare in self._confirm or bare.rstrip("了啊呀吧的哦") in self._confirm:
            return CONFIRM
        if bare in self._greeting or bare.rstrip("啊呀吧的哦") in self._greeting:
            return GREETING
        if self._help(bare):
            return HELP
        return None

    def _is_charging_query(self, text: str) -> bool:
        return self._charging_place(text) and self._charging_ask(text) and not self._charging_complaint(text)
