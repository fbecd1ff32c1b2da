"""Finding the knowledge-base entry that answers a question: jieba words into BM25 (bm25s), after the street's
synonyms (kb.toml) are rewritten to one word each, in the entries and in the question alike.

The index is built from the entries handed in (nlp/ reads no database) and is immutable: when entries change,
build a new one and swap it in. An entry answers when its confidence reaches the threshold: its BM25 score times
the square roots of how much of the question it covers (a question about something no entry mentions covers
little) and of how much of what the question asks it covers (a near-miss shares the topic, not what is asked),
and only when it stands clear of the second. The street file's [decision] reads the same and more: a rule fitted
on labelled questions over the score, the second's share of it, the coverage of the question, the weight of the
most specific word of what is asked that the entry never says (补发 in "高龄津贴以前的能补发吗": the entry is on
the topic and answers something else) and how many phrasings residents taught the entry (which raise its score
for every question), so an entry answers alike whether one resident or a hundred taught it."""
from __future__ import annotations

import importlib
import logging
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from .matcher import AnyOf, PhraseMatcher, any_pattern, read_list
from .normalize import clauses, normalize
from .sounds import SoundAlike, word_sound



def _bm25s():
    """bm25s, imported on the first index and without scipy: bm25s loads scipy.sparse whenever it can, which a
    server never does (tens of MB; tests/test_nlp_model.py), and its numpy backend builds the same index."""
    if "bm25s" in sys.modules:
        return sys.modules["bm25s"]
    hidden = "scipy" not in sys.modules
    if hidden:
        sys.modules["scipy"] = None  # an import of it fails at once, and bm25s takes its numpy path
    try:
        module = importlib.import_module("bm25s")
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # its import sets DEBUG: a line per index build
        return module
    finally:
        if hidden:
            del sys.modules["scipy"]

DEFAULT_KB_WORDS = Path(__file__).with_name("kb.toml")
TOP_CANDIDATES = 3
DEFAULT_THRESHOLD = 3.4  # when kb.toml says nothing: BM25 score of the best entry below which nothing answers
OFFERED = 3  # entries offered to pick from, at most
INSIDE_MAX = 2  # characters: a synonym this short may sit inside a longer word jieba sees ("电车" in "充电车位")
LONG_NUMBER = 7  # digits: a phone or an ID number, no topic
_LONG_NUMBER = re.compile(rf"\d{{{LONG_NUMBER},}}")


@dataclass(frozen=True)
class FaqEntry:
    faq_id: str
    question: str
    keywords: tuple[str, ...] = ()
    answer: str = ""
    phrasings: tuple[str, ...] = ()  # residents' own ways of asking it: read as the question is


@dataclass(frozen=True)
class Decision:
    """Whether the best entry answers: a logistic rule over what the search read of the question, fitted on
    labelled questions (`bench/kb.py --calibrate`, kb.toml [decision]). Its confidence is the chance that the best
    entry is the one that answers; the entry answers from `cut`."""

    FEATURES = ("log_score", "second_share", "coverage", "log_phrasings", "unsaid")

    weights: Mapping[str, float]
    bias: float
    cut: float

    def __post_init__(self):
        if set(self.weights) != set(self.FEATURES):
            raise ValueError(f"[decision] weights must name exactly {', '.join(self.FEATURES)}")

    @staticmethod
    def features(candidates: list[tuple[str, float]], coverage: float, focus: float,
                 phrasings: int, unsaid: float) -> dict[str, float]:
        """The best entry's BM25 score (its log), the second's share of it, the best entry's coverage of the
        question and of what it asks (`focus`, which the rule leaves to `unsaid`; the threshold without a rule
        reads it), how many phrasings it was taught (its log), and the weight of the most specific word of what
        is asked that the entry does not say."""
        best = candidates[0][1]
        second = candidates[1][1] if len(candidates) > 1 else 0.0
        return {"log_score": math.log1p(best), "second_share": second / best if best > 0 else 1.0,
                "coverage": coverage, "focus": focus, "log_phrasings": math.log1p(phrasings), "unsaid": unsaid}

    def confidence(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights[k] * features[k] for k in self.FEATURES)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))  # never overflows


