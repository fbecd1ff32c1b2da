"""The settings table: each setting declared once, read from the environment, listed in the README."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, declared

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_come_from_the_declaration_alone():
    assert Settings.from_env({}) == Settings()


def test_each_variable_is_read_into_its_field(tmp_path):
    (tmp_path / "t.toml").write_text('[case_status]\nid = "a"\n[case_status.fields]\nthing1 = "status"\n')
    settings = Settings.from_env({"PORT": "9090", "OUTBOX_POLL_S": "0.5", "BACKGROUND": "off", "LOG_LEVEL": "debug",
                                  "WECHAT_API_BASE": "http://fake/", "WECHAT_TEMPLATE_CASE_STATUS": "subscribe:x",
                                  "WECHAT_TEMPLATES_FILE": str(tmp_path / "t.toml")})
    assert (settings.port, settings.outbox_poll_s, settings.background, settings.log_level) == (9090, 0.5, False,
                                                                                                "DEBUG")
    assert settings.wechat_api_base == "http://fake"
    assert settings.wechat_templates == {"case_status": "subscribe:x"}


def test_an_empty_variable_counts_as_unset():
    assert Settings.from_env({"PORT": "  ", "HOST": ""}).port == Settings().port


@pytest.mark.parametrize("env, word", [
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"PORT": "80000"}, "PORT"),
    ({"OUTBOX_POLL_S": "nan"}, "OUTBOX_POLL_S"),
    ({"OUTBOX_POLL_S": "inf"}, "OUTBOX_POLL_S"),
    ({"OUTBOX_BATCH": "0"}, "OUTBOX_BATCH"),
    ({"BACKGROUND": "maybe"}, "BACKGROUND"),
])
def test_a_bad_value_is_one_line_naming_the_variable(env, word):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert word in str(refused.value) and "\n" not in str(refused.value)


def test_every_setting_is_in_the_readme_configuration_table():
    table = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+(?:<KIND>)?)`", table))
    missing = [spec.env for spec in declared()
               if spec.env.replace("*", "<KIND>") not in listed and spec.env not in listed]
    assert not missing, f"settings missing from the README's configuration table: {missing}"
