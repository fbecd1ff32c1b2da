"""Cutting a resident's or officer's words to fit a field (a template keyword of the `thing` type, a survey line, the
summary of a report) without breaking a word in the middle: Chinese has no spaces, and "…共享单车东" reads as
nonsense where "…共享单车…" reads fine. No dictionary (jieba's would cost ~100 MB for this): clause marks first,
then characters that rarely sit inside a word on that side."""
from __future__ import annotations

import re

ELLIPSIS = "…"
# Characters that rarely sit inside a word on that side: a phrase ends after 的/了…, one starts before 把/被…
PHRASE_ENDS = frozenset("的了吗呢吧啊")
PHRASE_STARTS = frozenset("和与把被又也很太就都还从让")
LOCATIVES, LOCATIVE_WORDS = frozenset("里上下边旁口外内前后"), frozenset("面边头部方")  # 门口|有人, not 里|面
CLAUSE_END = re.compile(r"[，。；、！？,.;!?：:）)\]】\s]+")


def shorten(text: str | None, limit: int) -> str:
    """`text` in at most `limit` characters, never cut mid-word: whole when it fits, else up to the last
    clause boundary that fits (or, when the first clause alone is too long, the last likely word boundary) with
    an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    ends = [m.start() for m in CLAUSE_END.finditer(text) if 0 < m.start() <= room]
    cut = ends[-1] if ends and ends[-1] >= room // 3 else _word_boundary(text, room)
    return text[:cut].rstrip("，。；、！？,.;!?：: （(") + ELLIPSIS


def _word_boundary(text: str, room: int) -> int:
    """The last position <= room that likely ends a word, without a dictionary: after a particle that
    closes a phrase (的 了 …) or a place (门口, 楼道里), before a word that opens one (和 把 被 …, 有人), or
    where Chinese text is followed by digits or Latin letters (never inside "3单元"); `room` itself when
    none is found in its last two thirds."""
    for position in range(room, room // 3, -1):
        before, after = text[position - 1], text[position]
        if before in PHRASE_ENDS or after in PHRASE_STARTS or (_is_han(before) and not _is_han(after)) \
                or (before in LOCATIVES and after not in LOCATIVE_WORDS) or _ends_locative_word(text, position) or (text.startswith("有人", position) and before != "没"):
            return position
    return room


def _ends_locative_word(text: str, position: int) -> bool:
    """对面, 旁边, 里头, 外面…: a two-character locative word ends here."""
    return position >= 2 and text[position - 1] in LOCATIVE_WORDS and text[position - 2] in LOCATIVES | {"对", "旁"}


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"
