"""Keyword scoring from the taxonomy: the classifier of a street with no labelled history yet."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .lexicon import Lexicon
from .matcher import AnyOf, PhraseMatcher
from .normalize import clauses
from .taxonomy import FALLBACK, Taxonomy

# A category phrase this close after a negation cue is denied: "不是噪音", "不是什么噪音".
NEGATION_REACH = 2
# A denied phrase counts against its category by this share of its weight.
NEGATED_SHARE = -0.5
# A message names a problem when some category (not the fallback) scores at least this: one strong keyword.
STRONG_EVIDENCE = 2.0
# Hearsay ("听说…") keeps the category but lowers the confidence.
HEARSAY_SHARE = 0.8


@dataclass(frozen=True)
class KeywordEvidence:
    scores: dict[str, float]
    matched: tuple[str, ...]
    denied: tuple[str, ...]
    hearsay: bool


def names_a_problem(evidence: KeywordEvidence, emergency: object | None) -> bool:
    """Whether a message names a problem, from its keyword `evidence` and the `emergency` (or hazard) the rules read
    in it: strong evidence of a category other than the fallback, or any danger at all."""
    strongest = max((v for code, v in evidence.scores.items() if code != FALLBACK), default=0.0)
    return strongest >= STRONG_EVIDENCE or emergency is not None


class KeywordClassifier:
    def __init__(self, taxonomy: Taxonomy, lexicon: Lexicon):
        self.taxonomy = taxonomy
        self._codes = taxonomy.codes
        self._weights: dict[str, list[tuple[str, float]]] = {}
        for category in taxonomy.categories:
            for phrase, weight in category.keywords.items():
                self._weights.setdefault(phrase, []).append((category.code, weight))
        self._negation = frozenset(lexicon.negation)
        self._hearsay = AnyOf(lexicon.hearsay)
        self._neutral = frozenset(lexicon.not_negation)
        self._matcher = PhraseMatcher([*self._weights, *self._negation, *self._neutral])
        self._combos = [(c.code, [AnyOf(group) for group in groups], weight)
                        for c in taxonomy.categories for groups, weight in c.combos]
        settings = taxonomy.settings
        self._temperature = settings.temperature
        self._baseline = settings.other_baseline

    @property
    def phrases(self) -> tuple[str, ...]:
        return tuple(self._weights)

    def evidence(self, text: str) -> KeywordEvidence:
        """Scores per category of normalised text; phrases after a negation cue count against theirs."""
        scores = dict.fromkeys(self._codes, 0.0)
        seen: set[str] = set()
        matched, denied = [], []
        for clause in clauses(text):
            negation_end = -10
            for start, phrase in self._matcher.find(clause):
                if phrase in self._negation:
                    negation_end = start + len(phrase)
                    continue
                if phrase in self._neutral:
                    continue
                if phrase in seen:
                    continue
                seen.add(phrase)
                negated = start - negation_end <= NEGATION_REACH
                share = NEGATED_SHARE if negated else 1.0
                (denied if negated else matched).append(phrase)
                for code, weight in self._weights[phrase]:
                    scores[code] += share * weight
        for code, groups, weight in self._combos:
            if all(group(text) for group in groups):
                scores[code] += weight
        hearsay = self._hearsay(text)
        factor = HEARSAY_SHARE if hearsay else 1.0
        for code, score in scores.items():
            if score < 0.0 or hearsay:
                scores[code] = score * factor if score > 0.0 else 0.0
        scores[FALLBACK] += self._baseline
        return KeywordEvidence(scores, tuple(matched), tuple(denied), hearsay)

    def probabilities(self, evidence: KeywordEvidence) -> dict[str, float]:
        """Softmax of the scores at the fitted temperature: calibrated on the development set."""
        return softmax(evidence.scores, self._temperature)


def softmax(scores: dict[str, float], temperature: float) -> dict[str, float]:
    top = max(scores.values())
    exps = {code: math.exp((s - top) / temperature) for code, s in scores.items()}
    total = sum(exps.values())
    return {code: e / total for code, e in exps.items()}
