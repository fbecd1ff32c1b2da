"""Features of the trained model, shared by training and serving: character n-grams of the normalised
text and jieba words, each block TF-IDF weighted (sublinear tf) and L2-normalised (see linear.py)."""
from __future__ import annotations

from operator import add

WORD_PREFIX = "w:"


def char_grams(text: str, max_n: int) -> list[str]:
    """Every character n-gram, n = 1..max_n, of the text without spaces (repeats kept: they are counts)."""
    chars = text.replace(" ", "").replace("\n", "")
    grams = list(chars)
    previous = grams
    for n in range(2, max_n + 1):  # the n-grams are the (n-1)-grams each with the character after it
        previous = list(map(add, previous, chars[n - 1 :]))
        grams += previous
    return grams


def word_grams(words: list[str]) -> list[str]:
    return [WORD_PREFIX + w for w in words]
