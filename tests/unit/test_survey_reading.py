"""The survey text's shortening and the reading of survey answers: pure functions, no HTTP."""
from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import pytest

from backend import surveys
from backend.wording import shorten
from handlers.survey import reading
from nlp import Analyzer, load_taxonomy


def update(text: str):
    return SimpleNamespace(text=text, kind="text")


@lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    return Analyzer(load_taxonomy())


def ctx(dialog=None):
    return SimpleNamespace(dialog=dialog, services=SimpleNamespace(nlp=analyzer()))


# Fresh descriptions, segmented by hand ("|" between words): a cut may fall only where a "|" is.
SEGMENTED = [
    "紫云府|北门|外|的|快递柜|旁边|堆满|了|纸箱子|，|风|一|吹|到处|都|是",
    "和园雅居|地下|车库|入口|那|盏|灯|坏|了|很久|一直|没有|人|来|换|过|灯泡|黑漆漆|的",
    "竹园新村|菜场|后面|的|窨井盖|被|车|压碎|了|一角|，|电动车|经过|很|危险",
    "润园花园|2栋|3单元|楼道|里|有人|私拉|电线|给|电动车|充电|，|晚上|还在|充",
    "徽州大道|和|紫云路|交叉口|的|红绿灯|一直|闪|黄灯|，|早高峰|堵成|一锅粥",
    "滨湖欣园|小区|门口|有人|把|共享单车|东倒西歪|地|堆|在|盲道|上",
]


@pytest.mark.parametrize("segmented", SEGMENTED)
def test_a_shortened_text_ends_at_a_word_boundary_with_an_ellipsis(segmented):
    text = segmented.replace("|", "")
    boundaries, position = set(), 0
    for word in segmented.split("|"):
        position += len(word)
        boundaries.add(position)
    for limit in range(10, len(text)):
        short = shorten(text, limit)
        assert len(short) <= limit and short.endswith("…"), short
        kept = short[:-1]
        assert text.startswith(kept) and len(kept) >= limit // 3, (limit, short)
        assert len(kept) in boundaries or text[len(kept)] in "，", (limit, short)


def test_a_text_that_fits_is_kept_whole_and_spaces_are_tidied():
    assert shorten("楼下 路灯不亮", 20) == "楼下 路灯不亮"
    assert shorten("  井盖\n缺失  ", 20) == "井盖 缺失"
    assert shorten(None, 20) == ""


@pytest.mark.parametrize("text", ["还是老样子", "根本没人来过", "并没有处理，摊子照样摆着", "又坏了，你们修了个寂寞",
                                  "垃圾都没清走", "问题还在", "敷衍了事", "仍然不亮"])
def test_words_of_discontent_read_as_an_unhappy_answer(text):
    rating, comment, how = reading(update(text), ctx())
    assert (rating, how) == ("unsatisfied", "words") and comment == text


@pytest.mark.parametrize("text", ["还有一个问题想反映", "没事了", "你好", "楼下有人没经过同意就占了车位，一直不挪走也不接电话",
                                  "和园雅居3栋电梯坏了", "谢谢"])
def test_other_messages_are_not_answers(text):
    assert reading(update(text), ctx()) is None


def test_in_a_dialog_only_rating_words_are_read():
    busy = ctx(dialog=object())
    assert reading(update("还是老样子"), busy) is None and reading(update("3"), busy) is None
    assert reading(update("不满意 太慢了"), busy) == ("unsatisfied", "太慢了", "word")


def test_the_survey_words_are_declared_once_for_the_intents_and_the_survey():
    """Every answer word of nlp/lexicon.toml [survey] answers the survey as that level, and the intents read
    it as a survey's answer of the same level: one list, one meaning."""
    lexicon = analyzer().lexicon
    assert tuple(lexicon.survey) == surveys.RATINGS
    for level, words in lexicon.survey.items():
        for word in words:
            assert reading(update(word), ctx())[:2] == (level, ""), word
            assert analyzer().analyze(word).rating == level, word


@pytest.mark.parametrize("text, answer", [
    ("非常满意谢谢你们", ("satisfied", "谢谢你们", "word")),
    ("还行，就是来得慢了点", ("basic", "就是来得慢了点", "word")),
    ("一般般", ("basic", "", "word")),
    ("２", ("basic", "", "number")),
    ("还行吧", ("basic", "", "word")),
    ("一般的话多久能到", None),  # no clause ends after the word
    ("一般多久能修好", None),  # 一般 is "usually"
    ("满意度调查是匿名的吗", None),
    ("满意吗", None),
    ("一般？", None),  # asks back
])
def test_an_answer_word_answers_when_it_stands_alone_or_ends_a_clause(text, answer):
    assert reading(update(text), ctx()) == answer
