"""The server's log lines with personal data masked: a phone number, an ID-card number or a name that a
resident wrote can reach a log line through an error's text (a database error quotes its parameters, a
handler's exception may quote the message). The formatter masks the whole formatted line, traceback
included, with the one masking function (backend.privacy.mask_text)."""
from __future__ import annotations

import logging

from backend.privacy import mask_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record)) or ""


def mask_handlers(logger: logging.Logger | None = None) -> None:
    """Give every handler of `logger` (default: the root logger) the masking formatter, keeping its format."""
    for handler in (logger or logging.getLogger()).handlers:
        current = handler.formatter
        handler.setFormatter(MaskingFormatter(current._fmt if current else FORMAT,
                                              current.datefmt if current else None))
