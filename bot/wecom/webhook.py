"""The /wecom endpoint: WeCom's server calls it for the street office's self-built app (自建应用).

WeCom always encrypts (wechatpy's enterprise crypto: the official account's WXBizMsgCrypt with the
corp id in place of the app id). The XML inside is the official account's, with an AgentID, so the
codec of bot/wechat is reused and Updates carry platform "wecom" and the WeCom UserID.

- GET: URL verification. `msg_signature` signs the *encrypted* `echostr`; the answer is its plaintext.
- POST: size -> envelope XML -> signature + decryption -> replay window -> message XML -> Update ->
  the pipeline (dedupe, order, 5 s budget) -> an encrypted passive reply, or an empty 200. The same
  answers to bad input as /wechat: 413, 403 (signature, corp id, agent id, replay), 400 (XML, fields,
  decryption); nothing is stored before these pass.
"""
from __future__ import annotations

import logging
import secrets

from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.pipeline import Clock, MessagePipeline
from bot.wechat.codec import MalformedMessage, parse_xml, render_reply, to_update

log = logging.getLogger(__name__)

PLATFORM = "wecom"


class WeComWebhook:
    def __init__(
        self,
        pipeline: MessagePipeline,
        *,
        token: str,
        aes_key: str,
        corp_id: str,
        agent_id: str | None,
        clock: Clock,
        replay_window_s: int = 300,
        max_body_bytes: int = 64 * 1024,
    ):
        self.pipeline = pipeline
        self.crypto = WeComCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.clock = clock
        self.replay_window_s = replay_window_s
        self.max_body_bytes = max_body_bytes

    def routes(self, path: str = "/wecom") -> list[web.RouteDef]:
        return [web.get(path, self.verify), web.post(path, self.receive)]

    # --- GET: URL verification ----------------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        q = request.query
        echostr = q.get("echostr", "").replace(" ", "+")  # a '+' left unencoded arrives as a space
        if not echostr:
            return _reject(400, "missing echostr")
        try:
            plain = self.crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""),
                                                q.get("nonce", ""), echostr)
        except InvalidSignatureException:
            return _reject(403, "invalid msg_signature")
        except InvalidCorpIdException:
            return _reject(403, "echostr is for another corp id")
        except Exception as exc:  # bad base64, bad padding
            log.info("cannot decrypt echostr: %s", exc)
            return _reject(400, "cannot decrypt echostr")
        return web.Response(text=plain if isinstance(plain, str) else plain.decode("utf-8"))

    # --- POST: a message or event -------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            return _reject(413, f"body over {self.max_body_bytes} bytes")
        body = await request.content.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return _reject(413, f"body over {self.max_body_bytes} bytes")
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        try:
            envelope = parse_xml(body)
        except MalformedMessage as exc:
            return _reject(400, str(exc))
        if not isinstance(envelope.get("Encrypt"), str):
            return _reject(400, "WeCom messages are encrypted: no Encrypt field")
        try:
            plain = self.crypto.decrypt_message(envelope, q.get("msg_signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            return _reject(403, "invalid msg_signature")
        except InvalidCorpIdException:
            return _reject(403, "message is for another corp id")
        except Exception as exc:  # bad base64, bad padding, garbage after decryption
            log.info("cannot decrypt: %s", exc)
            return _reject(400, "cannot decrypt Encrypt")
        if not self._fresh(timestamp):
            return _reject(403, "timestamp outside the replay window")

        try:
            fields = parse_xml(plain)
            update = to_update(fields, platform=PLATFORM)
        except MalformedMessage as exc:
            return _reject(400, str(exc))
        agent = fields.get("AgentID")
        if self.agent_id and isinstance(agent, str) and agent.strip() and agent.strip() != self.agent_id:
            return _reject(403, "message is for another agent id")

        outcome = await self.pipeline.process(update)
        if outcome.reply is None or outcome.reply.empty:
            return web.Response(text="")  # WeCom: an empty 200 means "no reply" (it does not know "success")
        xml = render_reply(outcome.reply, account=self.corp_id, openid=update.user_id,
                           at=outcome.at or self.clock())
        xml = self.crypto.encrypt_message(xml, secrets.token_hex(8), str(int(self.clock().timestamp())))
        return web.Response(text=xml, content_type="application/xml")

    def _fresh(self, timestamp: str) -> bool:
        try:
            sent = int(timestamp)
        except ValueError:
            return False
        return abs(self.clock().timestamp() - sent) <= self.replay_window_s


def _reject(status: int, reason: str) -> web.Response:
    log.info("WeCom webhook rejected a request: %d %s", status, reason)
    return web.Response(status=status, text=reason + "\n")
