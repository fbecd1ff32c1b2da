"""The /wechat endpoint: WeChat's server calls it with signed (and possibly encrypted) XML.

Order of checks for a POST: size -> signature -> replay window -> XML -> Update. Nothing is stored
before the signature and the time stamp have passed, and no request gets a 500: unexpected errors in
handlers become an apology reply (bot.pipeline), bad requests a 4xx with a one-line reason.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.pipeline import Clock, MessagePipeline
from bot.wechat.codec import MalformedMessage, parse_xml, render_reply, to_update

log = logging.getLogger(__name__)


class WeChatWebhook:
    def __init__(
        self,
        pipeline: MessagePipeline,
        *,
        token: str,
        app_id: str | None,
        aes_key: str | None,
        clock: Clock,
        replay_window_s: int = 300,
        max_body_bytes: int = 64 * 1024,
    ):
        self.pipeline = pipeline
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self.clock = clock
        self.replay_window_s = replay_window_s
        self.max_body_bytes = max_body_bytes

    def routes(self, path: str = "/wechat") -> list[web.RouteDef]:
        return [web.get(path, self.verify), web.post(path, self.receive)]

    # --- GET: WeChat's URL verification -------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        q = request.query
        if not self._signature_ok(q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")):
            return _reject(403, "invalid signature")
        return web.Response(text=q.get("echostr", ""))

    # --- POST: a message or event -------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            return _reject(413, f"body over {self.max_body_bytes} bytes")
        body = await request.content.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return _reject(413, f"body over {self.max_body_bytes} bytes")
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        encrypted = q.get("encrypt_type", "raw").lower() == "aes"

        if encrypted:
            if self.crypto is None:
                return _reject(400, "encrypted message but no WECHAT_AES_KEY configured")
            try:
                envelope = parse_xml(body)
            except MalformedMessage as exc:
                return _reject(400, str(exc))
            if not isinstance(envelope.get("Encrypt"), str):
                return _reject(400, "encrypted message without an Encrypt field")
            try:
                plain = self.crypto.decrypt_message(envelope, q.get("msg_signature", ""), timestamp, nonce)
            except InvalidSignatureException:
                return _reject(403, "invalid msg_signature")
            except InvalidAppIdException:
                return _reject(403, "message is for another app id")
            except Exception as exc:  # bad base64, bad padding, garbage after decryption
                log.info("cannot decrypt: %s", exc)
                return _reject(400, "cannot decrypt Encrypt")
        else:
            if not self._signature_ok(q.get("signature", ""), timestamp, nonce):
                return _reject(403, "invalid signature")
            plain = body
        if not self._fresh(timestamp):
            return _reject(403, "timestamp outside the replay window")

        try:
            fields = parse_xml(plain)
            update = to_update(fields)
        except MalformedMessage as exc:
            return _reject(400, str(exc))
        account = fields.get("ToUserName") if isinstance(fields.get("ToUserName"), str) else ""

        outcome = await self.pipeline.process(update)
        if outcome.reply is None or outcome.reply.empty:
            return web.Response(text="success")
        xml = render_reply(outcome.reply, account=account, openid=update.user_id, at=outcome.at or self.clock())
        if encrypted:
            xml = self.crypto.encrypt_message(xml, secrets.token_hex(8), str(int(self.clock().timestamp())))
        return web.Response(text=xml, content_type="application/xml")

    def _signature_ok(self, signature: str, timestamp: str, nonce: str) -> bool:
        try:
            check_signature(self.token, signature, timestamp, nonce)
            return True
        except InvalidSignatureException:
            return False

    def _fresh(self, timestamp: str) -> bool:
        try:
            sent = int(timestamp)
        except ValueError:
            return False
        return abs(self.clock().timestamp() - sent) <= self.replay_window_s


def _reject(status: int, reason: str) -> web.Response:
    log.info("webhook rejected a request: %d %s", status, reason)
    return web.Response(status=status, text=reason + "\n")
