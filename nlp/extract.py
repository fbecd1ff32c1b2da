"""Extractors of the details a case needs: building/unit/room, time, phone, case number,
repeat, hearsay and the kind of charging asked about (emergencies: emergencies.py). All work on normalised text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon
from .matcher import AnyOf, PhraseMatcher
from .normalize import CN_NUMERAL_CHARS, cn_to_int

_NUM = rf"(?:\d{{1,4}}|[{CN_NUMERAL_CHARS}]{{1,4}})"
_BUILDING_WORD = r"(?:号楼|号栋|栋楼|栋|幢|#楼|#|号院|座)"
_NOT_FLOOR = r"(?!道|下|上|梯|顶|房|盘)"  # 楼道, 楼下, 楼梯… are places, not floors
_BUILDING = re.compile(rf"({_NUM}|[a-z])\s*{_BUILDING_WORD}")
_UNIT = re.compile(rf"({_NUM})\s*单元")
_ROOM = re.compile(r"(\d{3,4})\s*(?:室|号房|房间)|(?:单元|栋|幢|#)\s*(\d{3,4})(?!\d)")
_FLOOR = re.compile(rf"({_NUM})\s*(?:楼|层){_NOT_FLOOR}")
# where a building, unit or floor reference stands in a text ("3栋2单元502", "2单元", "6楼"), for spots
BUILDING_SPAN = re.compile(rf"(?:{_NUM}|[a-z])\s*{_BUILDING_WORD}(?:\s*{_NUM}\s*单元)?(?:\s*\d{{3,4}}\s*室?)?"
                           rf"|{_NUM}\s*单元|{_NUM}\s*(?:楼|层){_NOT_FLOOR}")
_CASE_NUMBER = re.compile(r"(?<!\d)(20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\s*-\s*(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8})(?!\d)")
_CLOCK = re.compile(rf"({_NUM})\s*(?:点|时)(半|多|钟|一刻)?")
_TIME_TAIL = re.compile(rf"(?:以后|之后|以前|之前|左右|开始|起|到{_NUM}(?:点|时)(?:半|多)?|前后)")
_DURATION = re.compile(rf"(?:{_NUM}|好几|几|半)(?:个)?(?:天|周|星期|个月|月|年)(?:了|多了|多)")
_DOUBLE_YOU = re.compile(r"又.{1,3}又")


@dataclass(frozen=True)
class BuildingRef:
    building: str | None  # normalised: "3栋", "3栋2单元", "3栋2单元502室"
    number: str | None  # building number or letter as written after normalisation: "3", "a"
    unit: int | None
    room: str | None
    floor: int | None


def find_building(text: str) -> BuildingRef:
    number = unit = room = floor = None
    m = _BUILDING.search(text)
    if m:
        raw = m.group(1)
        value = cn_to_int(raw)
        number = str(value) if value is not None else raw.upper()
    m = _UNIT.search(text)
    if m:
        unit = cn_to_int(m.group(1))
    m = _ROOM.search(text)
    if m:
        room = m.group(1) or m.group(2)
    m = _FLOOR.search(text)
    if m and not (number and m.group(0).startswith(m.group(1)) and _BUILDING.match(text, m.start())):
        floor = cn_to_int(m.group(1))
    parts = []
    if number:
        parts.append(f"{number}栋")
    if unit is not None and (number or room):
        parts.append(f"{unit}单元")
    if room and number:
        parts.append(f"{room}室")
    return BuildingRef("".join(parts) or None, number, unit, room, floor)


def find_case_number(text: str) -> str | None:
    m = _CASE_NUMBER.search(text)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def find_phone(text: str) -> str | None:
    for pattern in (_MOBILE, _LANDLINE):
        m = pattern.search(_CASE_NUMBER.sub(" ", text))
        if m:
            return m.group(1)
    return None


def mask_phone(phone: str) -> str:
    """"13812345678" -> "138****5678"; keeps the first three and last four digits of any number."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@dataclass(frozen=True)
class TimeRef:
    text: str | None  # the phrase as written: "每天晚上十点以后"
    part_of_day: str | None  # late_night | early_morning | morning | noon | afternoon | evening | daytime | weekend
    hour: int | None  # 0-23 when a clock time is given


class TimeFinder:
    def __init__(self, lexicon: Lexicon):
        not_parts = ("frequency", "recent")
        self._part = {cue: part for part, cues in lexicon.time.items() if part not in not_parts for cue in cues}
        self._frequency = frozenset(lexicon.time.get("frequency", ()))
        self._matcher = PhraseMatcher([*self._part, *self._frequency, *lexicon.time.get("recent", ())])

    def find(self, text: str) -> TimeRef:
        hits = self._matcher.find(text)
        clocks = list(_CLOCK.finditer(text))
        clock = clocks[0] if clocks else None
        duration = _DURATION.search(text)
        part = next((self._part[p] for _, p in hits if p in self._part), None)
        if not clock and all(p in self._frequency for _, p in hits):  # "一直", "天天" alone are not a time
            return TimeRef(duration.group(0) if duration else None, None, None)
        spans = [(s, s + len(p)) for s, p in hits]
        spans.extend(c.span() for c in clocks)
        start = min(s for s, _ in spans)
        end = max(e for _, e in spans)
        if end - start > 16:  # cues far apart: keep the first phrase only
            end = spans[0][1] if not clock or clock.start() > start + 16 else max(spans[0][1], clock.end())
        tail = _TIME_TAIL.match(text, end)
        if tail:
            end = tail.end()
        hour = None
        if clock:
            hour = cn_to_int(clock.group(1))
            if hour is not None and hour > 24:
                hour = None
            elif hour is not None and hour < 12 and part in ("afternoon", "evening", "late_night") and hour >= 5:
                hour += 12
            if hour == 12 and part in ("late_night", "early_morning"):
                hour = 0
            if part is None and hour is not None:
                part = _part_of_hour(hour)
        return TimeRef(text[start:end], part, hour)


def _part_of_hour(hour: int) -> str:
    if hour < 5:
        return "early_morning"
    if hour < 11:
        return "morning"
    if hour < 13:
        return "noon"
    if hour < 18:
        return "afternoon"
    if hour < 22:
        return "evening"
    return "late_night"


class CueFinder:
    """Repeat complaint, hearsay, charging kind."""

    def __init__(self, lexicon: Lexicon):
        self._repeat = AnyOf(c for c in lexicon.repeat if c != "又")
        self._hearsay = AnyOf(lexicon.hearsay)
        self._ebike = AnyOf(lexicon.charging.get("ebike", ()))
        self._car = AnyOf(lexicon.charging.get("car", ()))

    def repeat(self, text: str) -> bool:
        if self._repeat(text):
            return True
        return "又" in _DOUBLE_YOU.sub("", text)

    def hearsay(self, text: str) -> bool:
        return self._hearsay(text)

    def charging_kind(self, text: str) -> str | None:
        car = self._car(text)
        ebike = self._ebike(text)
        if car and not ebike:
            return "car"
        if ebike and not car:
            return "ebike"
        return None
