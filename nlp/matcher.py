"""Dictionary phrase matching: leftmost-longest, non-overlapping (the idea of jieba's prefix dictionary)."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable


# Up to this many phrases one compiled alternation (longest first) is faster than the dictionary walk; with
# more (the taxonomy's ~1,000 keywords) the regex engine tries too many branches at each character.
REGEX_UP_TO = 300


PATTERNS_SUFFIX = "_patterns"  # a word list of the TOML files holding regular expressions, not words


def any_pattern(patterns: Iterable[str]) -> "re.Pattern | None":
    """One regular expression matching where any of `patterns` does; None for none."""
    patterns = [p for p in patterns if p]
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def read_list(key: str, values: Iterable[str], fold) -> tuple[str, ...]:
    """A word list as the readers compare it: words folded like the text they read (`fold`); a list of regular
    expressions (its key ends in PATTERNS_SUFFIX) only NFKC-folded as the text is (full-width punctuation to
    half-width), never lower-cased, which would turn \\S into \\s or rename a group."""
    if key.endswith(PATTERNS_SUFFIX):
        return tuple(unicodedata.normalize("NFKC", v) for v in values)
    return tuple(fold(v) for v in values)


class PhraseMatcher:
    def __init__(self, phrases: Iterable[str]):
        self._phrases = frozenset(p for p in phrases if p)
        self._regex = (re.compile("|".join(map(re.escape, sorted(self._phrases, key=len, reverse=True))))
                       if 0 < len(self._phrases) <= REGEX_UP_TO else None)
        lengths: dict[str, set[int]] = {}
        for p in self._phrases:
            lengths.setdefault(p[0], set()).add(len(p))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}

    def __contains__(self, phrase: str) -> bool:
        return phrase in self._phrases

    def find(self, text: str) -> list[tuple[int, str]]:
        """(start, phrase) of each match, scanning left to right and taking the longest phrase at each start."""
        if self._regex is not None:  # the same matches: at each start the longest alternative is tried first
            return [(m.start(), m.group(0)) for m in self._regex.finditer(text)]
        found = []
        lengths, phrases = self._lengths, self._phrases
        i, n = 0, len(text)
        while i < n:
            for size in lengths.get(text[i], ()):
                piece = text[i : i + size]
                if piece in phrases:
                    found.append((i, piece))
                    i += size
                    break
            else:
                i += 1
        return found



class AnyOf:
    """Does the text contain any of these phrases? One compiled alternation instead of a Python loop."""

    def __init__(self, phrases: Iterable[str]):
        ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text) is not None

    def first(self, text: str) -> str | None:
        m = self._pattern.search(text) if self._pattern is not None else None
        return m.group(0) if m else None
