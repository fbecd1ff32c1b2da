"""The pushes the backend writes that can fall back to a WeChat template or subscription message outside the
48-hour window: the fields each kind's fallback carries, and which kinds are for staff.

Declared once, here: bot/wechat/templates.py checks a street's templates file against `TEMPLATE_FIELDS` (a
mapping to a field a kind does not carry stops the start), and a staff push that no channel can carry is an
alarm rather than a silent row (`STAFF_KINDS`: /healthz, the supervisors, the start-up warning).
"""
from __future__ import annotations

import re
from datetime import datetime

from backend import texts as T
from backend.clock import local

# what reaches an officer, a liaison or a supervisor about a case: every kind with a title of its own
STAFF_KINDS = tuple(T.PUSH_TITLE)
STAFF_FIELDS = ("case_number", "title", "place", "time", "summary")
TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "case_status": ("case_number", "status", "time", "remark"),
    "survey": ("case_number", "question", "time"),
    "charging_alert": ("station", "free", "time"),
    **{kind: STAFF_FIELDS for kind in STAFF_KINDS},
}
TIME_FORMAT = "%Y-%m-%d %H:%M"  # read by WeChat's `time` and `date` keywords as they are
_HEAD = re.compile(r"^\s*【([^】]{1,20})】\s*")
_NUMBER = re.compile(r"^20\d{6}-\d{4}\s*")


def head_and_body(text: str) -> tuple[str | None, str]:
    """A staff push's words as the backend writes them ("【新工单】20261127-0012（一般）…"): its 【head】 (None
    without one) and the rest without the case number it opens with, which templates and cards show in fields
    of their own."""
    head = _HEAD.match(text)
    body = text[head.end():] if head else text
    return (head.group(1) if head else None), _NUMBER.sub("", body)


def time_field(now: datetime) -> str:
    return local(now).strftime(TIME_FORMAT)


def staff_template(kind: str, text: str, now: datetime, *, number: str, place: str, summary: str | None = None) -> dict:
    """The fallback of a staff push about a case: the kind's title, the case, and a summary (given, or the
    push's own words without their 【head】 and number, which the template shows in fields of their own).
    Whole: the template configuration fits each value to its keyword's rules."""
    if summary is None:
        summary = " ".join(head_and_body(text)[1].split())
    return {"kind": kind, "fields": {"case_number": number, "title": T.PUSH_TITLE.get(kind, T.PUSH_TITLE_DEFAULT),
                                     "place": place, "time": time_field(now), "summary": summary}}
