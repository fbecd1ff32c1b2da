"""The /wecom endpoint: WeCom's server calls it for the street office's self-built app (自建应用).

WeCom always encrypts (wechatpy's enterprise crypto: the official account's WXBizMsgCrypt with the
corp id in place of the app id). The XML inside is the official account's, with an AgentID, so the
codec of bot/wechat is reused and Updates carry platform "wecom" and the WeCom UserID.

- GET: URL verification. `msg_signature` signs the *encrypted* `echostr`; the answer is its plaintext;
  the time stamp must be within the replay window.
- POST: size -> envelope XML -> signature (over the encrypted body) + decryption -> replay window ->
  message XML -> Update ->
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

from bot.guard import Rejected, check_fresh, open_envelope, read_body
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

    async def verify(self, request: web.Request) -> web.Response:
        """GET: URL verification."""
        q = request.query
        echostr = q.get("echostr", "").replace(" ", "+")  # a '+' left unencoded arrives as a space
        if not echostr:
            return Rejected(400, "missing echostr").response("WeCom")
        try:
            plain = self.crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""),
                                                q.get("nonce", ""), echostr)
        except InvalidSignatureException:
            return Rejected(403, "invalid msg_signature").response("WeCom")
        except InvalidCorpIdException:
            return Rejected(403, "echostr is for another corp id").response("WeCom")
        except Exception as exc:  # bad base64, bad padding
            log.info("cannot decrypt echostr: %s", exc)
            return Rejected(400, "cannot decrypt echostr").response("WeCom")
        try:
            check_fresh(q.get("timestamp", ""), self.clock().timestamp(), self.replay_window_s)
        except Rejected as refused:
            return refused.response("WeCom")
        return web.Response(text=plain if isinstance(plain, str) else plain.decode("utf-8"))

    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            body = await read_body(request, self.max_body_bytes)
            plain = open_envelope(self.crypto, body, q, wrong_id=InvalidCorpIdException, whose="corp id")
            check_fresh(q.get("timestamp", ""), self.clock().timestamp(), self.replay_window_s)
        except Rejected as refused:
            return refused.response("WeCom")

        try:
            fields = parse_xml(plain)
            update = to_update(fields, platform=PLATFORM)
        except MalformedMessage as exc:
            return Rejected(400, str(exc)).response("WeCom")
        agent = fields.get("AgentID")
        if self.agent_id and isinstance(agent, str) and agent.strip() and agent.strip() != self.agent_id:
            return Rejected(403, "message is for another agent id").response("WeCom")

        # WeCom always encrypts and `msg_signature` covers the body: a replay repeats the same message, which
        # the inbound log's key drops (no nonce to remember, unlike /wechat's plaintext mode)
        outcome = await self.pipeline.process(update)
        if outcome.reply is None or outcome.reply.empty:
            return web.Response(text="")  # WeCom: an empty 200 means "no reply" (it does not know "success")
        xml = render_reply(outcome.reply, account=self.corp_id, openid=update.user_id,
                           at=outcome.at or self.clock())
        xml = self.crypto.encrypt_message(xml, secrets.token_hex(8), str(int(self.clock().timestamp())))
        return web.Response(text=xml, content_type="application/xml")
