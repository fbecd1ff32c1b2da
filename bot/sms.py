"""SMS out of the outbox (platform "sms": verification codes for 绑定手机, backend/phones.py).

The sender is pluggable: anything with `async send(phone, text)` that raises bot.errors.TransientError or
PermanentError on failure. `LoggingSmsSender` (SMS_SENDER=log, the default; what the sandbox uses) writes
each message to the log and keeps the last ones in memory, so a developer reads the code from the
server's log. A gateway (e.g. a cloud SMS service) is one more class registered in `sms_sender()`.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

from bot.background.outbox import Sent, Undeliverable, send_starting
from storage.outbox import Claimed

log = logging.getLogger(__name__)

SENDERS = ("log", "off")


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """Sandbox and development: the SMS goes to the log (and `sent`), nowhere else."""

    def __init__(self, keep: int = 100):
        self.sent: deque[tuple[str, str]] = deque(maxlen=keep)

    async def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.warning("SMS (log sender, not sent) to %s: %s", phone, text)


class SmsDelivery:
    """The outbox adapter for platform "sms"."""

    resend_safe = False  # an SMS gateway would send a repeat

    def __init__(self, sender: SmsSender):
        self.sender = sender

    async def deliver(self, push: Claimed) -> Sent | Undeliverable:
        text = push.payload.get("text")
        if not text:
            return Undeliverable("empty", "an SMS push needs a text")
        await send_starting()
        await self.sender.send(push.user_id, text)
        return Sent("sms")


def sms_sender(name: str) -> SmsSender | None:
    """The configured sender (SMS_SENDER), or None when SMS is off (codes then wait in the outbox)."""
    return LoggingSmsSender() if name == "log" else None
