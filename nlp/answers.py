"""Details a resident gives in an answer: where exactly (`spot`: "南门", "6楼阳台", "3栋2单元楼道"), when (as
said, and normalised where it can be: "半夜一两点" -> 01:00-02:00, "每天晚上十点以后" -> daily from 22:00), which
building (only a building reference, never a sentence) or the whole compound, and what happens."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .extract import BUILDING_SPAN, BuildingRef, TimeFinder, TimeRef, find_building
from .lexicon import Lexicon
from .matcher import AnyOf
from .normalize import CN_NUMERAL_CHARS, cn_to_int

_HOUR = rf"(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]{{1,3}})"  # a number of the clock
_SMALL = "一二两三四五六七八九"
_PAIR = re.compile(rf"(十?[{_SMALL}]|\d{{1,2}})([{_SMALL}])\s*(?:点|时)")  # "一两点", "十一二点"
_CLOCK = re.compile(rf"({_HOUR})\s*(?:点|时)(半|一刻|多|钟)?")
_BEFORE = re.compile(r"^(?:以前|之前|前)")
_ROAD = r"[\u4e00-\u9fff]{2,6}?(?:大道|路|街|巷)"
_CROSSING = re.compile(rf"({_ROAD})\s*(?:和|与|跟|、|/)\s*({_ROAD})\s*(?:的)?(?:交叉口|交口|十字路口|路口|交汇处)")
_PUNCT = "，,。.！!？?；;：:、~～ "
_CORNERS = frozenset({"交叉口", "路口", "十字路口"})
_HOUSE_NUMBER = re.compile(r"\d{1,4}号$")
_CLAUSE_SPAN = re.compile(r"[^，,。.！!？?；;：:、~～\s]+")
_EMPTY_FRAGMENTS = frozenset({"小区", "小区里", "这里", "那里", "这边", "那边", "开始", "就开始", "都有", "也有", "有",
                              "这样", "都这样", "一直这样", "一般", "主要是", "大概", "差不多", "应该是"})
_LEADING = ("就是", "嗯", "那个", "就在", "在", "是", "呃", "额", "就", "都", "也", "还", "一般", "主要是", "主要",
            "大概", "差不多", "应该是", "那片", "那块", "那段", "那条", "那边", "这边", "靠近", "附近")
_LEAD_CHARS = frozenset("的了里")
_AFTER_PLACE = frozenset("上外内边")  # "单元门上全是", "西门外那个菜场": a particle of the place taken out
_TAIL_CHARS = frozenset("的里上吧啊呢呀哦")


@dataclass(frozen=True)
class TimeSlot:
    said: str  # as the resident said it: "每天晚上十点以后"
    part_of_day: str | None  # late_night | early_morning | morning | noon | afternoon | evening | daytime | weekend
    repeats: str | None  # daily | weekly | weekends | often
    start: str | None  # "22:00"
    end: str | None  # "02:00"

    @property
    def normalised(self) -> str | None:
        """"daily 22:00-", "01:00-02:00", "often 18:00-23:00"; None when nothing could be normalised."""
        window = f"{self.start or ''}-{self.end or ''}" if (self.start or self.end) else ""
        text = " ".join(p for p in (self.repeats, window) if p)
        return text or None


@dataclass(frozen=True)
class Details:
    spot: str | None  # sub-place as said, fillers dropped: "南门小广场", "6楼阳台"
    building: str | None  # "3栋", "3栋2单元": a building reference only
    scope: str | None  # "whole_compound" when the resident says it is everywhere
    unknown: bool  # the resident says they do not know
    time: TimeSlot | None
    what: str | None  # what happens, the answer left after place, building and time are taken out


class DetailReader:
    def __init__(self, lexicon: Lexicon):
        spot = lexicon.spot
        self._objects = frozenset(spot.get("objects", ()))
        self._after_object = (*spot.get("relative", ()), *spot.get("there", ()))
        self._not_spots = frozenset(spot.get("not_spots", ()))
        self._nouns = _alternation({*spot.get("nouns", ()), *spot.get("relative", ()), *self._objects, *self._not_spots})
        self._relative = frozenset(spot.get("relative", ()))
        self._anchors = tuple(sorted(spot.get("anchors", ()), key=len, reverse=True))
        self._filler = sorted(spot.get("filler", ()), key=len, reverse=True)
        self._whole = AnyOf(lexicon.scope.get("whole_compound", ()))
        self._unknown = AnyOf(lexicon.scope.get("unknown", ()))
        self._scope_words = _alternation({*lexicon.scope.get("whole_compound", ()), *lexicon.scope.get("unknown", ())})
        self._times = TimeFinder(lexicon)
        self._repeat_of = {w: kind for kind, words in reversed(lexicon.repeats.items()) for w in words}
        self._repeat_rank = {kind: i for i, kind in enumerate(lexicon.repeats)}  # the first kind listed wins
        self._repeats = _alternation(self._repeat_of)
        self._day_hours = lexicon.day_hours
        self._part_of = {cue: part for part, cues in lexicon.time.items() if part not in ("frequency", "recent")
                         for cue in cues}
        self._parts = _alternation(self._part_of)
        parts = "|".join(map(re.escape, sorted(self._part_of, key=len, reverse=True)))
        self._range = re.compile(rf"({_HOUR})\s*(?:点|时)?(半)?\s*(?:开始|起)?\s*(?:一直)?\s*(?:到|至|-|~|—)\s*"
                                 rf"({parts})?\s*({_HOUR})\s*(?:点|时)(半)?")

    def read(self, text: str, place_text: str | None = None, *, what: bool = True, when: TimeRef | None = None,
             building_ref: BuildingRef | None = None) -> Details:
        """Details of normalised `text`; `place_text` is the compound name found in it, if any; `what=False`
        leaves out what happens (the costliest part, not needed for a first message); `when` and
        `building_ref`, when the caller has them for this text, are not computed again."""
        masked = text.replace(place_text, " " * len(place_text)) if place_text else text  # "润园花园" is no 花园
        spot, spot_spans = self.spot(masked)
        building_ref = building_ref or find_building(text)
        building = building_ref.building if building_ref.number else None
        time = self.time(text, when)
        scope = "whole_compound" if self._whole(text) else None
        unknown = self._unknown(text)
        happens = self._what(text, spot_spans, time, place_text) if what else None
        return Details(spot, building, scope, unknown, time, happens)

    def spot(self, text: str) -> tuple[str | None, list[tuple[int, int]]]:
        """The sub-place named in `text` and the spans it was read from."""
        crossing = _CROSSING.search(text)
        if crossing:
            return crossing.group(0), [crossing.span()]
        nouns = [m for m in self._nouns.finditer(text) if m.group(0) not in self._not_spots]
        if not nouns:
            return None, []
        refs = [m.span() for m in BUILDING_SPAN.finditer(text)]
        pieces: list[tuple[int, int]] = []  # spot nouns, relative ones only after something named
        for match in nouns:
            start, noun = match.start(), match.group(0)
            before = [*refs, *pieces]
            end = start + len(noun)
            if noun in self._objects and not self._relative_after(text, end):
                continue  # "充电桩坏了": the thing reported, not where it is
            if start > 0 and text[start - 1] == " " and noun in _CORNERS:
                continue  # "…紫云路交叉口" after the place's own (masked) name: part of that place
            if noun in self._relative and not any(s < start <= e + 2 for s, e in before):
                anchor = self._anchor_before(text, start)
                if anchor is None:
                    continue
                start -= len(anchor)
            if noun.endswith("门") and text[end:end + 1] == "口":  # "南门口": the gate's mouth, same place
                end += 1
            pieces.append((start, end))
        if not pieces:
            return None, []
        attached = [r for r in refs if any(r[0] < s <= r[1] + 2 for s, _ in pieces)]
        groups: list[list[tuple[int, int]]] = []
        for span in _union(sorted([*pieces, *attached])):
            if groups and self._is_filler(text[groups[-1][-1][1]:span[0]]):
                groups[-1].append(span)
            else:
                groups.append([span])
        best = max(groups, key=lambda g: (sum(e - s for s, e in g), -g[0][0]))
        return "".join(text[s:e] for s, e in best), best

    def _relative_after(self, text: str, end: int) -> bool:
        return any(text.startswith(r, end) or text.startswith("的" + r, end) for r in self._after_object)

    def _anchor_before(self, text: str, start: int) -> str | None:
        """The named thing a relative word at `start` hangs on: an anchor word or a house number."""
        anchor = next((a for a in self._anchors if text.endswith(a, 0, start)), None)
        number = _HOUSE_NUMBER.search(text, 0, start)
        return anchor or (number.group(0) if number else None)

    def _is_filler(self, gap: str) -> bool:
        if len(gap) > 3:
            return False
        for word in self._filler:
            gap = gap.replace(word, "")
        return not gap.strip(_PUNCT)

    def time(self, text: str, found: TimeRef | None = None) -> TimeSlot | None:
        found = found or self._times.find(text)
        said = found.text
        if not said or (_is_duration(said) and not found.part_of_day and not _CLOCK.search(said)):
            return None
        day_parts = [p for p in (self._part_of[m.group(0)] for m in self._parts.finditer(said)) if p in self._day_hours]
        kinds = {self._repeat_of[m.group(0)] for m in self._repeats.finditer(text)}
        repeats = min(kinds, key=self._repeat_rank.__getitem__) if kinds else None
        start, end = self._window(said, day_parts[0] if day_parts else None)
        return TimeSlot(said, day_parts[0] if day_parts else found.part_of_day, repeats, start, end)

    def _window(self, said: str, part: str | None) -> tuple[str | None, str | None]:
        m = _PAIR.search(said)
        if m and cn_to_int(m.group(1)) is not None and cn_to_int(m.group(2)) is not None:
            first, second = cn_to_int(m.group(1)), cn_to_int(m.group(2))
            second = second + 10 if first >= 10 else second
            if second == first + 1:
                return _hhmm(first, 0, part), _hhmm(second, 0, part)
        m = self._range.search(said)
        if m and cn_to_int(m.group(1)) is not None and cn_to_int(m.group(4)) is not None:
            second_part = self._part_of[m.group(3)] if m.group(3) else part
            return (_hhmm(cn_to_int(m.group(1)), 30 if m.group(2) else 0, part),
                    _hhmm(cn_to_int(m.group(4)), 30 if m.group(5) else 0, second_part))
        m = _CLOCK.search(said)
        if m and cn_to_int(m.group(1)) is not None and cn_to_int(m.group(1)) <= 24:
            minute = {"半": 30, "一刻": 15}.get(m.group(2) or "", 0)
            at = _hhmm(cn_to_int(m.group(1)), minute, part)
            tail = said[m.end():]
            if _BEFORE.match(tail):
                return None, at
            return at, None
        if part in self._day_hours:
            a, b = self._day_hours[part]
            return f"{a:02d}:00", f"{b:02d}:00"
        return None, None

    def _what(self, text: str, spot_spans, time: TimeSlot | None, place_text: str | None) -> str | None:
        """The clauses of `text` less the place, spot, building and time at their edges: "半夜一两点，楼下那个
        烧烤摊的客人喝酒划拳" -> "楼下那个烧烤摊的客人喝酒划拳"; words inside a clause stay where they are."""
        taken = [False] * len(text)
        spans = [*spot_spans, *(m.span() for m in BUILDING_SPAN.finditer(text))]
        for piece in (time.said if time else None, place_text):
            at = text.find(piece) if piece else -1
            if at >= 0:
                spans.append((at, at + len(piece)))
        spans.extend(m.span() for m in self._scope_words.finditer(text))
        for start, end in spans:
            taken[start:end] = [True] * (end - start)
        kept = []
        for clause in _CLAUSE_SPAN.finditer(text):
            piece = _trim(text, taken, *clause.span())
            if _meaningful(piece) >= 2 and piece not in _EMPTY_FRAGMENTS and piece not in self._filler:
                kept.append(piece)
        what = "，".join(kept)
        return what if _meaningful(what) >= 3 else None


