"""Where masked text leaves the server outside web/: WeCom cards and log lines; the retention settings."""
import io
import logging

import pytest

from bot.config import ConfigError, Settings
from bot.logs import MaskingFormatter, mask_handlers
from bot.wecom.delivery import textcard


def test_a_wecom_card_masks_the_phone_a_push_carries():
    text = "【新工单】20261127-0012（一般）\n描述：楼道堆物，联系人王小明电话 139-8765-4321，身份证340104199003071234"
    card = textcard(text, "dispatch", "20261127-0012", "https://gz.example.cn")
    assert "139****4321" in card["description"] and "8765" not in card["description"]
    assert "王小明" not in card["description"] and "340104199003071234" not in card["description"]
    assert card["title"] == "新工单 20261127-0012"


def test_mask_handlers_gives_every_handler_the_masking_formatter():
    logger = logging.getLogger("test.masking")
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    try:
        mask_handlers(logger)
        assert isinstance(handler.formatter, MaskingFormatter)
        try:
            raise ValueError("bad input '+86 138 1234 5678'")
        except ValueError:
            logger.exception("handler failed for %s", "我的电话13812345678")
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "13812345678" not in logged and "138 1234 5678" not in logged
    assert "handler failed for 我的电话138****5678" in logged and "ValueError: bad input '138****5678'" in logged


def test_retention_settings_come_from_the_environment():
    assert (Settings.from_env({}).retention_log_days, Settings.from_env({}).retention_media_days) == (180, 365)
    chosen = Settings.from_env({"RETENTION_LOG_DAYS": "30", "RETENTION_MEDIA_DAYS": "90"})
    assert (chosen.retention_log_days, chosen.retention_media_days) == (30, 90)
    for bad in ("0", "-1", "half a year"):
        with pytest.raises(ConfigError, match="RETENTION_LOG_DAYS"):
            Settings.from_env({"RETENTION_LOG_DAYS": bad})
