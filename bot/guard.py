"""The checks every messaging webhook makes before its message reaches the pipeline (WeChat's /wechat,
WeCom's /wecom): body size, the encrypted envelope and its signature, the replay window and the
(timestamp, nonce) pairs already used. A failed check raises Rejected, which the webhook turns into a
4xx with a one-line reason."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone

from aiohttp import web
from wechatpy.exceptions import InvalidSignatureException

from bot.wechat.codec import MalformedMessage, parse_xml
from storage import replay

log = logging.getLogger(__name__)


class Rejected(Exception):
    """A request refused before it reached the pipeline."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason

    def response(self, platform: str) -> web.Response:
        log.info("%s webhook rejected a request: %d %s", platform, self.status, self.reason)
        return web.Response(status=self.status, text=self.reason + "\n")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refused (413) beyond `limit` bytes without reading more than that."""
    if request.content_length is not None and request.content_length > limit:
        raise Rejected(413, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(limit + 1 - size):  # a body may arrive in several pieces
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body over {limit} bytes")
    return b"".join(chunks)


def open_envelope(crypto, body: bytes, query, *, wrong_id: type[Exception], whose: str) -> str:
    """Check `msg_signature` over the envelope's Encrypt field and decrypt it (WXBizMsgCrypt).
    `wrong_id` is the library's exception for a message meant for another app/corp id."""
    try:
        envelope = parse_xml(body)
    except MalformedMessage as exc:
        raise Rejected(400, str(exc)) from None
    if not isinstance(envelope.get("Encrypt"), str):
        raise Rejected(400, "encrypted message without an Encrypt field")
    try:
        return crypto.decrypt_message(envelope, query.get("msg_signature", ""), query.get("timestamp", ""),
                                      query.get("nonce", ""))
    except InvalidSignatureException:
        raise Rejected(403, "invalid msg_signature") from None
    except wrong_id:
        raise Rejected(403, f"message is for another {whose}") from None
    except Exception as exc:  # bad base64, bad padding, garbage after decryption
        log.info("cannot decrypt: %s", exc)
        raise Rejected(400, "cannot decrypt Encrypt") from None


def check_fresh(timestamp: str, now: float, window_s: int) -> None:
    """Refuse a time stamp more than `window_s` seconds from now (a replayed request)."""
    sent = int(timestamp) if timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 else None
    if sent is None or abs(now - sent) > window_s:
        raise Rejected(403, "timestamp outside the replay window")


class ReplayGuard:
    """Refuses a signed (timestamp, nonce) pair used before with another body, across every process
    (storage/replay.py). Its check runs inside the message's transaction (MessagePipeline's `admit`), after
    the signature and the time stamp have passed, so only the platform's own requests are remembered."""

    def __init__(self, platform: str):
        self.platform = platform

    def admission(self, timestamp: str, nonce: str, body: bytes, window_s: int):
        """The pipeline's `admit` for one request: remember the pair, False for a replay."""
        values = dict(platform=self.platform, timestamp=timestamp, nonce=nonce[:64],
                      body_sha256=hashlib.sha256(body).hexdigest(),
                      expires_at=datetime.fromtimestamp(int(timestamp) + window_s, timezone.utc))

        async def admit(session) -> bool:
            return await replay.remember(session, **values)

        return admit


REPLAYED = Rejected(403, "timestamp and nonce already used for another message")
