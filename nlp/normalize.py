"""Text normalisation shared by every extractor: one canonical form of what a resident typed."""
from __future__ import annotations

import re
import unicodedata

# Longer input is cut before analysis: a complaint never needs more, and it bounds the work per message.
MAX_CHARS = 2000

# control, format (zero-width, bidi), surrogate and private-use characters
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                        "\ud800-\udfff\ue000-\uf8ff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
CLAUSE_BREAK = r",.!?;:~\n、，。！？；：…～\s"  # the characters a clause ends at (a regex character class's body)
_CLAUSE_BREAK = re.compile(f"[{CLAUSE_BREAK}]+")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def normalize(text: object) -> str:
    """NFKC (full-width digits and letters become ASCII), lower case, no control characters, bounded length."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text).lower()
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


def clauses(text: str) -> list[str]:
    """Split normalised text at punctuation: negation and hearsay reach to the end of their clause."""
    return [c for c in _CLAUSE_BREAK.split(text) if c]


def cn_to_int(numeral: str) -> int | None:
    """Chinese or Arabic numeral to int: "十二" -> 12, "两" -> 2, "一百零五" -> 105, "一二零二" -> 1202."""
    if not numeral:
        return None
    if numeral.isascii() and numeral.isdigit():
        return int(numeral)
    if any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        return None
    if not any(ch in _UNITS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            total += (current or 1) * _UNITS[ch]
            current = 0
    return total + current