@dataclass(frozen=True)
class KbWords:
    """The synonym groups (first word kept) and the words that say nothing about an entry."""

    synonyms: dict[str, str]
    stop: frozenset[str]
    threshold: float = DEFAULT_THRESHOLD
    decision: Decision | None = None  # whether the best entry answers; None: its confidence against `threshold`
    suggest: float | None = None  # least BM25 score of an entry offered to pick from; None: none is offered
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # the question/report forms (inquiry.py)
    aspects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # what a question asks: cost, time, place…
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # aspect -> patterns an answer giving it matches

    @property
    def all_words(self) -> tuple[str, ...]:
        return tuple({*self.synonyms, *self.synonyms.values()})


def load_kb_words(path: str | Path | None = None) -> KbWords:
    with open(Path(path) if path else DEFAULT_KB_WORDS, "rb") as f:
        raw = tomllib.load(f)
    synonyms: dict[str, str] = {}
    for group in raw.get("synonyms", {}).get("groups", ()):
        words = [normalize(w) for w in group if normalize(w)]
        for word in words[1:]:
            synonyms.setdefault(word, words[0])
    stop = frozenset(normalize(w) for w in raw.get("words", {}).get("stop", ()))
    retrieval = raw.get("retrieval", {})
    threshold = float(retrieval.get("threshold", DEFAULT_THRESHOLD))
    decision = raw.get("decision")
    rule = Decision(decision["weights"], float(decision["bias"]), float(decision["cut"])) if decision else None
    suggest = retrieval.get("suggest")
    forms = {k: read_list(k, v, normalize) for k, v in raw.get("forms", {}).items()}
    aspects = {k: tuple(normalize(w) for w in v) for k, v in raw.get("aspects", {}).items()}
    evidence = _evidence(raw.get("evidence", {}), aspects)
    return KbWords(synonyms, stop, threshold, rule,
                   None if suggest is None else float(suggest), forms, aspects, evidence)


def _evidence(declared: Mapping[str, list[str]], aspects: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Each aspect's evidence patterns, with those of every narrower aspect (one whose question words are all its
    own): an answer that gives what the narrower question asks (an amount) gives the broader one (the cost) too."""
    def narrower(inner: str, outer: str) -> bool:
        return inner != outer and bool(aspects.get(inner)) and set(aspects[inner]) <= set(aspects.get(outer, ()))
    return {k: tuple(p for j in declared for p in declared[j] if j == k or narrower(j, k))
            for k in declared if declared[k]}


class SynonymReader:
    """A text's words with every synonym taken whole and rewritten to its group's first word (leftmost-longest:
    "小电驴" before "电驴"); the text between synonyms is cut by jieba, so a rewrite never glues onto its
    neighbours."""

    def __init__(self, words: KbWords, cut: Callable[[str], list[str]]):
        self._canonical = words.synonyms
        self._matcher = PhraseMatcher({*words.synonyms, *words.synonyms.values()})
        self._cut = cut

    def _inside_a_longer_word(self, text: str) -> set[int]:
        """Where jieba sees a longer word around a synonym ("充电车位" around "电车"): no synonym starts there."""
        inside, at = set(), 0
        for word in self._cut(text):  # jieba drops white space: each word is found where it stands
            start = text.find(word, at)
            if start < 0:
                continue
            if len(word) > INSIDE_MAX:
                inside.update(range(start + 1, start + len(word) - 1))
            at = start + len(word)
        return inside

    def __call__(self, text: str) -> list[str]:
        out, at = [], 0
        found = self._matcher.find(text)
        short = any(len(phrase) <= INSIDE_MAX for _, phrase in found)
        inside = self._inside_a_longer_word(text) if short else set()  # a longer synonym is never skipped
        for start, phrase in found:
            if start in inside and len(phrase) <= INSIDE_MAX:
                continue
            if start > at:
                out.extend(self._cut(text[at:start]))
            out.append(self._canonical.get(phrase, phrase))
            at = start + len(phrase)
        if at < len(text):
            out.extend(self._cut(text[at:]))
        return out


class _Field:
    """One BM25 index over one field of every entry, and each entry's set of words in it."""

    def __init__(self, documents: list[list[str]]):
        self.bm25 = _bm25s().BM25(csc_backend="numpy")
        self.words = [frozenset(d) for d in documents]
        self.vocabulary = {}
        if any(documents):
            self.bm25.index([d or ["\x00"] for d in documents], show_progress=False)
            self.vocabulary = self.bm25.vocab_dict

    def scores(self, words: list[str], size: int) -> np.ndarray:
        vocabulary = self.vocabulary  # bm25s's own word ids: it is handed them, not the words to look up again
        ids = [vocabulary[w] for w in words if w in vocabulary]
        return self.bm25.get_scores_from_ids(ids) if ids else np.zeros(size)


