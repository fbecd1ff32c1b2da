"""Is a message a question to the street, a report of a problem, or neither? Read from its form, not from
its topic: the same words ("楼道", "电瓶车", "充电") make a question in "楼道里能不能给电瓶车充电" and a report in
"楼道里有人给电瓶车充电，太危险了".

A question must never swallow a complaint, so report signals win; what a report also asks ("…这种僵尸车谁来
处理") is answered beside it when an entry answers it, before the report dialog's first question. A rhetorical
question, a demand that the street act ("能不能派人来看看", "啥时候能补一下") or a judgement of what someone else
does ("这合法吗", "这种也能开吗") makes a report whatever it names: residents complain of more than the
categories' words know. A problem named in a message that asks nothing, or that tells of something happening
("有人", "天天", "又"), makes a report too, unless the question is the resident's own errand: how to get
something done ("怎么申请", "要什么材料"), what they mean to do ("想处理掉，能直接放…吗"), or a question they open
("想问下"). Otherwise a clause in question form
(a question word, an "A不A" form such as 能不能/让不让, a question mark) or an opener ("请问") makes it a question;
context around the question ("家里有个旧床垫要扔，咋弄") does not turn it into a report. A question word that means
"any" ("什么垃圾都有", "谁也不管") asks nothing (the turn reader's indefinites)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from .matcher import AnyOf, any_pattern
from .normalize import CLAUSE_BREAK, clauses

QUESTION, REPORT, NEITHER = "question", "report", "neither"
_A_NOT_A = re.compile(r"(\w)[不没]\1")  # 能不能, 行不行, 让不让, 算不算, 有没有, 是不是
_QUESTION_MARK = ("?", "？")


@dataclass(frozen=True)
class Form:
    kind: str  # question | report | neither
    names_problem: bool  # some category's keywords or an emergency rule speak in the text
    why: str  # the signal that decided, for `kb ask --json` and the tests
    asks: bool  # some clause is in question form (a report may ask too: "路灯坏了三天了，归谁管？")


class FormReader:
    def __init__(self, words: Mapping[str, Sequence[str]], names_a_problem: Callable[[str], bool],
                 indefinites: Callable[[str], str] = lambda text: text):
        """`indefinites(text)`: the text without its indefinites ("没什么"), as the turn reader reads it."""
        self._ask = AnyOf(words.get("ask", ()))
        self._ask_pattern = any_pattern(words.get("ask_patterns", ()))
        self._opener = AnyOf(words.get("opener", ()))
        self._rhetorical = AnyOf(words.get("rhetorical", ()))
        self._demand_pattern = any_pattern(words.get("demand_patterns", ()))
        self._procedure = AnyOf(words.get("procedure", ()))
        self._errand = any_pattern(words.get("errand_patterns", ()))
        self._fact = AnyOf(words.get("fact", ()))
        self._fact_pattern = any_pattern(words.get("fact_patterns", ()))
        self._names_a_problem = names_a_problem
        self._without_indefinites = indefinites
        markers = "|".join(map(re.escape, words.get("hypothetical", ())))
        self._supposed = re.compile(f"(?:{markers})[^{CLAUSE_BREAK}]*") if markers else None  # to its clause's end
        self._no_fact = any_pattern(words.get("no_fact_patterns", ()))

    def asks(self, clause: str) -> bool:
        clause = self._without_indefinites(clause)
        return bool(self._ask(clause) or _A_NOT_A.search(clause) or self._opener(clause)
                    or (self._ask_pattern is not None and self._ask_pattern.search(clause)))

    def _tells_of_something(self, text: str) -> bool:
        """Something happening is told; how often, asked ("每天几点以后才能打电钻"), and the resident's own habit
        ("我每天跑完单都十一点了") tell of nothing."""
        if self._no_fact is not None:
            text = self._no_fact.sub(" ", text)
        return self._fact(text) or (self._fact_pattern is not None and self._fact_pattern.search(text) is not None)

    def _told(self, text: str) -> str:
        """The text less what it supposes ("要是坏了找谁修" to the end of its clause)."""
        return self._supposed.sub(" ", text) if self._supposed is not None else text

    def _demands(self, text: str) -> bool:
        return bool(self._rhetorical(text) or (self._demand_pattern is not None and self._demand_pattern.search(text)))

    def _own_errand(self, text: str) -> bool:
        """What it asks is how to get something done, or what the resident means to do ("想处理掉"), or it opens
        the question ("想问下")."""
        return bool(self._procedure(text) or self._opener(text)
                    or (self._errand is not None and self._errand.search(text)))

    def read(self, text: str, names: bool | None = None) -> Form:
        """`text` normalised; `names`: whether it names a problem, when the caller has read that already (the
        analyzer's `Understanding.names_problem`). A message that supposes ("要是坏了…") reports only what it tells
        happening outside the supposition ("垃圾堆着，要是招了老鼠谁管"); a demand made only about what it supposes ("要是坏了找谁修") is
        the resident's question."""
        parts = clauses(text)
        names = self._names_a_problem(text) if names is None else names
        told = self._told(text)
        happening = self._tells_of_something(told)
        present = names and (told == text or happening)
        asked = any(self.asks(c) for c in parts) or text.rstrip().endswith(_QUESTION_MARK)
        if self._demands(text if present else told):
            return Form(REPORT, names, "rhetorical", asked)
        if present and not asked:
            return Form(REPORT, names, "told", asked)
        if present and happening and not self._own_errand(text):
            return Form(REPORT, names, "happening", asked)
        if asked:
            return Form(QUESTION, names, "asked", asked)
        return Form(NEITHER, names, "plain", asked)

CONSULTATION, COMPLAINT, OTHER = "consultation", "complaint", "other"
INQUIRY_INTENTS = (CONSULTATION, COMPLAINT, OTHER)
# The analyzer's intents and turn kinds that are no question for the knowledge base (a greeting, a survey rating,
# a yes to a question asked, chit-chat, a staff command). Charging, progress and help questions are: in the chat their own conversations come first.
NOT_ASKING = frozenset({"survey_answer", "greeting", "cancel", "confirm", "deny", "chitchat", "staff_command", "empty"})
ASIDES = ("chitchat", "staff_command", "empty")  # what the turn reader finds that is no question to the street
CHAT_MAX = 15  # characters: a longer message opened by "你好" or "谢谢" is no chit-chat, whatever it opens with


TOPIC_MAX = 12  # characters of a bare topic asked without a question form ("大件垃圾预约", "居住证办理")


@dataclass(frozen=True)
class Inquiry:
    """The front door's decision on one message: a question (answered by `faq_id`, or by nobody when it is
    None), a complaint for the report dialog (with `faq_id` when it also asks what an entry answers: "路灯坏了三天
    了，到底归谁管？" gets the answer and the report dialog), or something else for the other conversations."""

    text: str
    intent: str  # consultation | complaint | other
    faq_id: str | None
    score: float
    candidates: list[tuple[str, float]]
    why: str = ""
    offered: tuple[str, ...] = ()  # a consultation no entry answers: the entries near enough to pick from

    def as_json(self) -> dict:
        return {"text": self.text, "intent": self.intent, "faq_id": self.faq_id, "score": self.score,
                "candidates": [[c, s] for c, s in self.candidates], "offered": list(self.offered), "why": self.why}


def answerable(form: Form, *, urgent: bool, hazard: bool) -> bool:
    """Whether any entry may answer the message, so whether the knowledge base is searched at all: never an
    emergency (the number to call comes first, alone); a report or a feared hazard only when it asks
    ("…万一着火了谁负责": the entry on things piled in stairwells, said before the report dialog)."""
    return not urgent and (form.asks or (form.kind != REPORT and not hazard))


def decide(text: str, form: Form, *, urgent: bool, intent: str,
           found: tuple[str | None, float, list[tuple[str, float]]], hazard: bool = False) -> Inquiry:
    """`form` of the text, the analyzer's `urgent` and `intent`, whether it tells of a feared `hazard` (the
    emergency rules read one: "瓷砖松了，怕哪天掉下来", where 哪天 is "some day", not a question), and what the
    knowledge base `found` (faq_id above the threshold or None, best score, candidates), kept only when the
    message is `answerable`."""
    faq_id, score, candidates = found
    if not answerable(form, urgent=urgent, hazard=hazard):
        faq_id = None
    if urgent:
        return Inquiry(text, COMPLAINT, None, score, candidates, "urgent")
    if hazard and form.names_problem:
        return Inquiry(text, COMPLAINT, faq_id, score, candidates, "hazard")
    if form.kind == REPORT:
        return Inquiry(text, COMPLAINT, faq_id, score, candidates, form.why)
    if intent in NOT_ASKING and not (intent == "survey_answer" and form.kind == QUESTION):
        # a survey's word inside a question ("一般多久有人来": 一般 is "usually") asks; the survey, when one is
        # waiting, reads its answer before any question is looked up
        return Inquiry(text, OTHER, None, score, candidates, intent)
    if form.kind == QUESTION:
        return Inquiry(text, CONSULTATION, faq_id, score, candidates, form.why)
    if faq_id is not None and not form.names_problem and len(text) <= TOPIC_MAX:
        return Inquiry(text, CONSULTATION, faq_id, score, candidates, "topic")
    # told, not asked: a report when the analyzer reads one (the report dialog takes it, as before the knowledge
    # base), else something for the other conversations
    told = form.names_problem or intent == "complaint"
    return Inquiry(text, COMPLAINT if told else OTHER, None, score, candidates, form.why)
