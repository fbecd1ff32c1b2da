"""WeChat XML <-> Update/Reply. The only place that knows WeChat's message fields.

The XML is read with xmltodict (the parser wechatpy itself uses, with entities disabled) into a dict
and mapped field by field: wechatpy's `parse_message` renames `qrscene_` subscribe events and turns
events it does not know into UnknownMessage, while we need the fields exactly as sent (they are part
of the dedupe key) and must handle every event. Replies are rendered by wechatpy's reply classes.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.replies import ArticlesReply, TextReply

from bot.wechat.limits import fit_utf8
from handlers.types import TEXT_LIMIT_BYTES, Location, Media, Reply, Update

MAX_ARTICLES = 8
# characters XML 1.0 does not allow; a reply must never contain them
_XML_ILLEGAL = dict.fromkeys(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


class MalformedMessage(ValueError):
    """The body is not a WeChat message we can read (bad XML or a missing/invalid field)."""


# WeChat and WeCom never send a document type declaration; one is refused before parsing, whatever the
# installed xmltodict does with it (1.x raises, 0.14 silently drops the entities and reads the rest)
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)


def parse_xml(body: str | bytes) -> dict[str, object]:
    """The fields of a WeChat `<xml>` document, as a dict of strings."""
    if _DTD.search(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body):
        raise MalformedMessage("malformed XML: a document type declaration is not allowed")
    try:
        doc = xmltodict.parse(body, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise MalformedMessage(f"malformed XML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise MalformedMessage("the document's root element must be <xml> with fields")
    return doc["xml"]


def _field(data: dict, name: str, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise MalformedMessage(f"missing field {name}")
        return None
    if not isinstance(value, str):
        raise MalformedMessage(f"field {name} must be text")
    return value


def _number(data: dict, name: str, cast=float):
    value = _field(data, name)
    if value is None:
        return None
    try:
        return cast(value.strip())
    except ValueError:
        raise MalformedMessage(f"field {name} must be a number") from None


def message_key(data: dict) -> str:
    """The dedupe key of a message (the log's unique key adds the platform and FromUserName): MsgId for
    messages; (CreateTime, Event, EventKey, MsgID) for events. Several events carry a MsgID of their own
    (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, WeCom's), and two of them from one sender can share a second;
    an event without one keeps the key it always had, so a retry spanning an upgrade is still dropped."""
    msg_type = (_field(data, "MsgType") or "").lower()
    if msg_type == "event":
        key = "evt:{}:{}:{}".format(data.get("CreateTime"), data.get("Event") or "", data.get("EventKey") or "")
        msg_id = data.get("MsgID") or data.get("MsgId")
        return f"{key}:{msg_id.strip()}" if isinstance(msg_id, str) and msg_id.strip() else key
    msg_id = _field(data, "MsgId") or _field(data, "MsgID")
    if msg_id:
        return f"msg:{msg_id}"
    return "msg-t:{}:{}".format(data.get("CreateTime"), msg_type)


def to_update(data: dict, platform: str = "wechat") -> Update:
    """Turn the fields of one inbound message or event into an Update."""
    user_id = _field(data, "FromUserName", required=True).strip()
    if not user_id or len(user_id) > 128:
        raise MalformedMessage("FromUserName must be 1 to 128 characters")
    msg_type = _field(data, "MsgType", required=True).strip().lower()
    created = _number(data, "CreateTime", int)
    if created is None:
        raise MalformedMessage("missing field CreateTime")
    try:
        created_at = datetime.fromtimestamp(created, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise MalformedMessage("CreateTime is out of range") from None
    common = dict(platform=platform, user_id=user_id, message_key=message_key(data), created_at=created_at,
                  raw_type=msg_type)

    if msg_type == "text":
        return Update(kind="text", text=_field(data, "Content") or "", **common)
    if msg_type == "image":
        media = Media("image", _field(data, "MediaId") or "", url=_field(data, "PicUrl"))
        return Update(kind="image", media=media, **common)
    if msg_type == "voice":
        media = Media("voice", _field(data, "MediaId") or "", format=_field(data, "Format"))
        recognition = (_field(data, "Recognition") or "").strip() or None
        return Update(kind="voice", media=media, text=recognition, **common)
    if msg_type in ("video", "shortvideo"):
        return Update(kind="video", media=Media(msg_type, _field(data, "MediaId") or ""), **common)
    if msg_type == "location":
        lat, lng = _number(data, "Location_X"), _number(data, "Location_Y")
        if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise MalformedMessage("location needs Location_X/Location_Y within range")
        scale = _number(data, "Scale", int)
        return Update(kind="location", location=Location(lat, lng, scale, _field(data, "Label")), **common)
    if msg_type == "link":
        link = {k: _field(data, f) or "" for k, f in (("title", "Title"), ("description", "Description"), ("url", "Url"))}
        return Update(kind="link", link=link, **common)
    if msg_type == "event":
        name = (_field(data, "Event") or "").strip().lower()
        key = _field(data, "EventKey")
        location = None
        if name == "location":
            lat, lng = _number(data, "Latitude"), _number(data, "Longitude")
            if lat is not None and lng is not None:
                location = Location(lat, lng)
        return Update(kind="event", event=name, event_key=key, location=location, **common)
    return Update(kind="unknown", **common)


def _cdata(text: str) -> str:
    """Text safe inside wechatpy's CDATA sections: no control characters, no early ']]>'."""
    return text.translate(_XML_ILLEGAL).replace("]]>", "]]]]><![CDATA[>")


def render_reply(reply: Reply, *, account: str, openid: str, at: datetime) -> str:
    """The reply as WeChat's passive-reply XML (plaintext; the webhook encrypts it when needed)."""
    timestamp = int(at.timestamp())
    if reply.articles:
        rendered = ArticlesReply(source=account, target=openid, time=timestamp)
        for article in reply.articles[:MAX_ARTICLES]:
            rendered.add_article({"title": _cdata(article.title), "description": _cdata(article.description),
                                  "image": _cdata(article.image), "url": _cdata(article.url)})
        return rendered.render()
    text = _cdata(fit_utf8(reply.text or "", TEXT_LIMIT_BYTES))
    return TextReply(source=_cdata(account), target=_cdata(openid), content=text, time=timestamp).render()
