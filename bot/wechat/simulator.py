"""Plays WeChat's servers: builds message XML, signs and encrypts it as WeChat does, posts it to a
webhook over HTTP, and decrypts the reply. Used by `main.py chat`, the tests and the benchmarks."""
from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import aiohttp
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.wechat.codec import parse_xml

ACCOUNT = "gh_gongzhi_sandbox"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def message_xml(openid: str, msg_type: str, fields: dict[str, object], *, create_time: int,
                account: str = ACCOUNT) -> str:
    """A WeChat inbound message document with the given fields."""
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>"
                   for k, v in fields.items())
    return (f"<xml><ToUserName><![CDATA[{escape(account)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{escape(openid)}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")


@dataclass
class Delivery:
    status: int
    body: str
    reply: dict | None  # the fields of the (decrypted) reply XML, None for "success"/empty

    @property
    def text(self) -> str | None:
        return (self.reply or {}).get("Content")


@dataclass
class WeChatSimulator:
    url: str  # the webhook, e.g. http://127.0.0.1:8080/wechat
    token: str
    app_id: str | None = None
    aes_key: str | None = None
    clock: object = time.time
    _msg_ids: itertools.count = field(default_factory=lambda: itertools.count(int(time.time() * 1000) * 1000))

    @property
    def encrypted(self) -> bool:
        return bool(self.aes_key)

    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def text(self, openid: str, content: str, msg_id: int | None = None) -> str:
        return self.build(openid, "text", {"Content": content, "MsgId": msg_id or self.next_msg_id()})

    def event(self, openid: str, event: str, key: str | None = None) -> str:
        fields: dict[str, object] = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.build(openid, "event", fields)

    def build(self, openid: str, msg_type: str, fields: dict[str, object]) -> str:
        return message_xml(openid, msg_type, fields, create_time=int(self.clock()))

    def signed(self, xml: str, *, timestamp: int | None = None, nonce: str | None = None) -> tuple[dict, str]:
        """Query parameters and body exactly as WeChat would send `xml` to our webhook."""
        timestamp_s = str(int(self.clock()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**9))
        params = {"signature": sign(self.token, timestamp_s, nonce), "timestamp": timestamp_s, "nonce": nonce,
                  "openid": parse_xml(xml).get("FromUserName", "")}
        if not self.encrypted:
            return params, xml
        crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
        envelope = parse_xml(crypto.encrypt_message(xml, nonce, timestamp_s))
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        return params, body

    async def post(self, session: aiohttp.ClientSession, xml: str, **kwargs) -> Delivery:
        params, body = self.signed(xml, **kwargs)
        return await self.post_raw(session, params, body)

    async def post_raw(self, session: aiohttp.ClientSession, params: dict, body: str | bytes) -> Delivery:
        async with session.post(self.url, params=params, data=body,
                                headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            return Delivery(response.status, text, self.open_reply(text) if response.status == 200 else None)

    def open_reply(self, body: str) -> dict | None:
        if not body or body == "success":
            return None
        fields = parse_xml(body)
        if "Encrypt" in fields:
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            plain = crypto.decrypt_message(fields, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
            fields = parse_xml(plain)
        return fields
