"""Delivering outbox rows to staff on WeCom: a text card for what concerns a case, text otherwise.

The backend writes staff pushes as plain text (`{"text": "【新工单】20261127-0012（一般）…"}`) with no
platform in mind. Here, a push that names a case becomes a text card (textcard): the title is the
bracketed head of the text (or the push kind's title) and the case number, the description the rest
of the text, and the card opens the case page on the dashboard (`{PUBLIC_URL}/dashboard/cases/{number}`).
A textcard's description is a little HTML: lines break with `<br>` (a `\n` shows as nothing), and it holds
512 bytes, so a long push is summarised line by line: the lines that tell the officer what to reply (a
quoted command, “接单 N”) are kept whole and the others (the resident's description first, being longest)
are shortened until the card fits.
Deferred replies (kind "reply"), pushes that name no case, and a server without PUBLIC_URL get a text
message. WeCom has no 48-hour window: there is no template fallback to choose.
"""
from __future__ import annotations

import re

from backend import texts as backend_texts
from backend.pushes import head_and_body
from backend.privacy import mask_text
from bot import texts
from bot.background.outbox import Sent, Undeliverable
from bot.wechat.limits import fit_utf8
from bot.wecom.api import WeComAPI
from handlers.types import TEXT_LIMIT_BYTES
from storage.outbox import Claimed

CASE_NUMBER = re.compile(r"20\d{6}-\d{4}")
TITLE_LIMIT_BYTES = 128
DESCRIPTION_LIMIT_BYTES = 512
LINE_BREAK = "<br>"
COMMAND_HINT = re.compile(r"“[^”]+”")  # staff texts quote what to reply: “接单 20261127-0012”
MIN_LINE_BYTES = 24  # a line cut shorter than this says nothing: it is left out instead
# pushes that are a conversation's own words (a deferred reply, a resident's message relayed to the staff member
# talking with them) go as text even when they mention a case: a card would mask what the reader is entitled to
PLAIN_KINDS = ("reply", "takeover")


def case_url(public_url: str, number: str) -> str:
    return f"{public_url.rstrip('/')}/dashboard/cases/{number}"


def textcard(text: str, kind: str, number: str, public_url: str) -> dict:
    """The text card for a push about case `number` (title, description, url, button)."""
    head, body = head_and_body(text)  # the number is in the title already
    title = head or backend_texts.PUSH_TITLE.get(kind, backend_texts.PUSH_TITLE_DEFAULT)
    # a card shows on lock screens and in WeCom's message list, so personal data in it is masked
    body = (mask_text(body) or "").strip() or title
    return {"title": fit_utf8(f"{title} {number}", TITLE_LIMIT_BYTES),
            "description": card_description(body, DESCRIPTION_LIMIT_BYTES),
            "url": case_url(public_url, number), "button": texts.WECOM_CARD_BUTTON}


def card_description(text: str, limit: int) -> str:
    """`text` as a textcard description of at most `limit` bytes: its lines joined with `<br>`, people's own
    angle brackets kept from reading as markup, and the lines that carry a command kept whole while the
    others are cut, longest first."""
    lines = [line.replace("<", "＜").replace(">", "＞").strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    commands = {i for i, line in enumerate(lines) if COMMAND_HINT.search(line)}

    def size() -> int:
        return len(LINE_BREAK.join(lines).encode("utf-8"))

    while size() > limit:
        cuttable = [i for i in range(len(lines)) if i not in commands and lines[i]]
        if not cuttable:
            break
        longest = max(cuttable, key=lambda i: len(lines[i].encode("utf-8")))
        over = size() - limit
        keep = len(lines[longest].encode("utf-8")) - over
        lines[longest] = fit_utf8(lines[longest], keep) if keep >= MIN_LINE_BYTES else ""
        lines = [line for i, line in enumerate(lines) if line or i in commands]
        commands = {i for i, line in enumerate(lines) if COMMAND_HINT.search(line)}
    return fit_utf8(LINE_BREAK.join(lines), limit)  # command lines alone over the limit: cut at the end


class WeComDelivery:
    # message/send is called with WeCom's duplicate check, which drops a repeat for 30 minutes (bot/wecom/api.py),
    # far longer than a lease: a push cut off mid-request is sent again, and arrives once
    resend_safe = True

    def __init__(self, api: WeComAPI, *, public_url: str | None):
        self.api = api
        self.public_url = public_url

    async def deliver(self, push: Claimed) -> Sent | Undeliverable:
        payload, key = push.payload, push.idempotency_key
        text = payload.get("text")
        if payload.get("articles"):
            await self.api.send_news(push.user_id, payload["articles"], key=key)
            return Sent("news")
        if not text:
            return Undeliverable("empty", "the payload has no text or articles (WeCom has no template messages)")
        number = CASE_NUMBER.search(text)
        if number and self.public_url and push.kind not in PLAIN_KINDS:
            card = textcard(text, push.kind, number.group(0), self.public_url)
            await self.api.send_textcard(push.user_id, key=key, **card)
            return Sent("textcard")
        await self.api.send_text(push.user_id, fit_utf8(text, TEXT_LIMIT_BYTES), key=key)
        return Sent("text")
