"""Emergencies: a danger happening now (call a number first), a hazard someone fears, or one that is over.

The rules are data (emergencies.toml): kinds with cue phrases and combinations, and the words that make a
mention hypothetical ("万一着火"), denied ("没有着火") or past ("昨天着过火，现在没事了")."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .matcher import PhraseMatcher

DEFAULT_RULES = Path(__file__).with_name("emergencies.toml")
NOW, HAZARD, PAST = "now", "hazard", "past"
_SENTENCE = re.compile(r"[^。！？!?\n；;]+")
_CLAUSE = re.compile(r"[^，,。！？!?\n；;、\s]+")


@dataclass(frozen=True)
class EmergencyKind:
    code: str
    name: str
    number: str
    also: tuple[str, ...]
    category: str
    advice: str
    cues: tuple[str, ...]
    combos: tuple[tuple[re.Pattern, ...], ...]  # each group one compiled alternation
    weak: bool = False
    smoke: bool = False  # read from smoke, sparks or flames: a benign source of those silences its combinations


@dataclass(frozen=True)
class Emergency:
    kind: str  # fire | gas | electric | trapped | injury | collapse | drowning | violence | unspecified
    name: str  # Chinese name of the kind
    number: str  # the number to call first, e.g. "119"
    numbers: tuple[str, ...]  # every number worth giving (all kinds happening now), first one first
    advice: str  # what to do at once (Chinese); empty for a hazard
    hazard: bool  # feared, hypothetical or over: a priority, but no call advice
    past: bool  # it happened and is over ("昨天着过火，现在没事了")
    kinds: tuple[str, ...]  # every kind found in the same reading (now kinds for an emergency)
    evidence: tuple[str, ...]  # the words that fired
    category: str  # taxonomy code for the case
    priority: str  # "urgent" for an emergency, the rules' hazard priority otherwise

    @property
    def call(self) -> bool:
        """Tell the resident to call `number` now."""
        return not self.hazard


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    words: tuple[str, ...]
    state: str | None  # NOW | HAZARD | PAST, None when denied


def _words(raw) -> tuple[str, ...]:
    return tuple(w.lower() for w in raw)


def _rarity(group: str) -> tuple[int, int]:
    """Groups whose shortest word is longest (then with fewest words) match least often: checked first."""
    words = [w for w in group.split("|") if w.strip()]
    return min(map(len, words)), -len(words)


def _expand(group: str, groups: dict[str, str]) -> str:
    """A combination's group with the named word groups it uses ("@person|路人") written out."""
    words = []
    for word in group.split("|"):
        word = word.strip()
        if word.startswith("@"):
            if word[1:] not in groups:
                raise ValueError(f"emergency rules: no word group named {word!r}")
            words.extend(_expand(groups[word[1:]], groups).split("|"))
        elif word:
            words.append(word)
    return "|".join(words)


