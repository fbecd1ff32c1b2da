"""Delivering outbox rows to WeChat residents: the channel choice.

A customer-service message (text or news) while the resident's last message to us is within the 48 h
window and our customer-service messages since then are within WeChat's allowance; otherwise (or when
WeChat answers 45015/45047) the template or subscription message configured for the push's template
kind, its keywords filled from the payload's fields (bot/wechat/templates.py). No template: undeliverable,
with the reason (for a staff push, also an alarm: bot/background/outbox.py).

A push about a case carries the path of its page (payload "url", e.g. /h5/cases/20261127-0012): a text
message gets it as a link after the text, a template message as the URL it opens; both under PUBLIC_URL
(unset: no link, since a path alone leads nowhere).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from html import escape
from typing import Callable

from bot import texts as T
from bot.background.outbox import Sent, Undeliverable
from bot.wechat.api import OutsideWindow, WeChatAPI
from bot.wechat.templates import TemplateSpec
from storage import outbox
from storage.db import Database
from storage.outbox import Claimed

log = logging.getLogger(__name__)


class WeChatDelivery:
    resend_safe = False  # WeChat's message APIs take no idempotency key

    def __init__(self, api: WeChatAPI, db: Database, *, clock: Callable[[], datetime],
                 templates: dict[str, TemplateSpec], window_s: float = 48 * 3600, allowance: int = 20,
                 public_url: str | None = None):
        self.api = api
        self.public_url = public_url
        self.db = db
        self.clock = clock
        self.templates = templates
        self.window = timedelta(seconds=window_s)
        self.allowance = allowance

    async def deliver(self, push: Claimed) -> Sent | Undeliverable:
        payload = push.payload
        has_message = bool(payload.get("text") or payload.get("articles"))
        if not has_message and not payload.get("template"):
            return Undeliverable("empty", "the payload has neither text, articles nor a template")
        if has_message and await self._in_window(push):
            try:
                return await self._custom(push)
            except OutsideWindow as exc:
                log.info("push %s: customer-service message refused (%s); trying the template", push.id, exc.code)
        return await self._template(push)

    async def _in_window(self, push: Claimed) -> bool:
        now = self.clock()
        async with self.db.sessions() as session:
            last = await outbox.last_inbound_at(session, push.platform, push.user_id)
            if last is None or now - last >= self.window:
                return False
            if self.allowance <= 0:
                return True
            return await outbox.sent_since(session, push.platform, push.user_id, "custom", last) < self.allowance

    async def _custom(self, push: Claimed) -> Sent:
        payload = push.payload
        key = push.idempotency_key
        if payload.get("articles"):
            articles = payload["articles"]
            if len(articles) > 1:
                log.warning("push %s has %d articles; WeChat sends one per message: sending the first",
                            push.id, len(articles))
            await self.api.send_news(push.user_id, articles[:1], key=key)
        else:
            link = self._link(payload.get("url"))
            text = payload["text"] + (f'\n<a href="{escape(link)}">{T.CASE_PAGE_LINK}</a>' if link else "")
            await self.api.send_text(push.user_id, text, key=key)
        return Sent("custom")

    def _link(self, url: str | None) -> str | None:
        """A push's page as a full URL: a path is joined to PUBLIC_URL (none without it)."""
        if not url:
            return None
        if url.startswith("/"):
            return self.public_url + url if self.public_url else None
        return url if url.startswith(("https://", "http://")) else None

    async def _template(self, push: Claimed) -> Sent | Undeliverable:
        fallback = push.payload.get("template")
        if not fallback:
            return Undeliverable("no_template_data", "outside the 48 h window and the push has no template fallback")
        kind = str(fallback.get("kind") or push.kind).lower()
        spec = self.templates.get(kind)
        if spec is None:
            return Undeliverable("no_template", f"outside the 48 h window and no template is configured for "
                                                f"{kind!r} ([{kind}] in WECHAT_TEMPLATES_FILE)")
        data = spec.fill(fallback.get("fields") or {})
        url = self._link(fallback.get("url")) or spec.url
        if spec.api == "subscribe":
            await self.api.send_subscription(push.user_id, spec.template_id, data, url=url, key=push.idempotency_key)
        else:
            await self.api.send_template(push.user_id, spec.template_id, data, url=url, key=push.idempotency_key)
        return Sent(spec.api)
