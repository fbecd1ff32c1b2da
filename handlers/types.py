"""What handlers see and return: one normalized Update in, one Reply out. No XML, no platform details."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

# a text message's length on WeChat and WeCom, replies and pushes alike (UTF-8 bytes): what passes it is cut off
TEXT_LIMIT_BYTES = 2048


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    scale: int | None = None
    label: str | None = None  # the place name WeChat shows, e.g. "安徽省合肥市包河区…"


@dataclass(frozen=True)
class Media:
    kind: str  # image | voice | video | shortvideo
    media_id: str
    url: str | None = None  # PicUrl for images
    format: str | None = None  # voice format, e.g. amr


@dataclass(frozen=True)
class Update:
    """One inbound message or event, whatever platform it came on.

    `platform` + `user_id` identify the sender (e.g. "wechat" + openid). `kind` is one of: text, image,
    voice, video, location, link, event, unknown. For events, `event` is the lower-case event name
    (subscribe, unsubscribe, scan, click, view, location, or any other name the platform sends) and
    `event_key` its key (a `qrscene_` prefix is kept as sent). `text` is the typed text, or the voice
    recognition result when the platform gave one.
    """

    platform: str
    user_id: str
    kind: str
    message_key: str
    created_at: datetime
    text: str | None = None
    media: Media | None = None
    location: Location | None = None
    link: dict[str, str] | None = None
    event: str | None = None
    event_key: str | None = None
    raw_type: str | None = None

    def to_log(self) -> dict[str, Any]:
        """The Update as JSON-ready data for the inbound log (built by hand: asdict deep-copies, and this
        runs for every message)."""
        data: dict[str, Any] = {}
        for name in _UPDATE_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "created_at":
                value = value.isoformat()
            elif isinstance(value, (Media, Location)):
                value = dict(vars(value))
            elif isinstance(value, dict):
                value = dict(value)
            data[name] = value
        return data


_UPDATE_FIELDS = tuple(f.name for f in fields(Update))


@dataclass(frozen=True)
class Article:
    title: str
    description: str = ""
    url: str = ""
    image: str = ""


@dataclass(frozen=True)
class Reply:
    """What the bot answers: a text, or a list of articles (news). An empty Reply answers nothing."""

    text: str | None = None
    articles: tuple[Article, ...] = field(default_factory=tuple)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.text is not None:
            data["text"] = self.text
        if self.articles:
            data["articles"] = [asdict(a) for a in self.articles]
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> "Reply":
        data = data or {}
        return cls(text=data.get("text"), articles=tuple(Article(**a) for a in data.get("articles", ())))

    @property
    def empty(self) -> bool:
        return self.text is None and not self.articles
