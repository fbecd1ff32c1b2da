"""Configuration from the environment (and an optional .env file), validated once at start.

Every setting is declared once, as a field of `Settings` made by `setting(ENV_VAR, default, parser, doc)`:
its name, environment variable, type, default, parser/validator and meaning live on one line.
`Settings.from_env` reads them all from that declaration; the README's configuration table lists the same
variables (tests/unit/test_settings.py keeps the two in step). Fields made with plain defaults are fixed
promises of the code (e.g. the webhook's 5 s budget), not configuration.

A parser takes the stripped text of the variable and its name and returns the value, or raises ConfigError
with one line a person can act on. An empty variable counts as unset.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from storage.db import UnsupportedDatabase, normalize_url

WECHAT_API_DEFAULT = "https://api.weixin.qq.com"
WECHAT_OAUTH_DEFAULT = "https://open.weixin.qq.com"
WECOM_API_DEFAULT = "https://qyapi.weixin.qq.com"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DAY_S = 24 * 3600

Parser = Callable[[str, str], Any]


class ConfigError(ValueError):
    """Configuration that cannot work; the message is one line a person can act on."""


# --- parsers: (text, variable name) -> value ---------------------------------------------------------------

def text(value: str, name: str) -> str:
    return value


def base_url(value: str, name: str) -> str:
    return value.rstrip("/")


def path(value: str, name: str) -> Path:
    return Path(value)


def port(value: str, name: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"{name} must be a TCP port number, got {value!r}")
    return int(value)


def whole_seconds(value: str, name: str) -> int:
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds, got {value!r}")
    return int(value)


def count(minimum: int = 0) -> Parser:
    def parse(value: str, name: str) -> int:
        if not value.isdigit() or int(value) < minimum:
            raise ConfigError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
        return int(value)
    return parse


def seconds(value: str, name: str) -> float:
    try:
        parsed = float(value)
    except ValueError:
        parsed = -1.0
    if not 0 < parsed < float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    return parsed


def flag(value: str, name: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off, got {value!r}")


def choice(*choices: str, upper: bool = False) -> Parser:
    def parse(value: str, name: str) -> str:
        word = value.upper() if upper else value.lower()
        if word not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return word
    return parse


def networks(value: str, name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (10.0.0.5, 10.0.0.0/24, ::1)."""
    found = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(f"{name} must be IP addresses or networks separated by commas, got {part!r}") from None
    return tuple(found)


def setting(env: str, default: Any, parse: Parser = text, doc: str = "") -> Any:
    """A field of Settings read from the environment variable `env` (declared once, here)."""
    return field(default=default, metadata={"env": env, "parse": parse, "doc": doc})


def prefixed(prefix: str, doc: str) -> Any:
    """A field read from every variable that starts with `prefix` (a dict: the rest of the name, lower case)."""
    return field(default_factory=dict, metadata={"env": prefix + "*", "prefix": prefix, "doc": doc})


