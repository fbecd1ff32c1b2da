"""Which WeChat template or subscription message carries each kind of push outside the 48-hour window, and
how its keywords are filled from the push's payload, as WeChat defines them.

One TOML file (WECHAT_TEMPLATES_FILE), a table per push kind:

    [dispatch]
    api = "template"                # 模板消息; or "subscribe" (订阅通知, bizsend)
    id = "TEMPLATE_ID"
    url = "https://…"               # optional default link
    [dispatch.fields]               # the template's keyword = a field of the push (or a format string of fields)
    character_string1 = "case_number"
    thing2 = "{title}：{place}"
    time3 = "time"

A keyword's type is its name without the trailing number (`thing2` -> thing, `character_string1` ->
character_string); `KEYWORD_TYPES` declares each type's rules once. Values are fitted to them by cutting,
never by adding characters. WECHAT_TEMPLATE_<KIND>=template:ID|subscribe:ID may replace a kind's id (e.g. a
staging account's), and only for a kind the file maps. Everything is checked at start: a kind the backend
never sends, a field its pushes do not carry, a kind with an id but no mapping, a keyword of unknown type
stop the server with one line (bot/config.py).
"""
from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from backend.pushes import TEMPLATE_FIELDS
from backend.wording import shorten

APIS = ("template", "subscribe")
HAN = "\u4e00-\u9fff"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"
_DAY = r"\d{4}(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)"


def _span(one: str) -> str:
    return rf"{one}(?:\s*~\s*{one})?"  # a time or date, or a span of two joined by ~


@dataclass(frozen=True)
class KeywordType:
    """What a keyword of one type may hold (WeChat's rules for template and subscription messages):
    `keep` the characters allowed (others are cut out), `limit` how many, or `pattern` the whole value's
    form (the first part of the value in that form is kept); `words`: free text, cut at a word boundary,
    where an ellipsis is allowed. `alternatives`: (keep, limit) pairs tried in order (a name is 10 Chinese
    characters or 20 letters/symbols)."""

    limit: int = 0
    keep: str | None = None
    pattern: str | None = None
    words: bool = False
    alternatives: tuple[tuple[str, int], ...] = ()


KEYWORD_TYPES: dict[str, KeywordType] = {
    "thing": KeywordType(20, words=True),                    # 20 characters: Chinese, digits, letters, symbols
    "character_string": KeywordType(32, keep=r"[A-Za-z0-9_-]"),
    "phrase": KeywordType(5, keep=f"[{HAN}]"),               # 5 Chinese characters
    "number": KeywordType(32, pattern=r"[-+]?\d+(?:\.\d+)?"),
    "letter": KeywordType(32, keep=r"[A-Za-z]"),
    "symbol": KeywordType(5, keep=rf"[^\w\s{HAN}]"),
    "time": KeywordType(pattern=_span(rf"(?:{_DAY}\s*)?{_CLOCK}")),   # 15:01, 2019年10月1日 15:01, a ~ span
    "date": KeywordType(pattern=_span(rf"{_DAY}(?:\s*{_CLOCK})?")),   # 2019年10月1日 (15:01), a ~ span
    "amount": KeywordType(pattern=r"[¥$￥]?\d{1,12}(?:\.\d+)?元?"),
    "car_number": KeywordType(8, keep=f"[A-Za-z0-9{HAN}]"),
    "name": KeywordType(alternatives=((f"[{HAN}]", 10), (rf"[^\s\d{HAN}]", 20))),
    "phone_number": KeywordType(17, keep=r"[0-9+()-]"),
    # the older template messages' keywords: free text
    "first": KeywordType(20, words=True),
    "keyword": KeywordType(20, words=True),
    "remark": KeywordType(20, words=True),
}


class TemplateConfigError(ValueError):
    pass


def keyword_type(keyword: str) -> str:
    """thing3 -> thing, character_string1 -> character_string, first -> first."""
    return keyword.rstrip("0123456789").rstrip("_")


def fit(kind: str, value: str) -> str:
    """`value` made to follow the rules of keyword type `kind`, by cutting only."""
    rule = KEYWORD_TYPES[kind]
    value = " ".join(str(value).split())
    if rule.words:
        return shorten(value, rule.limit)
    if rule.pattern:
        found = re.search(rule.pattern, value)
        return found.group(0) if found else ""
    for keep, limit in rule.alternatives or ((rule.keep, rule.limit),):
        kept = "".join(re.findall(keep, value))[:limit]
        if kept:
            return kept
    return ""


