"""Personal data as others see it: one masking function for every view that is not the reporter's own.

`mask_text` is what followers, other staff, the dashboard's lists, WeCom cards, Open311 and logs get of a
resident's words: mobile numbers in every common written form, landlines (with an area code, or any
number that follows a word like 电话), ID-card numbers, and contact names (given, or introduced by a word
like 联系人 or 我叫) are masked. Case numbers (20261127-0012), dates, times and flat numbers stay as they
are. `mask_phone` masks one number that is known to be a phone; `find_phones` lists the numbers a text
holds, as written, for the deliberate reveal (backend/audit.py).
"""
from __future__ import annotations

import re
from typing import Iterable

_DIGITS = re.compile(r"\d")

# A mainland mobile number as people write it: 13812345678, 138 1234 5678, 138-1234-5678,
# +86 139 1234 5678, 0086-13912345678, (+86)13912345678. Not part of a longer run of digits.
_MOBILE = re.compile(
    r"(?<![\d])(?:\(?(?:\+|00)?\s*86\)?[\s\-]*)?1[3-9]\d(?:[\s\-]*\d){8}(?![\d])"
)
# A landline with its area code: 0551-12345678, 0551 1234 5678, (0551)12345678.
_LANDLINE = re.compile(r"(?<![\d])\(?0\d{2,3}\)?[\s\-]*\d{3,4}[\s\-]*\d{4}(?![\d])")
# Any number of 7 or more digits that a phone word introduces: 电话65123456, 座机：6512-3456.
_CUED_NUMBER = re.compile(r"(?:电话|手机|座机|号码|联系方式|tel|TEL|Tel)\s*(?:号码)?\s*[:：是为]?\s*"
                          r"(\d(?:[\s\-]?\d){6,14})(?![\d])")
# A resident ID-card number: 18 characters (17 digits and a digit or X) or the old 15 digits.
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
# A name introduced as one: 联系人张三, 姓名：王小明, 我叫李四. Two to four characters, ending where a
# phone word, a title, punctuation, a digit or the end of the text begins.
_HAN = r"[\u4e00-\u9fff·]"
_CUED_NAME = re.compile(rf"(?:联系人|姓名|我叫|我的名字是|名字叫)\s*[:：是]?\s*({_HAN}{{2,4}}?)"
                        rf"(?=先生|女士|电话|手机|号码|联系|住|在|，|。|,|\.|;|；|\s|\d|$)")


def mask_phone(phone: str | None) -> str | None:
    """13812345678 -> 138****5678; shorter numbers keep only their last 4 digits visible."""
    if not phone:
        return phone
    digits = "".join(_DIGITS.findall(phone))
    for prefix in ("0086", "86"):  # the country code, written +86 or 0086
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def _mask_id_card(match: re.Match) -> str:
    value = match.group(0)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(name: str) -> str:
    """王小明 -> 王**: the surname stays, so a case still reads naturally."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def _mask_group(match: re.Match, mask) -> str:
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[:start - offset] + mask(match.group(1)) + whole[end - offset:]


def mask_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """The text with ID-card numbers, mobile and landline numbers, and contact names masked: those given
    in `names` and those the text introduces as a name."""
    if not text:
        return text
    found = {m.group(1) for m in _CUED_NAME.finditer(text)}
    text = _ID_CARD.sub(_mask_id_card, text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    text = _LANDLINE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    text = _CUED_NUMBER.sub(lambda m: _mask_group(m, mask_phone), text)
    for name in sorted({n.strip() for n in (*names, *found) if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def find_phones(text: str | None) -> list[str]:
    """The phone numbers a text holds, as written, each once, in order."""
    if not text:
        return []
    spans = sorted([m.span(0) for m in _MOBILE.finditer(text)] + [m.span(0) for m in _LANDLINE.finditer(text)]
                   + [m.span(1) for m in _CUED_NUMBER.finditer(text)])
    found: list[str] = []
    last_end = -1
    for start, end in spans:
        if start >= last_end:
            found.append(text[start:end].strip())
            last_end = end
    return list(dict.fromkeys(found))
