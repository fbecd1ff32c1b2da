"""jieba, loaded once: a trimmed general dictionary plus the street's domain and place words.

jieba's full dictionary (~350k words) costs ~100 MB of RAM in a Python process; chat messages about city
management need the most frequent words only, and every domain phrase and place name is added as a user
word. The trimmed dictionary and jieba's prefix-dictionary cache are kept in cache_dir, so only the first
start builds them (~1 s); later starts load the cache (~0.1 s)."""
from __future__ import annotations

import heapq
import logging
import math
import re
import os
import tempfile
from pathlib import Path
from typing import Iterable

import jieba

DEFAULT_DICTIONARY_SIZE = 60_000
USER_WORD_FREQ = 20_000

logging.getLogger("jieba").setLevel(logging.WARNING)

# jieba's own block and skip patterns (jieba/__init__.py re_han_default, re_skip_default) and its re_eng
_RE_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_RE_SKIP = re.compile("(\r\n|\\s)", re.U)
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


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

        self._freq = freq
        self._logtotal = math.log(self._jieba.total)

    def cut(self, text: str) -> list[str]:
        """Words of the text (no HMM: unknown runs stay single characters, which is faster and stable).

        Exactly jieba's `cut(text, HMM=False)` less the white space, done in one list-building pass: the same
        blocks, the same prefix-dictionary DAG and maximum-probability route (ties to the longer word), the
        same joining of single ASCII letters and digits; about twice as fast as jieba's generators, which
        matters on the trained model's path (tests check it gives jieba's words)."""
        words: list[str] = []
        for block in _RE_HAN.split(text):
            if not block:
                continue
            if _RE_HAN.match(block):
                self._cut_block(block, words)
            else:
                for piece in _RE_SKIP.split(block):
                    if piece and not _RE_SKIP.match(piece):
                        words.extend(ch for ch in piece if not ch.isspace())
        return words

    def log_probability(self, text: str) -> float:
        """The log probability of the text's best segmentation under jieba's word frequencies (its blocks'
        maximum-probability routes): how ordinary the text reads as words of the language."""
        return sum(self._route(block)[0][0] for block in _RE_HAN.split(text) if block and _RE_HAN.match(block))

    def _cut_block(self, block: str, words: list[str]) -> None:
        n = len(block)
        _, end = self._route(block)
        x, run = 0, ""
        while x < n:
            y = end[x] + 1
            word = block[x:y]
            if y - x == 1 and word in _ASCII_ALNUM:
                run += word
            else:
                if run:
                    words.append(run)
                    run = ""
                words.append(word)
            x = y
        if run:
            words.append(run)

    def _route(self, block: str) -> tuple[list[float], list[int]]:
        """jieba's maximum-probability route over the block's DAG: the best log probability from each position
        and where the word starting there ends."""
        freq, log, logtotal = self._freq, math.log, self._logtotal
        n = len(block)
        score = [0.0] * (n + 1)
        end = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best, best_end = None, k
            i, frag = k, block[k]
            while i < n and frag in freq:
                f = freq[frag]
                if f:
                    s = (log(f) - logtotal) + score[i + 1]
                    if best is None or s >= best:
                        best, best_end = s, i
                i += 1
                frag = block[k : i + 1]
            if best is None:
                best = (0.0 - logtotal) + score[k + 1]
            score[k], end[k] = best, best_end
        return score, end

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
