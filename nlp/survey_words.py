"""A resident's answer to the street's satisfaction survey and to "is it solved?", read from the words of
nlp/lexicon.toml [survey] and [resolved]: the one place those words are declared, for the intents and for
the survey handler alike."""
from __future__ import annotations

import re

from .lexicon import Lexicon
from .normalize import CLAUSE_BREAK

_SEPARATOR = f"(?![?？])[{CLAUSE_BREAK}]"  # a clause's end, but not a question's ("一般？" asks back)
_PARTICLES = "吧啊呀的了哈哦嘛呢"  # "还行吧", "挺好的": the word still stands alone
_RUNS_ON = "满意"  # a word of satisfaction that may run on into the comment ("非常满意谢谢")
_NOT_A_VERDICT = "度吗么不"  # ...but not into a question about it ("满意度", "满意吗", "满意不")


def _alternatives(words) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


class SurveyWords:
    def __init__(self, lexicon: Lexicon):
        self._level = {w: level for level, words in lexicon.survey.items() for w in words}
        words = _alternatives(self._level)
        stands_alone = rf"[{_PARTICLES}]*(?:(?:{_SEPARATOR})+|$)"
        runs_on = rf"(?<={_RUNS_ON})(?![{_NOT_A_VERDICT}])"
        self._opening = re.compile(rf"^\s*({words})(?:{stands_alone}|{runs_on})(.*)$", re.S)
        self._anywhere = re.compile(words)
        parts = {k: _alternatives(v) for k, v in lexicon.resolved.items()}
        self._unsolved = re.compile("|".join((
            f"(?:{parts['not']})(?:{parts['someone']})?(?:{parts['done']})",
            f"(?:{parts['still']})(?:没有?)?(?:{parts['unchanged']})",
            f"(?:{parts['remains']})",
            f"(?:{parts['verdict']})",
        )))
        self._solved = re.compile(parts["yes"])

    def answer(self, text: str) -> tuple[str, str] | None:
        """(level, comment) when the text opens with a survey's answer: "不满意 太慢了" -> ("unsatisfied", "太慢了")."""
        match = self._opening.match(text or "")
        return (self._level[match.group(1)], match.group(2).strip()) if match else None

    def level(self, text: str) -> str | None:
        """The level of the first survey word anywhere in the text (the intents' reading)."""
        match = self._anywhere.search(text or "")
        return self._level[match.group(0)] if match else None

    def unsolved(self, text: str) -> bool:
        return bool(self._unsolved.search(text or ""))

    def solved(self, text: str) -> bool | None:
        """False when the words say the problem is not solved, True when they say it is, else None."""
        if self.unsolved(text):
            return False
        return True if self._solved.search(text or "") else None
