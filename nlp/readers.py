"""Module-level readers that need no place list and no jieba: `emergency(text)`, `turn(text, expecting)` and
`details(text)`, on the default data files. A server uses its Analyzer's methods, which also know the places."""
from __future__ import annotations

from functools import lru_cache

from .answers import DetailReader, Details
from .emergencies import Emergency, EmergencyRules
from .keywords import KeywordClassifier, names_a_problem
from .lexicon import load_lexicon
from .normalize import normalize
from .taxonomy import load_taxonomy
from .turns import Turn, TurnReader


@lru_cache(maxsize=1)
def _rules() -> EmergencyRules:
    return EmergencyRules()


@lru_cache(maxsize=1)
def _turns() -> TurnReader:
    lexicon = load_lexicon()
    keywords = KeywordClassifier(load_taxonomy(), lexicon)
    rules = _rules()
    return TurnReader(lexicon, DetailReader(lexicon),
                      lambda text: names_a_problem(keywords.evidence(text), rules.read(text)))


def emergency(text: object) -> Emergency | None:
    """The emergency (call `number` now) or hazard (`hazard` true: a priority, no call) the text tells of."""
    return _rules().read(normalize(text))


def turn(text: object, expecting: str | None = None) -> Turn:
    return _turns().read(normalize(text), expecting)


def details(text: object) -> Details:
    return _turns()._details.read(normalize(text))
