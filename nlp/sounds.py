"""Slips of the same sound: speech recognition (a WeChat voice message comes with its text) and pinyin input
write a word as another of the same syllables ("居住正" for 居住证, "医宝" for 医保, "发款" for 罚款). A span of a
question that is no word of the street's, and differs from exactly one of its words in one character that can
be read the same (tones aside), is read as that word. Only the street's own words are targets, so a slip is
mended toward what the knowledge base can answer and nothing else is touched.

The characters' readings are pypinyin's single-character table. A span that is a word of its own (jieba's
dictionary: "一下" is no slip of 以下, "那个" none of 哪个) is left as written."""
from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable


LENGTHS = (4, 3, 2)  # characters of the words mended, longest first
_HAN_RUN = re.compile("[\u4e00-\u9fff]{2,}")
CONTEXT = 4  # characters on each side of a span that its mend is read with
MIN_GAIN = 5.0  # natural log: a mended text must read about 150 times likelier than as written


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=1)
def _readings() -> dict[str, str]:
    """Each Chinese character's common reading without its tone, from pypinyin's single-character table (its
    JSON file, read without importing the package, whose phrase dictionary would cost 0.25 s and 40 MB)."""
    path = Path(importlib.util.find_spec("pypinyin").origin).with_name("pinyin_dict.json")
    table = json.loads(path.read_text("utf-8"))
    return {chr(int(code)): _toneless(readings.split(",")[0]) for code, readings in table.items()
            if _is_han(chr(int(code)))}


def _toneless(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", reading) if not unicodedata.combining(c))


def sound(ch: str) -> str:
    """A character's common reading without its tone ("正" -> "zheng"; "还" -> "hai", not its rarer "huan"): a
    slip writes what sounds like the common reading; "" for what is no Chinese character."""
    return _readings().get(ch, "")


@lru_cache(maxsize=1)
def _sound_marks() -> dict[int, str]:
    """Each Chinese character to one mark standing for its reading (the same mark for characters read alike, a
    private-use character), for str.translate: a run of characters becomes its sound, one mark a character."""
    marks: dict[str, str] = {}
    return {code: marks.setdefault(sound(chr(code)), chr(0xE000 + len(marks))) for code in range(0x4E00, 0xA000)}


@lru_cache(maxsize=65536)
def word_sound(word: str) -> str | None:
    """A word of two or more Chinese characters as its syllables ("失业" -> "shiye"), to meet what a speech
    recognizer wrote for it with another word of the same sound ("实业"); None for anything else."""
    if len(word) < 2 or not all(_is_han(c) for c in word):
        return None
    return "".join(sound(c) for c in word)


class SoundAlike:
    """The street's words by their sound with one character left out, to find a span that differs from one of
    them in a single character of the same sound."""

    def __init__(self, words: Iterable[str], known: Callable[[str], bool] = lambda span: False,
                 likelihood: Callable[[str], float] | None = None):
        """`words`: the street's words a slip is mended to; `known(span)`: whether a span is a word of its own;
        `likelihood(text)`: the log probability of a text as words (the tokenizer's), which a mend must raise by
        MIN_GAIN around it ("垃圾没分对会不会遭发款" reads far better as 罚款; "这个谁管" reads no better as 水管)."""
        self._words = frozenset(w for w in words if len(w) in LENGTHS and all(_is_han(c) for c in w))
        self._sounded = frozenset(w.translate(_sound_marks()) for w in self._words)  # the words' sounds
        self._sounded_openings = frozenset(w[:2] for w in self._sounded)  # and their first two characters'
        self._known = known
        self._likelihood = likelihood
        # each word less one character (its frame: before, after) to the words of that frame by the sound of the
        # character left out: a span is looked up frame by frame, and a sound read only where a frame is a word's
        frames: dict[tuple[str, str], dict[str, set[str]]] = {}
        for word in self._words:
            for j, ch in enumerate(word):
                frames.setdefault((word[:j], word[j + 1:]), {}).setdefault(sound(ch), set()).add(word)
        self._frames = frames
        self._chars = frozenset(c for w in self._words for c in w)
        # a span one character off a word keeps the word's first or its second character in place: by length,
        # the words' first characters and their second ones
        self._kept = {size: (frozenset(w[0] for w in self._words if len(w) == size),
                             frozenset(w[1] for w in self._words if len(w) == size)) for size in LENGTHS}

    def _match(self, span: str) -> str | None:
        """The one street word `span` is a same-sound slip of, or None (none, or more than one)."""
        found: set[str] = set()
        for j, ch in enumerate(span):
            by_sound = self._frames.get((span[:j], span[j + 1:]))
            if by_sound is not None:
                found.update(by_sound.get(sound(ch), ()))
        found.discard(span)
        return next(iter(found)) if len(found) == 1 else None

    def mend(self, text: str) -> str:
        """`text` with every same-sound slip of a street word read as that word, leftmost-longest; a span that
        is a street word already, or a word of the language, is kept whole."""
        if not self._words or not self._sounds_like_a_word(text):
            return text  # no span of it can be a slip: read as written without looking span by span
        out, done = [], 0
        for run in _HAN_RUN.finditer(text):
            at, end = run.span()
            while at < end - 1:
                size, mended = self._read_at(text, at, end)
                if mended is not None:
                    out.append(text[done:at] + mended)
                    done = at + size
                at += size
        return "".join(out) + text[done:] if out else text

    def _sounds_like_a_word(self, text: str) -> bool:
        """Whether some span of the text that is no street word sounds like one, character by character: a slip
        differs from its word in one character of the same sound, so it sounds like it. Only Chinese characters
        become marks of their sound; anything else stays as it is and, at worst, sends the text to be read span
        by span."""
        sounded = text.translate(_sound_marks())
        openings, words = self._sounded_openings, self._words
        for at in range(len(text) - 1):
            if sounded[at:at + 2] not in openings:
                continue  # no word (two characters or more) opens with this sound: the usual case, seen first
            for size in LENGTHS:  # a slice past the text's end is a shorter span, itself of LENGTHS
                if sounded[at:at + size] in self._sounded and text[at:at + size] not in words:
                    return True
        return False

    def _read_at(self, text: str, at: int, end: int) -> tuple[int, str | None]:
        """(characters read, the street word they are a slip of, if they are) of the span at `at`: one
        character when no span there is kept whole or mended."""
        chars = self._chars
        for size in LENGTHS:
            if at + size > end:
                continue
            firsts, seconds = self._kept[size]
            if text[at] not in firsts and text[at + 1] not in seconds:
                continue
            span = text[at:at + size]
            if sum(map(chars.__contains__, span)) < size - 1:
                continue  # two characters off any street word: no single slip
            if span in self._words or self._known(span):
                return size, None
            mended = self._match(span)
            if mended is not None and self._reads_better(text, at, span, mended):
                return size, mended
        return 1, None

    def _reads_better(self, text: str, at: int, span: str, mended: str) -> bool:
        if self._likelihood is None:
            return True
        start, end = max(0, at - CONTEXT), min(len(text), at + len(span) + CONTEXT)
        before = text[start:end]
        after = text[start:at] + mended + text[at + len(span):end]
        return self._likelihood(after) - self._likelihood(before) >= MIN_GAIN