@dataclass(frozen=True)
class Reading:
    """What the index read of a question for its best entry."""

    candidates: list[tuple[str, float]]  # the best entries (faq_id, BM25 score), best first
    features: dict[str, float] | None  # what the [decision] reads (Decision.features); None: no candidate
    worded: bool  # in the very words of the best entry's question or of a phrasing taught to it: sure
    silent: bool  # asks an aspect the best entry's answer gives nothing of (kb.toml [evidence]): never given


def _wordings(ids: list[str], wordings: list[list[list[str]]]) -> dict[frozenset[str], str]:
    """The words of each entry's question and of each of its phrasings, to the entry; words two entries share
    are neither's."""
    found: dict[frozenset[str], set[str]] = {}
    for faq_id, words_of in zip(ids, wordings):
        for words in words_of:
            if words:
                found.setdefault(frozenset(words), set()).add(faq_id)
    return {key: next(iter(owners)) for key, owners in found.items() if len(owners) == 1}


def bigrams(words: list[str]) -> list[str]:
    """The character pairs inside each word, and a one-character word itself: "电瓶车" shares "瓶车" with nothing
    but "车" pairs let "垃圾房"/"垃圾站" meet on "垃圾"."""
    out = []
    for w in words:
        out.extend([w] if len(w) == 1 else [w[i:i + 2] for i in range(len(w) - 1)])
    return out


def _coverage(shares: list[tuple[float, float]]) -> float:
    """The IDF-weighted share said of words given as (IDF, share said) pairs."""
    total = sum(idf for idf, _ in shares)
    return sum(idf * said for idf, said in shares) / total if total else 0.0


