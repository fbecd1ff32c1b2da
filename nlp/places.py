"""The street's places as data, and finding them in a message.

Compounds (小区) are found by full name, alias, partial name ("竹园" for 竹园新村) and one-character slips;
an alias or partial name shared by several compounds returns them all, for the resident to choose.
Public places (roads, intersections, squares, markets, parks, schools…) are found by name, alias or
address ("紫云路88号"); two roads named together ("A路和B路交叉口", "A路与B路路口", "B路A路口") are their
intersection. What follows the place ("88号", "门口", "对面", "附近") is kept as its detail.
A partial compound name is never read inside a longer place name: "紫云路" is the road, not 紫云山庄.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .matcher import PhraseMatcher
from .normalize import CN_NUMERAL_CHARS, normalize

COMPOUND = "compound"
ROAD = "road"
INTERSECTION = "intersection"

# Generic endings of compound names: "竹园新村" is also called "竹园" and "陶坝安置小区" "陶坝安置".
GENERIC_SUFFIXES = ("安置小区", "安置点", "新村", "家园", "花苑", "小区", "公寓", "雅苑", "雅居", "嘉苑", "新城", "花园",
                    "山庄", "公馆", "尚城", "佳苑", "御苑", "东苑", "西苑", "南苑", "北苑", "西区", "东区", "二期", "三期")
GENERIC_PREFIXES = ("滨湖",)
# Partial names that are everyday words are no evidence of a place ("新时代", "湖畔").
COMMON_WORDS = frozenset({"时代", "湖畔", "新城", "花园", "公寓"})
# Where at a place, said right after its name: "紫云公园对面", "惠园路50号门口", "紫云路口东北角".
RELATIONS = ("大门口", "门口", "旁边", "边上", "对面", "附近", "路口", "交叉口", "拐角", "转角", "后面", "背后", "里面",
             "入口", "出口", "东门", "西门", "南门", "北门", "前门", "后门", "侧门", "正门",
             "东侧", "西侧", "南侧", "北侧", "东边", "西边", "南边", "北边", "东北角", "西北角", "东南角", "西南角",
             "人行道", "路边", "路段", "一带", "周边", "外面")
_NUMBER = re.compile(rf"的?(\d{{1,4}}|[{CN_NUMERAL_CHARS}]{{1,5}})号(?![楼栋院房室线])")
_RELATION = re.compile("的?(" + "|".join(sorted(RELATIONS, key=len, reverse=True)) + ")")
# Words joining two roads into a crossing ("和", "与", "跟", "交", "/" …), between the two names.
_JOINER = re.compile(r"^\s*(?:和|与|跟|及|同|交|x|/|、|-|—)?\s*$")
_CORNER = re.compile(r"(?:交叉路口|交叉口|交汇处|十字路口|丁字路口|路口|口)")


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    buildings: int | None = None
    lat: float | None = None
    lng: float | None = None
    community: str | None = None
    kind: str = COMPOUND
    roads: tuple[str, ...] = ()  # an intersection's road ids
    address: str | None = None  # "紫云路88号"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (value or "").split(";") if a.strip())


def _number(value: str | None, kind=float):
    return kind(value) if value else None


def places_from_csv(*paths: str | Path) -> list[Place]:
    """Places from CSV files: compounds (compound_id, compound, aliases, community, lat, lng, buildings) or
    public places (place_id, name, kind, aliases, roads, address, community, lat, lng); lists are ";"-separated."""
    found: list[Place] = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                found.append(Place(
                    id=row.get("compound_id") or row["place_id"],
                    name=row.get("compound") or row["name"],
                    aliases=_split(row.get("aliases")),
                    buildings=_number(row.get("buildings"), int),
                    lat=_number(row.get("lat")), lng=_number(row.get("lng")),
                    community=row.get("community") or None,
                    kind=row.get("kind") or COMPOUND,
                    roads=_split(row.get("roads")),
                    address=row.get("address") or None))
    return found


@dataclass(frozen=True)
class PlaceMatch:
    compound: str | None  # the place id, None when absent or ambiguous
    candidates: tuple[str, ...]
    text: str | None  # the words that named it
    detail: str | None = None  # where at the place: "88号", "门口", "88号门口"


NO_PLACE = PlaceMatch(None, (), None)


class PlaceIndex:
    def __init__(self, places: Iterable[Place]):
        self.places = tuple(places)
        self._by_id = {p.id: p for p in self.places}
        names = {p.id: normalize(p.name) for p in self.places}
        self._full: dict[str, list[str]] = {}
        for p in self.places:
            for phrase in (names[p.id], normalize(p.address or "")):
                if phrase and p.id not in self._full.setdefault(phrase, []):
                    self._full[phrase].append(p.id)
        self._short = {k: v for k, v in self._short_keys(names).items() if v and k not in self._full}
        # a declared alias is as sure as a name; a partial name ("竹园") is weaker than a near-miss of a full one
        self._declared = {normalize(a) for p in self.places for a in p.aliases} & set(self._short)
        self._matcher = PhraseMatcher([*self._full, *self._short])
        self._crossings = {frozenset(p.roads): p.id for p in self.places if p.kind == INTERSECTION and len(p.roads) == 2}
        self._bigrams: dict[str, set[str]] = {}
        self._bigram_count: dict[str, int] = {}
        for p in self.places:
            grams = _bigrams(names[p.id])
            if len(grams) >= 3 and p.kind not in (ROAD, INTERSECTION):
                self._bigram_count[p.id] = len(grams)
                for g in grams:
                    self._bigrams.setdefault(g, set()).add(p.id)

    def _short_keys(self, names: dict[str, str]) -> dict[str, list[str]]:
        """Aliases and partial names. A short key stands for every place of its kind whose name contains it
        ("欣园": every 欣园 compound; "菜场": every market called so), the place that lists it as an alias
        first; never for a place of another kind ("长江路" is the road, not 长江路小学)."""
        keys: dict[str, tuple[str, list[str]]] = {}
        for p in self.places:
            for alias in p.aliases:
                keys.setdefault(normalize(alias), (p.kind, []))[1].append(p.id)
            for partial in _partials(names[p.id]) if p.kind == COMPOUND else ():
                if partial not in COMMON_WORDS:
                    keys.setdefault(partial, (COMPOUND, []))
        for key, (kind, owners) in keys.items():
            for p in self.places:
                if p.kind == kind and key in names[p.id] and p.id not in owners:
                    owners.append(p.id)
        return {key: owners for key, (_, owners) in keys.items()}

    def get(self, place_id: str) -> Place | None:
        return self._by_id.get(place_id)

    @property
    def words(self) -> list[str]:
        """Names, aliases, addresses and partial names: user words for the tokenizer."""
        return [*self._full, *self._short]

    def find(self, text: str) -> PlaceMatch:
        """The place named in normalised text; when the name is ambiguous, compound is None. Precedence: two
        roads named together (their crossing), a full name or address, then a declared alias or a near-miss
        of a full name (whichever covers more), a partial name; within each, the first in the text."""
        found = [(start, phrase, self._full.get(phrase) or self._short[phrase]) for start, phrase
                 in self._matcher.find(text)]
        crossing = self._crossing(text, found)
        if crossing is not None:
            return crossing
        for start, phrase, ids in found:
            if phrase in self._full:
                return self._match(ids, phrase, text, start + len(phrase))
        fuzzy = self._fuzzy(text)
        declared = next(((start, phrase, ids) for start, phrase, ids in found if phrase in self._declared), None)
        if declared and (not fuzzy.candidates or len(declared[1]) >= self._longest_name(fuzzy.candidates)):
            found = [declared]  # "天鹅湖广场" is that square's alias, not a slip of 天鹅湖畔
        elif fuzzy.candidates:
            return fuzzy  # "欣园北院" is a slip of 欣园北苑, not the alias 欣园
        for start, phrase, ids in found:
            return self._match(ids, phrase, text, start + len(phrase))
        return NO_PLACE

    def _longest_name(self, ids: Iterable[str]) -> int:
        return max(len(self._by_id[pid].name) for pid in ids)

    def _match(self, ids: list[str], phrase: str | None, text: str, end: int) -> PlaceMatch:
        return PlaceMatch(ids[0] if len(ids) == 1 else None, tuple(ids), phrase, _detail(text, end))

    def _crossing(self, text: str, found: list[tuple[int, str, list[str]]]) -> PlaceMatch | None:
        """Two roads named one after the other ("A路和B路", "A路与B路交叉口"): their intersection."""
        roads = [(start, phrase, ids[0]) for start, phrase, ids in found
                 if len(ids) == 1 and self._by_id[ids[0]].kind == ROAD]
        for (s1, p1, r1), (s2, p2, r2) in zip(roads, roads[1:]):
            if r1 != r2 and _JOINER.match(text[s1 + len(p1):s2]):
                crossing = self._crossings.get(frozenset((r1, r2)))
                ids = [crossing] if crossing else [r1, r2]
                end = s2 + len(p2)
                corner = _CORNER.match(text, end)
                return self._match(ids, text[s1:end], text, corner.end() if corner else end)
        return None

    def _fuzzy(self, text: str) -> PlaceMatch:
        """One slip in a name of four or more characters ("陶坝花园" for 陶坝花苑) still finds it."""
        shared: dict[str, int] = {}
        for g in _bigrams(text):
            for place_id in self._bigrams.get(g, ()):
                shared[place_id] = shared.get(place_id, 0) + 1
        hits = [pid for pid, n in shared.items() if n >= self._bigram_count[pid] - 1]
        if not hits:
            return NO_PLACE
        best = max(shared[pid] / self._bigram_count[pid] for pid in hits)
        ids = tuple(pid for pid in hits if shared[pid] / self._bigram_count[pid] == best)
        return PlaceMatch(ids[0] if len(ids) == 1 else None, ids, None)


def _detail(text: str, end: int) -> str | None:
    """A house number and/or a relation right after a place's name: "88号", "门口", "88号门口"."""
    parts = []
    number = _NUMBER.match(text, end)
    if number:
        parts.append(f"{number.group(1)}号")
        end = number.end()
    relation = _RELATION.match(text, end)
    if relation:
        parts.append(relation.group(1))
    return "".join(parts) or None


def _partials(name: str) -> list[str]:
    out = []
    for prefix in GENERIC_PREFIXES:
        if name.startswith(prefix) and len(name) - len(prefix) >= 2:
            out.append(name[len(prefix):])
    for base in [name, *out]:
        for suffix in GENERIC_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                out.append(base[: -len(suffix)])
                break
    return out


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}
