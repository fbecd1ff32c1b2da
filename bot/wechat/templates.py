"""Which WeChat template carries each kind of push outside the 48-hour window, and how its fields are
filled from the push's payload.

Configuration, per push kind (the payload's "template"."kind"):

    WECHAT_TEMPLATE_CASE_STATUS=template:TEMPLATE_ID     a template message (模板消息)
    WECHAT_TEMPLATE_SURVEY=subscribe:TEMPLATE_ID         a subscription message (订阅通知, bizsend)
    WECHAT_TEMPLATE_DISPATCH=TEMPLATE_ID                 no prefix: a template message

and/or a TOML file (WECHAT_TEMPLATES_FILE) that can also map the template's own keys to payload fields
(Python format strings over the payload's "fields"); without a mapping, fields are passed as they are:

    [case_status]
    api = "template"                   # or "subscribe"
    id = "TEMPLATE_ID"
    url = "https://…"                  # optional default link
    [case_status.fields]
    character_string1 = "{case_number}"
    phrase2 = "{status}"
    thing3 = "{summary}"

The environment wins over the file for `api` and `id`; the file's field mapping is kept.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

APIS = ("template", "subscribe")
# WeChat's value limits by key prefix (characters); longer values are refused, so they are cut.
VALUE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "car_number": 8,
                "phone_number": 17, "keyword": 20, "first": 20, "remark": 20}


class TemplateConfigError(ValueError):
    pass


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    api: str  # template | subscribe
    template_id: str
    fields: dict[str, str] = field(default_factory=dict)  # template key -> format string over payload fields
    url: str | None = None

    def fill(self, values: dict) -> dict[str, str]:
        """The template's data from a payload's fields."""
        if not self.fields:
            data = {k: "" if v is None else str(v) for k, v in values.items()}
        else:
            safe = _Missing({k: "" if v is None else v for k, v in values.items()})
            data = {key: fmt.format_map(safe) for key, fmt in self.fields.items()}
        return {k: _cut(k, v) for k, v in data.items()}


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _cut(key: str, value: str) -> str:
    prefix = key.rstrip("0123456789").rstrip("_")  # thing3 -> thing, character_string1 -> character_string
    limit = VALUE_LIMITS.get(prefix)
    if limit and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def parse_env_value(kind: str, value: str) -> tuple[str, str]:
    api, sep, template_id = value.partition(":")
    if not sep:
        api, template_id = "template", value
    if api not in APIS or not template_id.strip():
        raise TemplateConfigError(
            f"WECHAT_TEMPLATE_{kind.upper()} must be TEMPLATE_ID, template:TEMPLATE_ID or subscribe:TEMPLATE_ID")
    return api, template_id.strip()


def load_templates(env_values: dict[str, str], path: Path | None) -> dict[str, TemplateSpec]:
    """Templates by push kind, from WECHAT_TEMPLATE_<KIND> values (kind -> value) and the optional file."""
    specs: dict[str, TemplateSpec] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise TemplateConfigError(f"WECHAT_TEMPLATES_FILE {path}: {exc}") from None
        for kind, entry in data.items():
            if not isinstance(entry, dict) or not entry.get("id"):
                raise TemplateConfigError(f"WECHAT_TEMPLATES_FILE {path}: [{kind}] needs an id")
            api = entry.get("api", "template")
            if api not in APIS:
                raise TemplateConfigError(f"WECHAT_TEMPLATES_FILE {path}: [{kind}] api must be template or subscribe")
            fields = entry.get("fields", {})
            if not isinstance(fields, dict):
                raise TemplateConfigError(f"WECHAT_TEMPLATES_FILE {path}: [{kind}.fields] must be a table")
            specs[kind.lower()] = TemplateSpec(kind.lower(), api, str(entry["id"]),
                                               {str(k): str(v) for k, v in fields.items()}, entry.get("url"))
    for kind, value in env_values.items():
        api, template_id = parse_env_value(kind, value)
        old = specs.get(kind.lower())
        specs[kind.lower()] = TemplateSpec(kind.lower(), api, template_id, old.fields if old else {},
                                           old.url if old else None)
    return specs
