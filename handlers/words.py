"""Reading short answers: numbered choices, yes/no, confirm/modify/cancel/skip."""
from __future__ import annotations

import re
import unicodedata

from nlp.lexicon import load_lexicon

CONFIRM = {"确认", "确定", "是", "是的", "好", "好的", "对", "对的", "可以", "没问题", "提交", "嗯", "ok", "yes", "y"}
DENY = {"不是", "否", "不对", "不", "no", "n", "错了"}
MODIFY = {"修改", "改", "更改", "改一下", "修改一下"}
CANCEL = {"取消", "不用了", "算了", "取消反映", "撤销", "不报了"}
NONE_OF_THESE = {"都不是", "都不对", "不是", "不是这些", "没有", "没有我说的", "其他", "其它", "别的地方", "不在这",
                 "不知道", "不清楚", "不确定", "说不清", "no", "none"}
HUMAN = {"人工", "转人工", "人工服务", "人工客服", "找人工", "转人工服务", "我要人工", "找工作人员", "真人"}
# a request for a person in the resident's own words: a verb of asking for one and who ("能转人工吗", "我想找工作
# 人员", "帮我接个客服"), in a short message (a long one that mentions staff is about something else)
PERSON_REQUEST = re.compile(r"(?:转|找|要|接|联系|叫|换)(?:一?个|一下)?(?:人工|工作人员|客服|真人)")
PERSON_REQUEST_MAX = 14  # characters
UNSOLVED = {"没解决", "没有解决", "还没解决", "还是没解决", "未解决", "没用", "不管用", "没帮到", "没有帮到我"}
END = {"结束", "结束对话", "结束会话", "退出人工"}
SKIP = {"跳过", "不知道", "不清楚", "没有", "不记得", "略过", "无"}
# the words staff commands open with (nlp/lexicon.toml [staff], which the turn reader also reads)
STAFF_VERBS = load_lexicon().staff

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PUNCT = re.compile(r"[\s。，,.!！?？~～、；;：:（）()【】\[\]\"'“”‘’]+")


def normalize(text: str | None) -> str:
    """Full-width to half-width, lower case, punctuation and spaces removed."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def is_word(text: str | None, words: set[str]) -> bool:
    return normalize(text) in words


def choice(text: str | None, count: int) -> int | None:
    """The 1-based option a resident picked ("2", "２", "第二个", "选2"), or None."""
    t = normalize(text)
    match = re.fullmatch(r"(?:第|选|选择)?([0-9]+|[一二两三四五六七八九])(?:个|项|号)?", t)
    if not match:
        return None
    raw = match.group(1)
    number = int(raw) if raw.isdigit() else _CN_DIGITS[raw]
    return number if 1 <= number <= count else None
