"""Cue words of the extractors and intents, loaded from lexicon.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .matcher import read_list

DEFAULT_LEXICON = Path(__file__).with_name("lexicon.toml")


@dataclass(frozen=True)
class Lexicon:
    negation: tuple[str, ...]
    not_negation: tuple[str, ...]
    hearsay: tuple[str, ...]
    repeat: tuple[str, ...]
    domain_words: tuple[str, ...]
    time: Mapping[str, tuple[str, ...]]
    charging: Mapping[str, tuple[str, ...]]
    intent: Mapping[str, tuple[str, ...]]
    survey: Mapping[str, tuple[str, ...]]  # satisfied | basic | unsatisfied
    resolved: Mapping[str, tuple[str, ...]]  # yes, and the parts of "not solved"
    repeats: Mapping[str, tuple[str, ...]]  # daily | weekly | weekends | often
    day_hours: Mapping[str, tuple[int, int]]  # part of day -> (start hour, end hour)
    spot: Mapping[str, tuple[str, ...]]  # nouns | relative | filler
    scope: Mapping[str, tuple[str, ...]]  # whole_compound | unknown
    turn: Mapping[str, tuple[str, ...]]  # word lists of the dialog-turn reader
    staff: Mapping[str, tuple[str, ...]]  # the words staff commands open with: cases | duty | bind

    @property
    def staff_words(self) -> tuple[str, ...]:
        return tuple(w for words in self.staff.values() for w in words)


def _lower(words) -> tuple[str, ...]:
    return tuple(w.lower() for w in words)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    with open(Path(path) if path else DEFAULT_LEXICON, "rb") as f:
        raw = tomllib.load(f)
    groups = lambda name: {k: read_list(k, v, str.lower) for k, v in raw.get(name, {}).items()}  # noqa: E731
    return Lexicon(
        negation=_lower(raw["negation"]),
        not_negation=_lower(raw.get("not_negation", ())),
        hearsay=_lower(raw["hearsay"]),
        repeat=_lower(raw["repeat"]),
        domain_words=tuple(raw.get("domain_words", ())),
        time=groups("time"),
        charging=groups("charging"),
        intent=groups("intent"),
        survey=groups("survey"),
        resolved=groups("resolved"),
        repeats=groups("repeats"),
        day_hours={k: (int(v[0]), int(v[1])) for k, v in raw.get("day_hours", {}).items()},
        spot=groups("spot"),
        scope=groups("scope"),
        turn=groups("turn"),
        staff=groups("staff"),
    )
