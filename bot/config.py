"""Configuration from the environment (and an optional .env file), validated once at start."""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from storage.db import UnsupportedDatabase, normalize_url

WECHAT_API_DEFAULT = "https://api.weixin.qq.com"
WECOM_API_DEFAULT = "https://qyapi.weixin.qq.com"


class ConfigError(ValueError):
    """Configuration that cannot work; the message is one line a person can act on."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///data/gongzhi.db"
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_api_base: str = WECHAT_API_DEFAULT
    # the webhook's promises to WeChat
    reply_budget_s: float = 4.0
    replay_window_s: int = 300
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    nlp_model_dir: Path | None = None
    draft_ttl_s: int = 1800
    # the 1315 clock (seconds from dispatch) and the revisit (回头看) delay
    sla_accept_s: int = 60
    sla_depart_s: int = 180
    sla_arrive_s: int = 900
    revisit_after_s: int = 3 * 24 * 3600
    survey_delay_s: int = 2 * 3600
    # the database connection pool (PostgreSQL) and how long one statement may run
    db_pool_size: int = 10
    db_statement_timeout_ms: int = 10000
    # pushes and jobs (bot/background/outbox.py, bot/background/jobs.py, bot/wechat/delivery.py)
    background: bool = True  # run the outbox sender and the job loop in this process
    wechat_templates: dict = field(default_factory=dict)  # push kind -> "template:ID" | "subscribe:ID" | "ID"
    wechat_templates_file: Path | None = None
    wechat_cs_window_s: int = 48 * 3600
    wechat_cs_allowance: int = 20
    wechat_api_timeout_s: float = 10.0
    token_refresh_ahead_s: int = 300
    outbox_poll_s: float = 1.0
    outbox_batch: int = 50
    outbox_concurrency: int = 8
    outbox_lease_s: int = 60
    outbox_retry_base_s: float = 2.0
    outbox_retry_max_s: float = 600.0
    outbox_give_up_s: int = 86400
    jobs_poll_s: float = 1.0
    jobs_lease_s: int = 300
    jobs_max_attempts: int = 5
    jobs_retry_base_s: float = 30.0
    jobs_retry_max_s: float = 3600.0
    # EV charging (issue 7): when a station's data is too old to show, how long a free-spot alert waits
    charging_stale_s: int = 600
    charging_alert_ttl_s: int = 7200
    charging_alert_radius_m: int = 1000
    # other channels (issue 9): Open311 and the SMS sender of phone-binding codes
    sms_sender: str = "log"  # log (the log sender: sandbox, development) | off (codes wait in the outbox)
    open311_match_m: int = 1000  # lat/long this close to a compound files the case there
    # --- WeCom (issue 11): staff on the street office's WeCom app; unset = /wecom off ---
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_api_base: str = WECOM_API_DEFAULT
    public_url: str | None = None  # where people reach the server, e.g. https://gongzhi.example.cn (case links)
    # --- end WeCom ---
    # dashboard (issue 8): sessions, /metrics, the targets and hotspot rule of the reports
    dashboard_session_ttl_s: int = 8 * 3600
    dashboard_cookie_secure: str = "auto"  # auto (Secure on HTTPS requests) | on | off
    metrics_token: str | None = None  # set: /metrics wants "Authorization: Bearer <token>"
    report_resolve_within_s: int = 3 * 24 * 3600  # on-time closure
    hotspot_window_days: int = 30
    hotspot_min_count: int = 10
    # personal data (个人信息保护法): how long message-log contents, and photos after their case closed, are kept
    retention_log_days: int = 180
    retention_media_days: int = 365
    extra: dict = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """No WeChat credentials: run against the local fake of WeChat's API."""
        return not self.wechat_token

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        port_text = get("PORT") or "8080"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a TCP port number, got {port_text!r}")
        settings = cls(
            database_url=get("DATABASE_URL") or cls.database_url,
            host=get("HOST") or cls.host,
            port=int(port_text),
            data_dir=Path(get("DATA_DIR") or "data"),
            wechat_token=get("WECHAT_TOKEN"),
            wechat_app_id=get("WECHAT_APP_ID"),
            wechat_app_secret=get("WECHAT_APP_SECRET"),
            wechat_aes_key=get("WECHAT_AES_KEY"),
            wechat_api_base=(get("WECHAT_API_BASE") or WECHAT_API_DEFAULT).rstrip("/"),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            nlp_model_dir=Path(get("NLP_MODEL_DIR")) if get("NLP_MODEL_DIR") else None,
            draft_ttl_s=_int(get("DRAFT_TTL_S"), "DRAFT_TTL_S", 1800),
            sla_accept_s=_int(get("SLA_ACCEPT_S"), "SLA_ACCEPT_S", 60),
            sla_depart_s=_int(get("SLA_DEPART_S"), "SLA_DEPART_S", 180),
            sla_arrive_s=_int(get("SLA_ARRIVE_S"), "SLA_ARRIVE_S", 900),
            revisit_after_s=_int(get("REVISIT_AFTER_S"), "REVISIT_AFTER_S", 3 * 24 * 3600),
            survey_delay_s=_int(get("SURVEY_DELAY_S"), "SURVEY_DELAY_S", 2 * 3600),
            db_pool_size=_int(get("DB_POOL_SIZE"), "DB_POOL_SIZE", 10),
            db_statement_timeout_ms=_int(get("DB_STATEMENT_TIMEOUT_MS"), "DB_STATEMENT_TIMEOUT_MS", 10000),
            # pushes and jobs
            background=_flag(get("BACKGROUND"), "BACKGROUND", True),
            wechat_templates={name[len("WECHAT_TEMPLATE_"):].lower(): value for name in env
                              if name.startswith("WECHAT_TEMPLATE_") and (value := get(name))},
            wechat_templates_file=Path(get("WECHAT_TEMPLATES_FILE")) if get("WECHAT_TEMPLATES_FILE") else None,
            wechat_cs_window_s=_int(get("WECHAT_CS_WINDOW_S"), "WECHAT_CS_WINDOW_S", 48 * 3600),
            wechat_cs_allowance=_count(get("WECHAT_CS_ALLOWANCE"), "WECHAT_CS_ALLOWANCE", 20),
            wechat_api_timeout_s=_seconds(get("WECHAT_API_TIMEOUT_S"), "WECHAT_API_TIMEOUT_S", 10.0),
            token_refresh_ahead_s=_int(get("TOKEN_REFRESH_AHEAD_S"), "TOKEN_REFRESH_AHEAD_S", 300),
            outbox_poll_s=_seconds(get("OUTBOX_POLL_S"), "OUTBOX_POLL_S", 1.0),
            outbox_batch=_count(get("OUTBOX_BATCH"), "OUTBOX_BATCH", 50, minimum=1),
            outbox_concurrency=_count(get("OUTBOX_CONCURRENCY"), "OUTBOX_CONCURRENCY", 8, minimum=1),
            outbox_lease_s=_int(get("OUTBOX_LEASE_S"), "OUTBOX_LEASE_S", 60),
            outbox_retry_base_s=_seconds(get("OUTBOX_RETRY_BASE_S"), "OUTBOX_RETRY_BASE_S", 2.0),
            outbox_retry_max_s=_seconds(get("OUTBOX_RETRY_MAX_S"), "OUTBOX_RETRY_MAX_S", 600.0),
            outbox_give_up_s=_int(get("OUTBOX_GIVE_UP_S"), "OUTBOX_GIVE_UP_S", 86400),
            jobs_poll_s=_seconds(get("JOBS_POLL_S"), "JOBS_POLL_S", 1.0),
            jobs_lease_s=_int(get("JOBS_LEASE_S"), "JOBS_LEASE_S", 300),
            jobs_max_attempts=_count(get("JOBS_MAX_ATTEMPTS"), "JOBS_MAX_ATTEMPTS", 5, minimum=1),
            jobs_retry_base_s=_seconds(get("JOBS_RETRY_BASE_S"), "JOBS_RETRY_BASE_S", 30.0),
            jobs_retry_max_s=_seconds(get("JOBS_RETRY_MAX_S"), "JOBS_RETRY_MAX_S", 3600.0),
            # EV charging
            charging_stale_s=_count(get("CHARGING_STALE_S"), "CHARGING_STALE_S", 600, minimum=1),
            charging_alert_ttl_s=_count(get("CHARGING_ALERT_TTL_S"), "CHARGING_ALERT_TTL_S", 7200, minimum=1),
            charging_alert_radius_m=_count(get("CHARGING_ALERT_RADIUS_M"), "CHARGING_ALERT_RADIUS_M", 1000,
                                           minimum=1),
            # other channels (Open311, SMS)
            sms_sender=_choice(get("SMS_SENDER"), "SMS_SENDER", "log", ("log", "off")),
            open311_match_m=_count(get("OPEN311_MATCH_M"), "OPEN311_MATCH_M", 1000, minimum=1),
            # dashboard
            dashboard_session_ttl_s=_count(get("DASHBOARD_SESSION_TTL_S"), "DASHBOARD_SESSION_TTL_S", 8 * 3600,
                                           minimum=60),
            dashboard_cookie_secure=_choice(get("DASHBOARD_COOKIE_SECURE"), "DASHBOARD_COOKIE_SECURE", "auto",
                                            ("auto", "on", "off")),
            metrics_token=get("METRICS_TOKEN"),
            report_resolve_within_s=_count(get("REPORT_RESOLVE_WITHIN_S"), "REPORT_RESOLVE_WITHIN_S", 3 * 24 * 3600,
                                           minimum=1),
            hotspot_window_days=_count(get("HOTSPOT_WINDOW_DAYS"), "HOTSPOT_WINDOW_DAYS", 30, minimum=1),
            hotspot_min_count=_count(get("HOTSPOT_MIN_COUNT"), "HOTSPOT_MIN_COUNT", 10, minimum=1),
            # personal data
            retention_log_days=_count(get("RETENTION_LOG_DAYS"), "RETENTION_LOG_DAYS", 180, minimum=1),
            retention_media_days=_count(get("RETENTION_MEDIA_DAYS"), "RETENTION_MEDIA_DAYS", 365, minimum=1),
            # WeCom (issue 11)
            wecom_corp_id=get("WECOM_CORP_ID"),
            wecom_agent_id=get("WECOM_AGENT_ID"),
            wecom_secret=get("WECOM_SECRET"),
            wecom_token=get("WECOM_TOKEN"),
            wecom_aes_key=get("WECOM_AES_KEY"),
            wecom_api_base=(get("WECOM_API_BASE") or WECOM_API_DEFAULT).rstrip("/"),
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            normalize_url(self.database_url)
        except UnsupportedDatabase as exc:
            raise ConfigError(f"DATABASE_URL: {exc}") from None
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
        self._validate_wecom()

    # --- WeCom (issue 11) ---
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
    # --- end WeCom ---


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds, got {value!r}")
    return int(value)


def _count(value: str | None, name: str, default: int, *, minimum: int = 0) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def _seconds(value: str | None, name: str, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def _flag(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off, got {value!r}")


def _choice(value: str | None, name: str, default: str, choices: tuple[str, ...]) -> str:
    if value is None:
        return default
    if value.lower() not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value.lower()


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
