"""Personal data as others see it: one masking function for every view that is not the reporter's own.

`mask_text` is what followers, other staff, the dashboard's lists, WeCom cards, Open311 and logs get of a
resident's words: mobile numbers in every common written form, landlines, ID-card numbers and the names
the resident gave as contact are masked. `mask_phone` masks one number that is known to be a phone.
"""
from __future__ import annotations

import re
from typing import Iterable

_DIGITS = re.compile(r"\d")

# A mainland mobile number as people write it: 13812345678, 138 1234 5678, 138-1234-5678,
# +86 139 1234 5678, 0086-13912345678, (+86)13912345678. Not part of a longer run of digits.
_MOBILE = re.compile(
    r"(?<![\d])(?:(?:\+|00)?\s*\(?86\)?[\s\-]*)?1[3-9]\d(?:[\s\-]*\d){8}(?![\d])"
)
# A landline with its area code: 0551-12345678, 0551 1234 5678, (0551)12345678.
_LANDLINE = re.compile(r"(?<![\d])\(?0\d{2,3}\)?[\s\-]*\d{3,4}[\s\-]*\d{4}(?![\d])")
# A resident ID-card number: 18 characters (17 digits and a digit or X) or the old 15 digits.
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")


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


def mask_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """The text with ID-card numbers, mobile and landline numbers, and the given contact names masked."""
    if not text:
        return text
    text = _ID_CARD.sub(_mask_id_card, text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    text = _LANDLINE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text