def fits(kind: str, value: str) -> bool:
    """The value is one WeChat accepts for a keyword of this type (not empty, nothing to cut)."""
    return kind in KEYWORD_TYPES and bool(value) and fit(kind, value) == value


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    api: str  # template | subscribe
    template_id: str
    fields: dict[str, str] = field(default_factory=dict)  # keyword -> format string over the push's fields
    url: str | None = None

    def fill(self, values: dict) -> dict[str, str]:
        """The template's data from a payload's fields, each value fitted to its keyword's type."""
        safe = {k: "" if v is None else v for k, v in values.items()}
        return {keyword: fit(keyword_type(keyword), fmt.format_map(_Blank(safe)))
                for keyword, fmt in self.fields.items()}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _format(kind: str, keyword: str, value: object, where: str) -> str:
    """A mapping's value as a format string: a bare field name, or a format string of {fields}, all of
    which pushes of `kind` carry."""
    text = str(value).strip()
    fmt = text if "{" in text else "{" + text + "}"
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None]
    except ValueError as exc:
        raise TemplateConfigError(f"{where}: [{kind}.fields] {keyword}: {exc}") from None
    known = TEMPLATE_FIELDS[kind]
    for name in names:
        if name not in known:
            raise TemplateConfigError(f"{where}: [{kind}.fields] {keyword} = {text!r}: {kind} pushes have no field "
                                      f"{name!r} (they have {', '.join(known)})")
    return fmt


def _spec(kind: str, entry: object, where: str) -> TemplateSpec:
    if kind not in TEMPLATE_FIELDS:
        raise TemplateConfigError(f"{where}: [{kind}] is not a kind of push (kinds: {', '.join(TEMPLATE_FIELDS)})")
    if not isinstance(entry, dict):
        raise TemplateConfigError(f"{where}: [{kind}] must be a table")
    unknown = set(entry) - {"api", "id", "url", "fields"}
    if unknown:
        raise TemplateConfigError(f"{where}: [{kind}] has unknown settings {', '.join(sorted(unknown))}")
    api, fields = entry.get("api", "template"), entry.get("fields")
    if api not in APIS:
        raise TemplateConfigError(f"{where}: [{kind}] api must be template or subscribe")
    if not str(entry.get("id") or "").strip():
        raise TemplateConfigError(f"{where}: [{kind}] needs an id")
    if not isinstance(fields, dict) or not fields:
        raise TemplateConfigError(f"{where}: [{kind}] has an id but no [{kind}.fields] mapping of its keywords")
    for keyword in fields:
        if keyword_type(keyword) not in KEYWORD_TYPES:
            raise TemplateConfigError(f"{where}: [{kind}.fields] {keyword}: unknown keyword type "
                                      f"{keyword_type(keyword)!r} (types: {', '.join(KEYWORD_TYPES)})")
    mapping = {str(k): _format(kind, k, v, where) for k, v in fields.items()}
    return TemplateSpec(kind, api, str(entry["id"]).strip(), mapping, entry.get("url"))


def parse_templates(text: str, where: str = "WECHAT_TEMPLATES_FILE") -> dict[str, TemplateSpec]:
    """Templates by push kind from a templates file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateConfigError(f"{where}: {exc}") from None
    return {kind.lower(): _spec(kind.lower(), entry, where) for kind, entry in data.items()}


def parse_env_value(kind: str, value: str) -> tuple[str, str]:
    api, sep, template_id = value.partition(":")
    if not sep:
        api, template_id = "template", value
    if api not in APIS or not template_id.strip():
        raise TemplateConfigError(
            f"WECHAT_TEMPLATE_{kind.upper()} must be TEMPLATE_ID, template:TEMPLATE_ID or subscribe:TEMPLATE_ID")
    return api, template_id.strip()


def load_templates(env_values: dict[str, str], path: Path | None) -> dict[str, TemplateSpec]:
    """Templates by push kind: the file's, with ids replaced by WECHAT_TEMPLATE_<KIND> values (kind -> value)."""
    specs: dict[str, TemplateSpec] = {}
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateConfigError(f"WECHAT_TEMPLATES_FILE {path}: {exc.strerror or exc}") from None
        specs = parse_templates(text, f"WECHAT_TEMPLATES_FILE {path}")
    for kind, value in env_values.items():
        api, template_id = parse_env_value(kind, value)
        old = specs.get(kind.lower())
        if old is None:
            raise TemplateConfigError(f"WECHAT_TEMPLATE_{kind.upper()} is set but WECHAT_TEMPLATES_FILE maps no "
                                      f"keywords for [{kind.lower()}]: WeChat would show its fields blank")
        specs[kind.lower()] = TemplateSpec(old.kind, api, template_id, old.fields, old.url)
    return specs
