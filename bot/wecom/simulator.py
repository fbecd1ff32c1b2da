"""Plays WeCom's servers against /wecom: the official account's simulator with WeCom's envelope
(always encrypted, corp id in place of the app id, an AgentID in every message) and URL verification.
Used by `main.py chat --wecom USERID` and the tests."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto as WeComCrypto
from wechatpy.utils import to_text

from bot.wechat.codec import parse_xml
from bot.wechat.simulator import WeChatSimulator, message_xml, sign


@dataclass
class WeComSimulator(WeChatSimulator):
    """`app_id` is the corp id; `aes_key` is required (WeCom always encrypts)."""

    agent_id: str = "1000002"

    @property
    def corp_id(self) -> str:
        return self.app_id or ""

    @property
    def encrypted(self) -> bool:
        return True

    def _crypto(self) -> WeComCrypto:
        return WeComCrypto(self.token, self.aes_key, self.corp_id)

    def build(self, userid: str, msg_type: str, fields: dict[str, object]) -> str:
        return message_xml(userid, msg_type, {**fields, "AgentID": self.agent_id}, create_time=int(self.clock()),
                           account=self.corp_id)

    def signed(self, xml: str, *, timestamp: int | None = None, nonce: str | None = None) -> tuple[dict, str]:
        """Query parameters and body exactly as WeCom would send `xml` to our callback."""
        timestamp_s = str(int(self.clock()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**9))
        envelope = parse_xml(self._crypto().encrypt_message(xml, nonce, timestamp_s))
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>")
        return {"msg_signature": envelope["MsgSignature"], "timestamp": timestamp_s, "nonce": nonce}, body

    def verification(self, echo: str, *, timestamp: int | None = None, nonce: str | None = None) -> dict:
        """The GET parameters of WeCom's URL verification, with `echo` encrypted as echostr."""
        timestamp_s = str(int(self.clock()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**9))
        echostr = to_text(PrpCrypto(self._crypto().key).encrypt(echo, self.corp_id))
        return {"msg_signature": sign(self.token, timestamp_s, nonce, echostr), "timestamp": timestamp_s,
                "nonce": nonce, "echostr": echostr}

    def open_reply(self, body: str) -> dict | None:
        if not body or body == "success":
            return None
        fields = parse_xml(body)
        plain = self._crypto().decrypt_message(fields, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
        return parse_xml(plain)