def _group(group: str) -> re.Pattern:
    words = sorted({w.strip().lower() for w in group.split("|") if w.strip()}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


class EmergencyRules:
    def __init__(self, path: str | Path | None = None):
        with open(Path(path) if path else DEFAULT_RULES, "rb") as f:
            raw = tomllib.load(f)
        reading = raw["reading"]
        self.negation = PhraseMatcher(_words(reading["negation"]))
        self.negation_reach = int(reading.get("negation_reach", 3))
        self.hypothetical = _words(reading["hypothetical"])
        self.hypothetical_near = _words(reading.get("hypothetical_near", ()))
        self.hypothetical_reach = int(reading.get("hypothetical_reach", 2))
        self.risk_after = _words(reading.get("risk_after", ()))
        self.risk_reach = int(reading.get("risk_reach", 4))
        self.simile_after = _words(reading.get("simile_after", ()))
        self.minor = _words(reading.get("minor", ()))
        self.past = _words(reading.get("past", ()))
        self.still = _words(reading.get("still", ()))
        self.still_reach = int(reading.get("still_reach", 6))
        self.resolved = _words(reading.get("resolved", ()))
        self.benign = _words(reading.get("benign", ()))
        self.hazard_priority = reading.get("hazard_priority", "high")
        self.hazard_category = reading.get("hazard_category", "public_order")
        self.hazard_min_probability = float(reading.get("hazard_min_probability", 0.1))
        combos = {code: [[_expand(g, raw.get("groups", {})) for g in combo] for combo in k.get("combos", ())]
                  for code, k in raw["kinds"].items()}
        self.kinds = {code: EmergencyKind(
            code=code, name=k["name"], number=k["number"], also=tuple(k.get("also", ())),
            category=k.get("category", "emergency"), advice=k.get("advice", ""), cues=_words(k.get("cues", ())),
            combos=tuple(tuple(_group(g) for g in sorted(combo, key=_rarity, reverse=True))
                         for combo in combos[code]),
            weak=bool(k.get("weak", False)), smoke=bool(k.get("smoke", False))) for code, k in raw["kinds"].items()}
        self._cue_kind = {cue: code for code, k in self.kinds.items() for cue in k.cues}
        self._cues = PhraseMatcher(self._cue_kind)
        # a message can only tell of danger if it has a cue or the rarest part of some combination (the group
        # whose shortest word is longest): one C-level scan rules out most messages before any per-kind work
        rarest = [_words(max(combo, key=_rarity).split("|")) for kind in combos.values() for combo in kind]
        triggers = sorted({*self._cue_kind, *(w for group in rarest for w in group if w)}, key=len, reverse=True)
        self._trigger = re.compile("|".join(map(re.escape, triggers)))

    def read(self, text: str) -> Emergency | None:
        """The emergency or hazard `text` (normalised) tells of, or None."""
        if not self._trigger.search(text):
            return None
        hits = [h for h in self._hits(text) if h.state is not None]
        if not hits:
            return None
        now = [h for h in hits if h.state == NOW]
        strong_now = [h for h in now if not self.kinds[h.kind].weak]
        if now:
            chosen = strong_now or now
            return self._emergency(chosen, NOW)
        hazards = [h for h in hits if h.state == HAZARD and not self.kinds[h.kind].weak]
        past = [h for h in hits if h.state == PAST and not self.kinds[h.kind].weak]
        if hazards:
            return self._emergency(hazards, HAZARD)
        if past:
            return self._emergency(past, PAST)
        return None

    def _emergency(self, hits: list[_Hit], state: str) -> Emergency:
        hits = sorted(hits, key=lambda h: h.start)
        kinds = tuple(dict.fromkeys(h.kind for h in hits))
        first = self.kinds[kinds[0]]
        numbers = tuple(dict.fromkeys(n for code in kinds for n in (self.kinds[code].number, *self.kinds[code].also)))
        evidence = tuple(dict.fromkeys(w for h in hits for w in h.words))
        hazard = state != NOW
        return Emergency(kind=first.code, name=first.name, number=first.number, numbers=numbers,
                         advice="" if hazard else first.advice, hazard=hazard, past=state == PAST, kinds=kinds,
                         evidence=evidence, category=first.category,
                         priority=self.hazard_priority if hazard else "urgent")

    def _hits(self, text: str) -> list[_Hit]:
        hits = []
        for sentence in _SENTENCE.finditer(text):
            s0, body = sentence.start(), sentence.group(0)
            for start, cue in self._cues.find(body):
                hits.append(_Hit(self._cue_kind[cue], s0 + start, (cue,), self._state(text, s0 + start, len(cue))))
            benign = any(w in body for w in self.benign)
            for code, kind in self.kinds.items():
                for combo in () if benign and kind.smoke else kind.combos:
                    hit = self._combo(text, s0, body, code, combo)
                    if hit:
                        hits.append(hit)
        return hits

    def _combo(self, text: str, s0: int, body: str, code: str, combo) -> _Hit | None:
        found = []
        for group in combo:
            m = group.search(body)
            if m is None:
                return None
            found.append((m.start(), m.group(0)))
        start, word = max(found)  # read the combination where its last part stands
        return _Hit(code, s0 + start, tuple(w for _, w in sorted(found)), self._state(text, s0 + start, len(word)))

    def _state(self, text: str, start: int, size: int) -> str | None:
        """How the danger named at text[start:start+size] is meant: NOW, HAZARD, PAST, or None (denied)."""
        clause = _clause_around(text, start)
        before, after = text[clause[0]:start], text[start + size:clause[1]]
        if self._denied(before) or any(after[:2 + len(w)].find(w) >= 0 for w in self.simile_after):
            return None
        near = before[-(self.hypothetical_reach + 2):]
        if (any(w in before for w in self.hypothetical) or any(w in near for w in self.hypothetical_near)
                or any(w in after[: self.risk_reach + len(w)] for w in self.risk_after)
                or any(w in before or w in after for w in self.minor)):
            return HAZARD
        if any(w in text[start + size:] for w in self.resolved):
            return PAST
        sentence_before = text[_sentence_start(text, start):start]
        if any(w in sentence_before for w in self.past) and not self._goes_on(text, clause):
            return PAST
        return NOW

    def _goes_on(self, text: str, clause: tuple[int, int]) -> bool:
        """A still-word in the danger's clause or in a short clause right after it ("…着过火，现在还在冒烟"
        is not "…着过火，现在楼道又堆满了杂物")."""
        following = _CLAUSE.search(text, clause[1])
        here = text[clause[0]:clause[1]]
        after = following.group(0) if following and len(following.group(0)) <= self.still_reach else ""
        return any(w in here or w in after for w in self.still)

    def _denied(self, before: str) -> bool:
        for start, word in self.negation.find(before):
            if len(before) - (start + len(word)) <= self.negation_reach:
                return True
        return False


def _sentence_start(text: str, at: int) -> int:
    for m in _SENTENCE.finditer(text):
        if m.start() <= at < m.end():
            return m.start()
    return at


def _clause_around(text: str, at: int) -> tuple[int, int]:
    for m in _CLAUSE.finditer(text):
        if m.start() <= at < m.end():
            return m.start(), m.end()
    return at, at
