"""jieba, loaded once: a trimmed general dictionary plus the street's domain and place words.

jieba's full dictionary (~350k words) costs ~100 MB of RAM in a Python process; chat messages about city
management need the most frequent words only, and every domain phrase and place name is added as a user
word. The trimmed dictionary and jieba's prefix-dictionary cache are kept in cache_dir, so only the first
start builds them (~1 s); later starts load the cache (~0.1 s)."""
from __future__ import annotations

import heapq
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterable

import jieba

DEFAULT_DICTIONARY_SIZE = 60_000
USER_WORD_FREQ = 20_000

logging.getLogger("jieba").setLevel(logging.WARNING)


class Tokenizer:
    def __init__(self, cache_dir: str | Path | None, user_words: Iterable[str] = (),
                 dictionary_size: int = DEFAULT_DICTIONARY_SIZE):
        cache = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "gongzhi-nlp"
        cache.mkdir(parents=True, exist_ok=True)
        dictionary = trimmed_dictionary(cache, dictionary_size)
        self._jieba = jieba.Tokenizer(dictionary=str(dictionary))
        self._jieba.tmp_dir = str(cache)
        self._jieba.initialize()
        freq = self._jieba.FREQ
        for word in user_words:
            if len(word) >= 2 and not freq.get(word):
                self._jieba.add_word(word, USER_WORD_FREQ)

    def cut(self, text: str) -> list[str]:
        """Words of the text (no HMM: unknown runs stay single characters, which is faster and stable)."""
        return [w for w in self._jieba.cut(text, HMM=False) if not w.isspace()]

    def cut_for_search(self, text: str) -> list[str]:
        """Words plus the dictionary words inside long words ("占道经营" -> "占道", "经营", "占道经营")."""
        return [w for w in self._jieba.cut_for_search(text, HMM=False) if not w.isspace()]

    def is_word(self, word: str) -> bool:
        return bool(self._jieba.FREQ.get(word))


def trimmed_dictionary(cache_dir: Path, size: int) -> Path:
    """jieba's bundled dictionary cut to its `size` most frequent words, written once to cache_dir."""
    target = cache_dir / f"jieba_dict_top{size}.txt"
    if target.exists():
        return target
    source = Path(jieba.__file__).with_name("dict.txt")
    with open(source, encoding="utf-8") as f:
        entries = heapq.nlargest(size, ((_frequency(line), line) for line in f))
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(line for _, line in entries)
    os.replace(tmp, target)
    return target


def _frequency(line: str) -> int:
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