class FaqIndex:
    """BM25 over the entries' questions with their keywords, plus a share of BM25 over their answers (an answer
    names what residents ask about in their own words: "果皮" in the kitchen-waste entry).

    An entry's score is that sum with a share of BM25 over the question field's character pairs (电瓶/电瓶车); the
    best entry answers when its confidence reaches the bar (kb.toml [decision], fitted on the street's labelled
    questions). `search` is pure computation, safe across threads."""

    ANSWER_WEIGHT = 0.3  # the answer field's BM25 next to the question field's
    BIGRAM_WEIGHT = 0.25  # BM25 over the character pairs of the question field, so part of a word still meets
    SOUND_WEIGHT = 0.8  # BM25 over the question field's words by their sound, for a word no entry's question says
    SOUND_SHARE = 0.75  # share of a word's weight in the coverage when the entry says a word of its sound
    ASPECT_WEIGHT = 0.8  # share of its score an entry keeps when it answers another aspect of the topic
    MARGIN = 0.05  # share of the best score the second must stay below for the best to answer

    def __init__(self, entries: Iterable[FaqEntry], cut: Callable[[str], list[str]], words: KbWords | None = None,
                 threshold: float | None = None, asks: Callable[[str], bool] | None = None,
                 sound_alike: Callable[[Iterable[str]], SoundAlike] | None = None):
        """`asks(clause)`: whether a clause of a question asks (the form reader's); without it, the whole
        question is what it asks. `sound_alike(words)`: what mends a question's slips of the same sound to these
        words (the analyzer's, with its dictionary); without it, a question is read as written."""
        self.words = words or load_kb_words()
        self._asks = asks
        self._question_word = AnyOf(self.words.forms.get("ask", ()))  # 怎么办, 多少, 哪里: how it asks, not what
        self.threshold = self.words.threshold if threshold is None else threshold
        self._cut = cut
        self._read = SynonymReader(self.words, cut)
        self.entries = tuple(entries)
        self.ids = [e.faq_id for e in self.entries]
        self._at = {faq_id: i for i, faq_id in enumerate(self.ids)}
        named = [self.terms(" ".join((e.question, *e.keywords))) for e in self.entries]  # the street's own words
        taught = [[self.terms(p) for p in e.phrasings] for e in self.entries]  # each phrasing read alone
        questions = [own + [w for words in ts for w in words] for own, ts in zip(named, taught)]
        answers = [self.terms(e.answer) for e in self.entries]
        self._questions, self._answers = _Field(questions), _Field(answers)
        self._phrasings = [len(e.phrasings) for e in self.entries]
        self._wordings = _wordings(self.ids, [[self.terms(e.question), *ts] for e, ts in zip(self.entries, taught)])
        self._bigrams = _Field([bigrams(q) for q in questions])
        self._sounds_of = _Field([[x for x in map(word_sound, q) if x] for q in questions])
        self._aspect_words = {k: AnyOf(v) for k, v in self.words.aspects.items()}
        entry_aspects = [self.aspects(e.question) for e in self.entries]
        self._entry_aspects = {k: np.array([k in a for a in entry_aspects], dtype=bool) for k in self._aspect_words}
        self._entry_has_aspect = np.array([bool(a) for a in entry_aspects], dtype=bool)
        # per aspect with evidence declared, the entries whose answer does not give it (no price in the answer)
        given = {k: any_pattern(patterns) for k, patterns in self.words.evidence.items()}
        self._silent = {k: [found.search(normalize(e.answer)) is None for e in self.entries]
                           for k, found in given.items() if found is not None}
        self._said = [frozenset(q) | frozenset(a) for q, a in zip(questions, answers)]
        self._said_bigrams = [frozenset(bigrams(q)) | frozenset(bigrams(a)) for q, a in zip(questions, answers)]
        self._said_sounds = [frozenset(x for x in map(word_sound, said) if x) for said in self._said]
        # a voice message's slips are mended to the words the entries' questions and keywords name
        targets = {w for own in named for w in own} | set(self.words.all_words)
        self._sounds = sound_alike(targets) if sound_alike else None
        df: dict[str, int] = {}
        for said in self._said:
            for w in said:
                df[w] = df.get(w, 0) + 1
        self._df = df

    def __len__(self) -> int:
        return len(self.entries)

    def terms(self, text: str) -> list[str]:
        """The words BM25 sees: normalised, synonyms rewritten, cut by jieba, stop words and punctuation out, and
        long numbers (a phone, an ID: the resident's, not the topic's; "12345" stays)."""
        return self._words(normalize(text))

    def _unglued(self, words: list[str]) -> list[str]:
        """A question word that took the first character of the word after it gives it back: jieba cuts
        "怎么办理" as 怎么办 / 理, read as 怎么 / 办理, when what is left is still a question word and the
        character with the one after it is a word of its own."""
        out, i = [], 0
        while i < len(words):
            word = words[i]
            after = words[i + 1] if i + 1 < len(words) else ""
            if (len(after) == 1 and len(word) >= 3 and self._question_word(word[:-1])
                    and self._cut(word[-1] + after) == [word[-1] + after]):
                out += [word[:-1], word[-1] + after]
                i += 2
            else:
                out.append(word)
                i += 1
        return out

    def _asked_words(self, clean: str) -> list[str]:
        """The words of a resident's (normalised) question: its slips of the same sound read as the street's
        words first."""
        return self._words(self._sounds.mend(clean) if self._sounds else clean)

    def _words(self, clean: str) -> list[str]:
        stop = self.words.stop
        return [w for w in self._unglued(self._read(clean)) if w.strip() and w not in stop
                and any(ch.isalnum() for ch in w) and not _LONG_NUMBER.fullmatch(w)]

    def _scored(self, words: list[str]) -> np.ndarray:
        n = len(self.entries)
        known = self._questions.vocabulary
        unheard = [x for x in (word_sound(w) for w in words if w not in known) if x]  # 实业 meets 失业 by sound
        return (self._questions.scores(words, n) + self.ANSWER_WEIGHT * self._answers.scores(words, n)
                + self.BIGRAM_WEIGHT * self._bigrams.scores(bigrams(words), n)
                + (self.SOUND_WEIGHT * self._sounds_of.scores(unheard, n) if unheard else 0.0))

    def aspects(self, text: str) -> frozenset[str]:
        """What a text asks about (cost, time, place, procedure…), read from its question words (kb.toml)."""
        return self._aspects(normalize(text))

    def _aspects(self, clean: str) -> frozenset[str]:
        return frozenset(k for k, found in self._aspect_words.items() if found(clean))

    def _demote_other_aspects(self, asked: frozenset[str], scores: np.ndarray) -> np.ndarray:
        """An entry whose question asks about something else than the resident's does (cost vs place) counts
        for ASPECT_WEIGHT of its score; entries and questions with no aspect keep theirs."""
        if not asked or not len(scores):
            return scores
        same = np.zeros(len(scores), dtype=bool)
        for k in asked:
            same |= self._entry_aspects[k]
        other = self._entry_has_aspect & ~same
        return np.where(other, scores * self.ASPECT_WEIGHT, scores)

    def search(self, text: str, k: int = TOP_CANDIDATES) -> list[tuple[str, float]]:
        """The best `k` entries (faq_id, score), best first; entries sharing no word are left out."""
        return self._search(self._asked_words(normalize(text)), self.aspects(text), k)

    def _search(self, words: list[str], asked: frozenset[str], k: int) -> list[tuple[str, float]]:
        if not words or not self.entries:
            return []
        scores = self._demote_other_aspects(asked, self._scored(words))
        top = np.argsort(-scores, kind="stable")[:k]
        # as Python numbers at once: indexing numpy scalars one by one costs more than the search around it
        return [(self.ids[i], round(score, 3)) for i, score in zip(top.tolist(), scores[top].tolist()) if score > 0]

    def coverage(self, words: list[str], faq_id: str) -> float:
        """The IDF-weighted share of the question's words that the entry says (question, keywords or answer); a
        word it only shares character pairs with counts half, in proportion. A word no entry uses weighs most,
        so a question about something the street never mentions ("图书馆几点开门") covers little of any entry."""
        return _coverage(self._shares(words, faq_id))

    def _unsaid(self, shares: list[tuple[float, float]]) -> float:
        """The IDF of the most specific word that the entry does not say, times how much of it is unsaid, as a
        share of the most an IDF can be (a word no entry says): 0 when the entry says them all."""
        top = math.log(1 + len(self.entries))
        return max((idf * (1 - said) / top for idf, said in shares), default=0.0)

    def _shares(self, words: list[str], faq_id: str) -> list[tuple[float, float]]:
        """(IDF, how much of it the entry says) of each word."""
        i, n = self._at[faq_id], len(self.entries)
        return [(math.log(1 + n / (1 + self._df.get(w, 0))), self._said_share(w, i)) for w in words]

    def _said_share(self, word: str, i: int) -> float:
        """How much of `word` the entry at `i` says: all of it, SOUND_SHARE of a word of its sound, half of the
        share of its character pairs it says, or nothing."""
        if word in self._said[i]:
            return 1.0
        if word_sound(word) in self._said_sounds[i]:
            return self.SOUND_SHARE
        if len(word) > 1:
            pairs = bigrams([word])
            return 0.5 * sum(p in self._said_bigrams[i] for p in pairs) / len(pairs)
        return 0.0

    def read(self, text: str) -> tuple[list[str], list[list[str]]]:
        """The question's words, and the words of each of its clauses that asks, less the question words
        ("…人在老家，我能替她补办吗": 替, 补办), or all of them when no such clause has words of its own ("…钱也没
        退回来，咋整" asks about what it told): what an entry must speak of to answer it. Jieba never cuts across
        punctuation, so the words of the clauses are the question's. A clause that gives the resident's number
        and asks nothing ("…怎么收费？我手机号139…") is theirs, not the question's, unless it is all there is."""
        return self._read_clean(normalize(text))

    def _read_clean(self, clean: str) -> tuple[list[str], list[list[str]]]:
        parts = [(c, self._asked_words(c)) for c in clauses(clean)]
        parts = [(c, w) for c, w in parts if not self._contact(c)] or parts
        words = [w for _, clause_words in parts for w in clause_words]
        asking = [[w for w in clause_words if not self._question_word(w)]
                  for c, clause_words in parts if self._asks and self._asks(c)]
        return words, [w for w in asking if w] or [words]

    def _contact(self, clause: str) -> bool:
        return _LONG_NUMBER.search(clause) is not None and not (self._asks and self._asks(clause))

    def reading(self, text: str) -> Reading:
        """What the index reads of a question for its best entry: all its decision is made of. The question is
        read once (normalised once too): its words, its asking clauses' and the aspects it asks about."""
        clean = normalize(text)
        (words, asking), asked = self._read_clean(clean), self._aspects(clean)
        candidates = self._search(words, asked, TOP_CANDIDATES)
        if not candidates:
            return Reading([], None, worded=False, silent=False)
        best = candidates[0][0]
        shares = self._shares(words, best)  # the asking clauses' words are the question's: each is read once
        of = dict(zip(words, shares))
        asked_most = max(([of[w] for w in part] for part in asking), key=_coverage)  # the best-covered clause
        features = Decision.features(candidates, _coverage(shares), _coverage(asked_most),
                                     self._phrasings[self._at[best]], self._unsaid(asked_most))
        return Reading(candidates, features, worded=self._wordings.get(frozenset(words)) == best,
                       silent=any(k in asked and silent[self._at[best]] for k, silent in self._silent.items()))

    def confidence(self, reading: Reading) -> float:
        """What the bar is compared with: 1 for a question in the very words of the best entry's question or of a
        phrasing residents taught it; else the [decision]'s chance that the best entry is the one that answers.
        Without a rule: its score times the square roots of its coverage of the question and of what it asks (its
        best-covered asking clause), so an entry about the topic that says nothing of what is asked ("能付现金吗"
        to the entry on how to pay) falls short, and zero when the best is no clear first (within MARGIN of the
        second)."""
        features = reading.features
        if reading.worded:
            return 1.0
        if features is None:
            return 0.0
        if self.words.decision is not None:
            return round(self.words.decision.confidence(features), 3)
        if features["second_share"] > 1 - self.MARGIN:
            return 0.0
        return round(reading.candidates[0][1] * math.sqrt(features["coverage"] * features["focus"]), 3)

    def near(self, candidates: list[tuple[str, float]]) -> tuple[str, ...]:
        """The candidates worth offering to pick from when none answers: up to OFFERED whose score reaches
        kb.toml's `suggest`."""
        floor = self.words.suggest
        return () if floor is None else tuple(c for c, score in candidates[:OFFERED] if score >= floor)

    def answer(self, text: str) -> tuple[str | None, float, list[tuple[str, float]]]:
        """(faq_id or None when the confidence is below the bar, the confidence, the candidates). An entry whose
        answer gives nothing of an aspect the question asks (its cost: kb.toml [evidence]) is about the topic but
        cannot answer it ("狗证年检要交多少钱" to the entry on where to register a dog): offered, never given."""
        reading = self.reading(text)
        if not reading.candidates:
            return None, 0.0, []
        confidence = self.confidence(reading)
        sure = confidence >= self.bar() and not reading.silent
        return (reading.candidates[0][0] if sure else None), confidence, reading.candidates

    def bar(self) -> float:
        """The confidence an entry needs to answer: the [decision]'s cut, or `threshold` without a rule."""
        return self.words.decision.cut if self.words.decision is not None else self.threshold