def _trim(text: str, taken: list[bool], start: int, end: int) -> str:
    """A clause without the taken characters and filler words at its two ends."""
    changed = True
    while changed and start < end:
        changed = False
        while start < end and (taken[start] or text[start] in _LEAD_CHARS
                               or text[start] in _AFTER_PLACE and start > 0 and taken[start - 1]):
            start, changed = start + 1, True
        while end > start and (taken[end - 1] or text[end - 1] in _TAIL_CHARS):
            end, changed = end - 1, True
        for word in _LEADING:
            if text.startswith(word, start) and end - start > len(word):
                start, changed = start + len(word), True
                break
    return text[start:end]


def _alternation(words) -> re.Pattern:
    """Leftmost-longest, non-overlapping matching of `words` (as PhraseMatcher does) in one C-level scan."""
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))) or "(?!)")


def _meaningful(text: str) -> int:
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum())


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _is_duration(said: str) -> bool:
    return bool(re.search(r"(?:天|周|星期|月|年)(?:了|多)", said))


def _hhmm(hour: int, minute: int, part: str | None) -> str:
    if part in ("afternoon", "evening") and hour < 12:
        hour += 12
    elif part == "late_night" and 5 <= hour < 12:
        hour += 12
    if hour in (12, 24) and part in ("late_night", "early_morning"):
        hour = 0
    return f"{hour % 24:02d}:{minute:02d}"