@dataclass(frozen=True)
class Settings:
    database_url: str = setting("DATABASE_URL", "sqlite+aiosqlite:///data/gongzhi.db", text,
                                "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASS@HOST/DB")
    host: str = setting("HOST", "127.0.0.1", text, "the address the server listens on")
    port: int = setting("PORT", 8080, port, "the TCP port the server listens on")
    data_dir: Path = setting("DATA_DIR", Path("data"), path, "sandbox credentials, media, caches (0700)")
    log_level: str = setting("LOG_LEVEL", "INFO", choice(*LOG_LEVELS, upper=True), "the log's threshold")
    wechat_token: str | None = setting("WECHAT_TOKEN", None, text, "the official account's Token; unset: sandbox")
    wechat_app_id: str | None = setting("WECHAT_APP_ID", None, text, "the official account's AppID")
    wechat_app_secret: str | None = setting("WECHAT_APP_SECRET", None, text, "AppSecret, for WeChat's API")
    wechat_aes_key: str | None = setting("WECHAT_AES_KEY", None, text, "EncodingAESKey; set: only encrypted POSTs")
    wechat_api_base: str = setting("WECHAT_API_BASE", WECHAT_API_DEFAULT, base_url, "where WeChat's API is")
    sandbox_public: bool = setting("SANDBOX_PUBLIC", False, flag,
                                   "let sandbox mode listen on a non-loopback HOST (never on a real deployment)")
    nlp_model_dir: Path | None = setting("NLP_MODEL_DIR", None, path, "a model trained with `nlp train`")
    draft_ttl_s: int = setting("DRAFT_TTL_S", 1800, whole_seconds, "an idle unfinished report (or charging question) expires, and the resident is told after how long")
    # the 1315 clock (seconds from dispatch) and the revisit (回头看) delay
    sla_accept_s: int = setting("SLA_ACCEPT_S", 60, whole_seconds, "accept within this long of dispatch")
    sla_depart_s: int = setting("SLA_DEPART_S", 180, whole_seconds, "set off within this long of dispatch")
    sla_arrive_s: int = setting("SLA_ARRIVE_S", 900, whole_seconds, "be on site within this long of dispatch")
    revisit_after_s: int = setting("REVISIT_AFTER_S", 3 * DAY_S, whole_seconds, "回头看 after resolution")
    survey_delay_s: int = setting("SURVEY_DELAY_S", 2 * 3600, whole_seconds, "the survey after resolution")
    # a person when the bot cannot help: how long a resident waits for one, how long a silent conversation lasts
    takeover_pickup_s: int = setting("TAKEOVER_PICKUP_S", 180, whole_seconds,
                                     "nobody takes a resident who asked for a person within this long: a call-back case")
    takeover_idle_s: int = setting("TAKEOVER_IDLE_S", 1800, whole_seconds,
                                   "a conversation with a staff member ends after this long without a message")
    # the database connection pool (PostgreSQL) and how long one statement may run
    db_pool_size: int = setting("DB_POOL_SIZE", 10, count(1), "PostgreSQL connections per process")
    db_statement_timeout_ms: int = setting("DB_STATEMENT_TIMEOUT_MS", 10000, count(0),
                                           "PostgreSQL gives up a statement after this long")
    # pushes and jobs (bot/background/outbox.py, bot/background/jobs.py, bot/wechat/delivery.py)
    background: bool = setting("BACKGROUND", True, flag, "run the outbox sender and the job loop here")
    wechat_templates: dict = prefixed("WECHAT_TEMPLATE_", "replaces the id of a kind the templates file maps")
    wechat_templates_file: Path | None = setting("WECHAT_TEMPLATES_FILE", None, path,
                                                 "TOML file: per push kind, template id and keyword mapping")
    wechat_cs_window_s: int = setting("WECHAT_CS_WINDOW_S", 2 * DAY_S, whole_seconds,
                                      "customer-service messages within this long of the last message")
    wechat_cs_allowance: int = setting("WECHAT_CS_ALLOWANCE", 20, count(0), "custom messages per message (0: no cap)")
    wechat_api_timeout_s: float = setting("WECHAT_API_TIMEOUT_S", 10.0, seconds, "one call to WeChat's API")
    token_refresh_ahead_s: int = setting("TOKEN_REFRESH_AHEAD_S", 300, whole_seconds, "refresh before expiry")
    outbox_poll_s: float = setting("OUTBOX_POLL_S", 1.0, seconds, "an idle sender looks this often")
    outbox_batch: int = setting("OUTBOX_BATCH", 50, count(1), "pushes claimed per round")
    outbox_concurrency: int = setting("OUTBOX_CONCURRENCY", 8, count(1), "pushes sent at once")
    outbox_lease_s: int = setting("OUTBOX_LEASE_S", 60, whole_seconds, "a claimed push is reserved this long")
    outbox_retry_base_s: float = setting("OUTBOX_RETRY_BASE_S", 2.0, seconds, "backoff base")
    outbox_retry_max_s: float = setting("OUTBOX_RETRY_MAX_S", 600.0, seconds, "backoff cap")
    outbox_give_up_s: int = setting("OUTBOX_GIVE_UP_S", DAY_S, whole_seconds, "a push failing this long fails")
    outbox_pause_retry_s: float = setting("OUTBOX_PAUSE_RETRY_S", 300.0, seconds,
                                          "a platform paused by an account error is tried this often")
    staff_alarm_s: int = setting("STAFF_ALARM_S", DAY_S, count(1),
                                 "a staff push that did not arrive keeps /healthz degraded this long")
    jobs_poll_s: float = setting("JOBS_POLL_S", 1.0, seconds, "an idle job loop looks this often")
    jobs_lease_s: int = setting("JOBS_LEASE_S", 300, whole_seconds, "a claimed job is reserved this long")
    jobs_max_attempts: int = setting("JOBS_MAX_ATTEMPTS", 5, count(1), "runs of a failing job before parking")
    jobs_retry_base_s: float = setting("JOBS_RETRY_BASE_S", 30.0, seconds, "backoff base")
    jobs_retry_max_s: float = setting("JOBS_RETRY_MAX_S", 3600.0, seconds, "backoff cap")
    media_poll_s: int = setting("MEDIA_POLL_S", 5, count(1), "how often the media keeper looks for photos")
    # EV charging: when a station's data is too old to show, how long a free-spot alert waits
    charging_stale_s: int = setting("CHARGING_STALE_S", 600, count(1), "older station data is not shown")
    charging_alert_ttl_s: int = setting("CHARGING_ALERT_TTL_S", 7200, count(1), "a free-spot alert expires")
    charging_alert_radius_m: int = setting("CHARGING_ALERT_RADIUS_M", 1000, count(1), "nearby alerts' radius")
    # other channels: Open311 and the SMS sender of phone-binding codes
    sms_sender: str = setting("SMS_SENDER", "auto", choice("auto", "log", "off"),
                              "auto: log in sandbox mode, off otherwise; log (sandbox only) | off")
    open311_match_m: int = setting("OPEN311_MATCH_M", 1000, count(1), "lat/long this close files at a compound")
    # WeCom: staff on the street office's WeCom app; unset = /wecom off
    wecom_corp_id: str | None = setting("WECOM_CORP_ID", None, text, "the corp id (企业ID)")
    wecom_agent_id: str | None = setting("WECOM_AGENT_ID", None, text, "the app's AgentId")
    wecom_secret: str | None = setting("WECOM_SECRET", None, text, "the app's Secret")
    wecom_token: str | None = setting("WECOM_TOKEN", None, text, "the callback's Token")
    wecom_aes_key: str | None = setting("WECOM_AES_KEY", None, text, "the callback's EncodingAESKey")
    wecom_api_base: str = setting("WECOM_API_BASE", WECOM_API_DEFAULT, base_url, "where WeCom's API is")
    public_url: str | None = setting("PUBLIC_URL", None, base_url, "where people reach the server (case links)")
    # dashboard: sessions, /metrics, the targets and hotspot rule of the reports
    dashboard_session_ttl_s: int = setting("DASHBOARD_SESSION_TTL_S", 8 * 3600, count(60), "a login lasts this long")
    dashboard_cookie_secure: str = setting("DASHBOARD_COOKIE_SECURE", "auto", choice("auto", "on", "off"),
                                           "the session cookie's Secure flag")
    metrics_token: str | None = setting("METRICS_TOKEN", None, text, "set: /metrics wants this bearer token")
    report_resolve_within_s: int = setting("REPORT_RESOLVE_WITHIN_S", 3 * DAY_S, count(1), "on-time closure")
    hotspot_window_days: int = setting("HOTSPOT_WINDOW_DAYS", 30, count(1), "the hotspot window")
    hotspot_min_count: int = setting("HOTSPOT_MIN_COUNT", 10, count(1), "fewer cases are never a hotspot")
    # residents' pages (/h5/): WeChat web authorisation, their sessions, 附近
    wechat_oauth_base: str = setting("WECHAT_OAUTH_BASE", WECHAT_OAUTH_DEFAULT, base_url,
                                     "where WeChat's web-authorisation page is (/connect/oauth2/authorize)")
    h5_session_ttl_s: int = setting("H5_SESSION_TTL_S", 2 * DAY_S, count(60), "a resident's page login lasts this long")
    h5_session_secret: str | None = setting("H5_SESSION_SECRET", None, text,
                                            "signs residents' sessions; unset: derived from the AppSecret")
    h5_nearby_radius_m: int = setting("H5_NEARBY_RADIUS_M", 1500, count(50), "附近 shows open cases this close")
    # personal data (个人信息保护法): how long message-log contents, and photos after their case closed, are kept
    retention_log_days: int = setting("RETENTION_LOG_DAYS", 180, count(1), "message-log contents are cleared after")
    retention_media_days: int = setting("RETENTION_MEDIA_DAYS", 365, count(1), "photos are deleted after close")
    # web surfaces behind a proxy, and residents' media
    trusted_proxies: tuple[str, ...] = setting("TRUSTED_PROXIES", (), networks,
                                               "proxies whose X-Forwarded-Proto/-For are believed")
    media_max_bytes: int = setting("MEDIA_MAX_BYTES", 10 * 1024 * 1024, count(1024),
                                   "a resident's photo/voice/video larger than this is not downloaded")
    # the webhook's promises to WeChat (not configuration)
    reply_budget_s: float = 4.0
    replay_window_s: int = 300
    max_body_bytes: int = 64 * 1024
    extra: dict = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """No WeChat credentials: run against the local fake of WeChat's API."""
        return not self.wechat_token

    @property
    def sms_sender_name(self) -> str:
        """log | off: SMS_SENDER with `auto` resolved (the log sender in sandbox mode only)."""
        if self.sms_sender != "auto":
            return self.sms_sender
        return "log" if self.sandbox or self.extra.get("sandbox") else "off"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        values = {spec.name: read_setting(spec, env) for spec in declared()}
        settings = cls(**{name: value for name, value in values.items() if value is not MISSING})
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            normalize_url(self.database_url)
        except UnsupportedDatabase as exc:
            raise ConfigError(f"DATABASE_URL: {exc}") from None
        self._validate_wechat()
        self._validate_wecom()
        self._validate_sandbox()

    def _validate_wechat(self) -> None:
        if self.wechat_aes_key is not None:
            check_aes_key(self.wechat_aes_key)
            if not self.wechat_app_id:
                raise ConfigError("WECHAT_AES_KEY is set but WECHAT_APP_ID is not: encryption needs the app id")
        if self.wechat_token is None and (self.wechat_app_id or self.wechat_aes_key):
            raise ConfigError("WECHAT_APP_ID/WECHAT_AES_KEY are set but WECHAT_TOKEN is not")
        from bot.wechat.templates import TemplateConfigError, load_templates

        try:
            load_templates(self.wechat_templates, self.wechat_templates_file)
        except TemplateConfigError as exc:
            raise ConfigError(str(exc)) from None

    def _validate_sandbox(self) -> None:
        """Production defaults: what only a developer's machine may do stays there."""
        if not self.sandbox and self.sms_sender == "log":
            raise ConfigError("SMS_SENDER=log writes verification codes to the log: sandbox mode only "
                              "(unset it or use SMS_SENDER=off)")
        if self.sandbox and not self.sandbox_public and not is_loopback(self.host):
            raise ConfigError(f"sandbox mode (no WECHAT_TOKEN) listens on loopback only, not HOST={self.host}; "
                              "set SANDBOX_PUBLIC=1 to allow it")

    @property
    def wecom_callback(self) -> bool:
        """/wecom is served (token, AES key and corp id configured)."""
        return bool(self.wecom_token)

    @property
    def wecom_push(self) -> bool:
        """Pushes to staff on WeCom can be sent (corp id, agent id and the app's secret configured)."""
        return bool(self.wecom_corp_id and self.wecom_agent_id and self.wecom_secret)

    def _validate_wecom(self) -> None:
        callback = {"WECOM_TOKEN": self.wecom_token, "WECOM_AES_KEY": self.wecom_aes_key,
                    "WECOM_CORP_ID": self.wecom_corp_id}
        if (self.wecom_token or self.wecom_aes_key) and not all(callback.values()):
            missing = ", ".join(name for name, value in callback.items() if not value)
            raise ConfigError(f"the WeCom callback needs WECOM_TOKEN, WECOM_AES_KEY and WECOM_CORP_ID; missing {missing}")
        if self.wecom_aes_key is not None:
            check_aes_key(self.wecom_aes_key, "WECOM_AES_KEY")
        if self.wecom_agent_id is not None and not self.wecom_agent_id.isdigit():
            raise ConfigError(f"WECOM_AGENT_ID must be the app's AgentId (a number), got {self.wecom_agent_id!r}")
        if self.wecom_secret and not (self.wecom_corp_id and self.wecom_agent_id):
            raise ConfigError("WECOM_SECRET is set but WECOM_CORP_ID or WECOM_AGENT_ID is not: pushes need all three")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"PUBLIC_URL must start with http:// or https://, got {self.public_url!r}")


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting, as `setting()` wrote it on a field of Settings."""

    name: str
    env: str
    default: Any
    parse: Parser | None
    doc: str
    prefix: str | None = None


def declared() -> list[SettingSpec]:
    """Every setting read from the environment, in declaration order."""
    specs = []
    for f in fields(Settings):
        if "env" not in f.metadata:
            continue
        default = f.default if f.default is not MISSING else f.default_factory()
        specs.append(SettingSpec(f.name, f.metadata["env"], default, f.metadata.get("parse"), f.metadata["doc"],
                                 f.metadata.get("prefix")))
    return specs


def read_setting(spec: SettingSpec, env: dict[str, str]) -> Any:
    """The value of one setting in `env`, or MISSING (keep the default) when it is unset or empty."""
    if spec.prefix is not None:
        return {name[len(spec.prefix):].lower(): value.strip() for name, value in env.items()
                if name.startswith(spec.prefix) and value.strip()}
    raw = (env.get(spec.env) or "").strip()
    if not raw:
        return MISSING
    return spec.parse(raw, spec.env)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_aes_key(key: str, name: str = "WECHAT_AES_KEY") -> None:
    """An EncodingAESKey is 43 base64 characters (32 bytes once '=' is appended)."""
    if len(key) != 43:
        raise ConfigError(f"{name} must be 43 characters (EncodingAESKey), got {len(key)}")
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} is not valid base64 (letters and digits only)") from None
    if len(raw) != 32:
        raise ConfigError(f"{name} does not decode to a 32-byte AES key")


def load_dotenv_file(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env into the environment; variables already set win."""
    if path.exists():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)
