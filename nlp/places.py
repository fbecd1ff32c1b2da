"""The street's places (compounds) as data, and finding them in a message: full names, aliases,
partial names and one-character slips; an alias shared by several compounds returns them all."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .matcher import PhraseMatcher
from .normalize import normalize

# Generic endings of compound names: "竹园新村" is also called "竹园" and "陶坝安置小区" "陶坝安置".
GENERIC_SUFFIXES = ("安置小区", "安置点", "新村", "家园", "花苑", "小区", "公寓", "雅苑", "雅居", "嘉苑", "新城", "花园",
                    "山庄", "公馆", "尚城", "佳苑", "御苑", "东苑", "西苑", "南苑", "北苑", "西区", "东区", "二期", "三期")
GENERIC_PREFIXES = ("滨湖",)
# Partial names that are everyday words are no evidence of a place ("新时代", "湖畔").
COMMON_WORDS = frozenset({"时代", "湖畔", "新城", "花园", "公寓"})


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    buildings: int | None = None
    lat: float | None = None
    lng: float | None = None
    community: str | None = None


def places_from_csv(path: str | Path) -> list[Place]:
    """Compounds from a CSV with columns compound_id, compound, aliases (";"-separated), community, lat, lng, buildings."""
    with open(path, newline="", encoding="utf-8") as f:
        return [
            Place(
                id=row["compound_id"],
                name=row["compound"],
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
                buildings=int(row["buildings"]) if row.get("buildings") else None,
                lat=float(row["lat"]) if row.get("lat") else None,
                lng=float(row["lng"]) if row.get("lng") else None,
                community=row.get("community") or None,
            )
            for row in csv.DictReader(f)
        ]


@dataclass(frozen=True)
class PlaceMatch:
    compound: str | None
    candidates: tuple[str, ...]
    text: str | None


NO_PLACE = PlaceMatch(None, (), None)


class PlaceIndex:
    def __init__(self, places: Iterable[Place]):
        self.places = tuple(places)
        self._by_id = {p.id: p for p in self.places}
        names = {p.id: normalize(p.name) for p in self.places}
        self._full: dict[str, list[str]] = {}
        for p in self.places:
            self._full.setdefault(names[p.id], []).append(p.id)
        # A short key (alias or partial name) stands for every compound whose name contains it;
        # the compound that lists it as an alias comes first.
        keys: dict[str, list[str]] = {}
        for p in self.places:
            for alias in p.aliases:
                keys.setdefault(normalize(alias), []).append(p.id)
            for partial in _partials(names[p.id]):
                if partial not in COMMON_WORDS:
                    keys.setdefault(partial, [])
        for key, owners in keys.items():
            for p in self.places:
                if key in names[p.id] and p.id not in owners:
                    owners.append(p.id)
        self._short = {k: v for k, v in keys.items() if v and k not in self._full}
        self._matcher = PhraseMatcher([*self._full, *self._short])
        self._bigrams: dict[str, set[str]] = {}
        self._bigram_count: dict[str, int] = {}
        for p in self.places:
            grams = _bigrams(names[p.id])
            if len(grams) >= 3:
                self._bigram_count[p.id] = len(grams)
                for g in grams:
                    self._bigrams.setdefault(g, set()).add(p.id)

    def get(self, place_id: str) -> Place | None:
        return self._by_id.get(place_id)

    @property
    def words(self) -> list[str]:
        """Names, aliases and partial names: user words for the tokenizer."""
        return [*self._full, *self._short]

    def find(self, text: str) -> PlaceMatch:
        """The compound named in normalised text; when the name is ambiguous, compound is None."""
        found = self._matcher.find(text)
        for _, phrase in found:
            if phrase in self._full:
                ids = self._full[phrase]
                return PlaceMatch(ids[0] if len(ids) == 1 else None, tuple(ids), phrase)
        fuzzy = self._fuzzy(text)
        if fuzzy.candidates:
            return fuzzy
        for _, phrase in found:
            ids = self._short[phrase]
            return PlaceMatch(ids[0] if len(ids) == 1 else None, tuple(ids), phrase)
        return NO_PLACE

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
