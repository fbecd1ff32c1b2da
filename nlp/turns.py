"""What a message received at a step of the intake dialog is: an answer to the question asked, a
confirmation, a cancellation, a correction, an added detail, a question, chit-chat, staff words, or nothing.

Word lists are data ([turn], [intent], [scope] of lexicon.toml); the order of the checks below is the rule."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .answers import DetailReader, Details
from .lexicon import Lexicon
from .matcher import AnyOf, any_pattern

ANSWER, CONFIRM, CANCEL, CORRECTION, DETAIL = "answer", "confirm", "cancel", "correction", "detail"
QUESTION, CHITCHAT, STAFF_COMMAND, EMPTY = "question", "chitchat", "staff_command", "empty"
TURN_KINDS = (ANSWER, CONFIRM, CANCEL, CORRECTION, DETAIL, QUESTION, CHITCHAT, STAFF_COMMAND, EMPTY)
# What the dialog asked for. A menu step takes a number as its answer; an optional one may be skipped.
MENUS = frozenset({"confirm", "category", "choice", "compound_choice", "modify", "follow"})
OPTIONAL = frozenset({"building", "time", "phone", "photo"})
EXPECTING = frozenset({None, "report", "description", "compound", "place", *MENUS, *OPTIONAL})

SHORT = 12  # characters (words only) of a reply that is all confirmation, cancellation or chit-chat
QUESTION_MAX = 30
SHORT_QUESTION = 10  # a question this short is one even when it names a problem ("要提供车牌吗？")
_NOT_WORD = re.compile(r"[^\w]+")
_CLAUSE = re.compile(r"[，,。.！!？?；;、\s]+")
_PARTICLES = "了啊呀吧的哦呢嘛哈啦么"
_MENU_NUMBER = re.compile(r"^(?:第)?(\d{1,2})(?:个|号|项)?$")
_BARE_BUILDING = re.compile(r"^(\d{1,3})$")


class Indefinites:
    """A question word that asks nothing: after a negation ("没什么要改的了", "没啥问题"), or as "any" before 都/也
    ("什么垃圾都有", "几天都不退", "谁也不管"). Taken out before any reader looks for question words ([turn]
    indefinite and indefinite_patterns of lexicon.toml)."""

    def __init__(self, words, patterns=()):
        # a negation inside an A-not-A asks ("有没有什么补贴" is no "没有什么"): a word opened by 没 after 有 stays
        phrases = [("(?<!有)" if w.startswith("没") else "") + re.escape(w) for w in sorted(words, key=len, reverse=True)]
        self._pattern = any_pattern([*phrases, *patterns])

    def out_of(self, text: str) -> str:
        return self._pattern.sub("", text) if self._pattern is not None else text


def unrepeated(word: str) -> str:
    """A word said over and over, as one ("对对对" → "对", "好的好的" → "好的"); anything else unchanged."""
    for size in range(1, len(word) // 2 + 1):
        if len(word) % size == 0 and word == word[:size] * (len(word) // size):
            return word[:size]
    return word


@dataclass(frozen=True)
class Turn:
    kind: str  # one of TURN_KINDS
    text: str  # the message, normalised
    value: str | None = None  # the answer or corrected value ("5栋"), a menu number, a staff verb; for a detail
    # the new fact: the whole text when no dialog is open, what happens (place and time taken out) inside one
    skip: bool = False  # an optional question passed over ("不知道", "不用了"), or none of a menu's options
    details: Details | None = None  # spot, building, scope, time, what happens


class TurnReader:
    def __init__(self, lexicon: Lexicon, details: DetailReader,
                 has_evidence: Callable[[str], bool] = lambda text: False):
        """`has_evidence(text)`: the text names a problem (category keywords or an emergency)."""
        turn, intent = lexicon.turn, lexicon.intent
        self._confirm_words = frozenset((*intent.get("confirm", ()), *turn.get("confirm", ())))
        self._confirm = AnyOf(turn.get("confirm", ()))
        self._not_confirm = tuple(turn.get("not_confirm", ()))
        self._cancel_words = frozenset((*intent.get("cancel", ()), *turn.get("cancel", ())))
        self._cancel = AnyOf(self._cancel_words)
        self._correction = sorted(turn.get("correction", ()), key=len, reverse=True)
        self._correction_lead = sorted(turn.get("correction_lead", ()), key=len, reverse=True)
        self._question = AnyOf(turn.get("question", ()))
        self.indefinites = Indefinites(turn.get("indefinite", ()), turn.get("indefinite_patterns", ()))
        self._chitchat_words = sorted(turn.get("chitchat", ()), key=len, reverse=True)
        self._chitchat = AnyOf(self._chitchat_words)
        self._asking = AnyOf(turn.get("asking", ()))
        self._request = AnyOf(turn.get("request", ()))
        self._greeting = frozenset(intent.get("greeting", ()))
        self._skip = frozenset(turn.get("skip", ()))
        self._none_of = frozenset(turn.get("none_of", ()))
        verbs = "|".join(map(re.escape, lexicon.staff_words))
        self._staff = re.compile(r"^\s*(%s)(?:\s+\S.*|\s*[#＃]?\d.*)?$" % verbs, re.S)
        self._details = details
        self._has_evidence = has_evidence

    def read(self, text: str, expecting: str | None = None, place_text: str | None = None,
             details: Details | None = None, names: bool | None = None) -> Turn:
        """`text` normalised; `expecting` what the dialog asked (see EXPECTING); `place_text` the compound
        name found in the text, so it is not taken for what happens; `details` of the text and whether it
        `names` a problem, when the caller has read them already (the analyzer's), so they are not read again."""
        bare = _NOT_WORD.sub("", text).replace("_", "")
        if not text.strip():
            return Turn(EMPTY, text)
        if not bare:
            return Turn(QUESTION if any(c in text for c in "?？") else CHITCHAT, text)
        details = self._details.read(text, place_text) if details is None else details
        staff = self._staff.match(text)
        if staff:
            return Turn(STAFF_COMMAND, text, value=staff.group(1), details=details)
        number = _MENU_NUMBER.match(bare)
        if number and expecting in MENUS:
            return Turn(ANSWER, text, value=number.group(1), details=details)
        if expecting in MENUS and expecting != "confirm" and bare.rstrip(_PARTICLES) in self._none_of:
            return Turn(ANSWER, text, value=None, skip=True, details=details)  # none of the options
        return (self._short_reply(text, bare, expecting, details, names)
                or self._correction_of(text, bare, details)
                or (None if place_text else self._question_or_chat(text, bare, details, names))
                or self._answer(text, bare, expecting, details))

    def _names_problem(self, text: str, names: bool | None) -> bool:
        """Whether the whole text names a problem: what the caller read (`names`), or else read now."""
        return self._has_evidence(text) if names is None else names

    def _short_reply(self, text: str, bare: str, expecting: str | None, details: Details,
                     names: bool | None) -> Turn | None:
        first = _NOT_WORD.sub("", _CLAUSE.split(text.strip(), maxsplit=1)[0])
        if first != bare and len(first) <= SHORT // 2 and self._cancel(first) and not self._has_evidence(first):
            return Turn(CANCEL, text, details=details)  # "不报了，我自己去找物业": opens with a cancellation
        if len(bare) > SHORT or self._names_problem(text, names):
            return None
        core = unrepeated(bare.rstrip(_PARTICLES) or bare)  # "对对对", "好好好": said three times, meant once
        if expecting in OPTIONAL and (core in self._skip or bare in self._skip):
            return Turn(ANSWER, text, skip=True, details=details)
        if core in self._cancel_words or any(bare.startswith(w) for w in self._cancel_words) or self._cancel(bare):
            return Turn(CANCEL, text, details=details)
        if core in self._confirm_words or self._confirms(bare) or self._opens_with_confirm(text):
            return Turn(CONFIRM, text, details=details)
        return None

    def _opens_with_confirm(self, text: str) -> bool:
        """"可以，麻烦你们了", "行吧，交上去": the first clause is a bare yes and what follows only agrees or
        thanks. A clause that adds something ("对了，晚上更严重": 对了 is "by the way") is not a yes."""
        first, *rest = _CLAUSE.split(text.strip(), maxsplit=1)
        core = _NOT_WORD.sub("", first).rstrip(_PARTICLES)
        later = _NOT_WORD.sub("", "".join(rest))
        if core not in self._confirm_words or self._cancel(later) or self._asks(later):
            return False
        return not later or self._confirms(later) or later in self._confirm_words or self._only_chitchat(later)

    def _only_chitchat(self, text: str) -> bool:
        """Nothing but pleasantries ("麻烦你们了", "谢谢")."""
        rest = text
        for word in self._chitchat_words:
            rest = rest.replace(word, "")
        return len(rest.rstrip(_PARTICLES)) <= 2

    def _confirms(self, bare: str) -> bool:
        word = self._confirm.first(bare)
        if not word:
            return False
        before = bare[: bare.find(word)]
        return not any(before.endswith(n) for n in self._not_confirm) and not self._asks(bare)

    def _asks(self, bare: str) -> bool:
        """A question word that is not an indefinite after a negation ("没什么要改的" asks nothing)."""
        return bool(self._question(self.indefinites.out_of(bare)))

    def _correction_of(self, text: str, bare: str, details: Details) -> Turn | None:
        head = next((w for w in self._correction if bare.startswith(w)), None)
        if head is None:
            return None
        rest = text[text.find(head[-1]) + 1:].strip("，,。.！!？?；;：: ")
        clauses = [c for c in _CLAUSE.split(rest) if c]
        if len(clauses) > 1:  # "不是紫云湾，是紫云府": the wrong value, then the right one
            rest = clauses[-1]
        for lead in self._correction_lead:
            if rest.startswith(lead) and len(rest) > len(lead):
                rest = rest[len(lead):]
                break
        new = self._details.read(rest) if rest else details
        value = new.building if new.building and len(_NOT_WORD.sub("", rest)) <= 8 else rest or None
        return Turn(CORRECTION, text, value=value, details=new)

    def _question_or_chat(self, text: str, bare: str, details: Details, names: bool | None) -> Turn | None:
        names_problem = self._names_problem(text, names)
        if not names_problem and self._is_chitchat(bare):
            return Turn(CHITCHAT, text, details=details)
        asks = text.rstrip().endswith(("?", "？")) or self._asks(bare) or self._asking(bare)
        if not asks or len(bare) > QUESTION_MAX or details.spot or details.building or self._request(bare):
            return None
        if names_problem and not (self._asking(bare) or len(bare) <= SHORT_QUESTION):
            return None  # "楼下烧烤的油烟怎么这么大？": a report phrased as a question
        return Turn(QUESTION, text, details=details)

    def _is_chitchat(self, bare: str) -> bool:
        """All chit-chat ("你是机器人吗", "哈哈哈"), or opened by a chit-chat phrase ("谢谢你们上次帮忙")."""
        if bare in self._greeting or any(bare.startswith(w) for w in self._chitchat_words if len(w) > 1):
            return True
        rest = bare
        for word in self._chitchat_words:
            rest = rest.replace(word, "")
        return len(bare) <= SHORT and rest != bare and len(rest.strip(_PARTICLES + "你我您们是吗")) <= 2

    def _answer(self, text: str, bare: str, expecting: str | None, details: Details) -> Turn:
        if expecting == "building":
            number = _BARE_BUILDING.match(bare)
            value = details.building or (f"{number.group(1)}栋" if number else None)
            return Turn(ANSWER, text, value=value, skip=value is None and details.unknown, details=details)
        if expecting == "time":
            value = details.time.said if details.time else None
            return Turn(ANSWER, text, value=value, skip=value is None and details.unknown, details=details)
        if expecting in ("compound", "place", "description", "phone", "photo"):
            return Turn(ANSWER, text, value=text, details=details)
        if expecting in (None, "report"):  # no dialog yet: the whole message is the report
            return Turn(DETAIL, text, value=text, details=details)
        # at a menu or the summary: words that are not a choice are a new fact for the report
        return Turn(DETAIL, text, value=details.what or text, details=details)
