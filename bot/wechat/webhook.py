"""The /wechat endpoint: WeChat's server calls it with signed (and possibly encrypted) XML.

Order of checks for a POST: size -> signature -> replay window -> (plaintext only: the timestamp and nonce
not used for another body) -> XML -> Update. With an AES key configured only encrypted POSTs are taken (WeChat's
compatible mode sends `encrypt_type=aes` too): the plain `signature` covers no body, so a plaintext POST
would let anyone holding one signed query string post anything. Nothing is stored before the signature
and the time stamp have passed, and no request gets a 500: unexpected errors in handlers become an
apology reply (bot.pipeline), bad requests a 4xx with a one-line reason.
"""
from __future__ import annotations

import logging
import secrets

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.guard import REPLAYED, Rejected, ReplayGuard, check_fresh, open_envelope, read_body
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
        self.replay = ReplayGuard("wechat")
        self.replay_window_s = replay_window_s
        self.max_body_bytes = max_body_bytes

    def routes(self, path: str = "/wechat") -> list[web.RouteDef]:
        return [web.get(path, self.verify), web.post(path, self.receive)]

    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat's URL verification, signed and within the replay window."""
        q = request.query
        try:
            if not self._signature_ok(q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")):
                raise Rejected(403, "invalid signature")
            check_fresh(q.get("timestamp", ""), self.clock().timestamp(), self.replay_window_s)
        except Rejected as refused:
            return refused.response("WeChat")
        return web.Response(text=q.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        encrypted = q.get("encrypt_type", "raw").lower() == "aes"
        try:
            body = await read_body(request, self.max_body_bytes)
            if encrypted:
                if self.crypto is None:
                    raise Rejected(400, "encrypted message but no WECHAT_AES_KEY configured")
                plain = open_envelope(self.crypto, body, q, wrong_id=InvalidAppIdException, whose="app id")
            elif self.crypto is not None:
                raise Rejected(403, "plaintext message refused: WECHAT_AES_KEY is set, encrypt_type=aes required")
            elif self._signature_ok(q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")):
                plain = body
            else:
                raise Rejected(403, "invalid signature")
            check_fresh(q.get("timestamp", ""), self.clock().timestamp(), self.replay_window_s)
        except Rejected as refused:
            return refused.response("WeChat")

        try:
            fields = parse_xml(plain)
            update = to_update(fields)
        except MalformedMessage as exc:
            return Rejected(400, str(exc)).response("WeChat")
        account = fields.get("ToUserName") if isinstance(fields.get("ToUserName"), str) else ""

        # Plaintext `signature` covers token, timestamp and nonce, not the body: a leaked query string could
        # carry another body, so the pair is remembered. `msg_signature` covers the encrypted body itself: a
        # replay can only repeat the same message, which the inbound log's key already drops; no write needed.
        admit = None if encrypted else self.replay.admission(q["timestamp"], q.get("nonce", ""), body,
                                                             self.replay_window_s)
        outcome = await self.pipeline.process(update, admit)
        if outcome.refused:
            return REPLAYED.response("WeChat")
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
