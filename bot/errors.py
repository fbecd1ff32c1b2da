"""Errors every platform's API client raises, in the terms the outbox sender acts on."""
from __future__ import annotations


class DeliveryError(Exception):
    """A call to a messaging platform failed. `code` is short and stable (an errcode, "http_503",
    "network"); the message is the detail for logs and the outbox row."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class TransientError(DeliveryError):
    """Worth retrying later: network trouble, 5xx, the platform busy or rate-limiting us."""


class PermanentError(DeliveryError):
    """Retrying will not help: the recipient unfollowed, the id is wrong, the request is invalid."""


class AccountError(DeliveryError):
    """The account's set-up is wrong, not the push (API not authorised, our IP not on the allow-list, a
    template id that does not exist, a wrong secret): every push on the platform would fail alike. The
    sender pauses the platform's queue, keeps its pushes queued and tries again slowly until a call works."""
