"""Choosing the channel: a customer-service message inside WeChat's 48-hour window, the configured
template or subscription message outside it, and a recorded `undeliverable` when there is none."""
from __future__ import annotations

from delivery_kit import fake_wechat, hours, process, push_settings, queue, rows, templates_file, wrote_at

from bot.config import ConfigError, Settings
from bot.wechat.templates import load_templates
from storage.outbox import delivery_problems, status_of

STATUS_PUSH = {
    "text": "您反映的问题（工单 20261127-0012）已受理，网格员张伟正在赶往现场。",
    "template": {"kind": "case_status", "url": "https://gongzhi.example/c/20261127-0012",
                 "fields": {"case_number": "20261127-0012", "status": "处理中", "time": "2026-11-27 14:05",
                            "remark": "滨湖欣园3栋楼道灯坏了，晚上一片漆黑，老人上下楼很不方便"}},
}

TEMPLATES_TOML = """
[case_status]
api = "template"
id = "tpl-case-status"
[case_status.fields]
character_string1 = "case_number"
phrase2 = "status"
thing3 = "{remark}"
"""


async def test_inside_48_hours_a_customer_service_message(db, db_url, clock, tmp_path):
    settings = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="template:tpl"))
    async with fake_wechat(clock, enforce_window=True) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-recent", clock.timestamp() - 47 * 3600)
        await wrote_at(db, "o-recent", clock() - hours(47))
        await queue(db, clock, "o-recent", "k1", STATUS_PUSH)
        await p.drain()
    [push] = fake.pushes
    assert push["channel"] == "custom" and push["body"]["text"]["content"] == STATUS_PUSH["text"]


async def test_after_48_hours_the_template_message_with_fields_from_the_payload(db, db_url, clock, tmp_path):
    (tmp_path / "templates.toml").write_text(TEMPLATES_TOML, encoding="utf-8")
    settings = push_settings("", wechat_templates_file=tmp_path / "templates.toml")
    async with fake_wechat(clock, enforce_window=True, known_templates={"tpl-case-status"}) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-quiet", clock.timestamp() - 49 * 3600)
        await wrote_at(db, "o-quiet", clock() - hours(49))
        await queue(db, clock, "o-quiet", "k2", STATUS_PUSH)
        await p.drain()
    assert fake.rejected == []  # the sender chose the template itself, without trying the window first
    [push] = fake.pushes
    assert push["path"] == "/cgi-bin/message/template/send"
    assert push["body"] == {
        "touser": "o-quiet", "template_id": "tpl-case-status", "url": "https://gongzhi.example/c/20261127-0012",
        "client_msg_id": "k2", "data": {"character_string1": {"value": "20261127-0012"}, "phrase2": {"value": "处理中"},
                 "thing3": {"value": "滨湖欣园3栋楼道灯坏了，晚上一片漆黑…"}}}
    [row] = await rows(db)
    assert (row.status, row.channel) == ("sent", "template")


async def test_a_resident_who_never_wrote_gets_the_subscription_message(db, db_url, clock, tmp_path):
    settings = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="subscribe:tpl-sub"))
    async with fake_wechat(clock, enforce_window=True) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        await queue(db, clock, "o-silent", "k3", STATUS_PUSH)
        await p.drain()
    [push] = fake.pushes
    assert push["path"] == "/cgi-bin/message/subscribe/bizsend"
    assert push["body"]["template_id"] == "tpl-sub" and push["body"]["page"] == STATUS_PUSH["template"]["url"]
    assert push["body"]["data"] == {"character_string1": {"value": "20261127-0012"}, "phrase2": {"value": "处理中"},
                                    "time3": {"value": "2026-11-27 14:05"},
                                    "thing4": {"value": "滨湖欣园3栋楼道灯坏了，晚上一片漆黑…"}}
    assert "client_msg_id" not in push["body"]  # bizsend takes none


async def test_no_template_configured_is_recorded_undeliverable_and_visible_to_staff(db, db_url, clock):
    async with fake_wechat(clock, enforce_window=True) as (fake, base), \
            process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-old", clock() - hours(72))
        await queue(db, clock, "o-old", "k4", STATUS_PUSH)
        await queue(db, clock, "o-old", "k5", {"text": "只有文字，没有模板"})
        await p.drain()
        async with db.sessions() as session:
            problems = await delivery_problems(session)
            assert await status_of(session, "k4") == "undeliverable"
    assert fake.pushes == []
    assert [(x.status, x.error_code, x.user_id) for x in problems] == [
        ("undeliverable", "no_template_data", "o-old"), ("undeliverable", "no_template", "o-old")]
    assert "[case_status] in WECHAT_TEMPLATES_FILE" in problems[1].detail


async def test_beyond_the_allowance_since_the_last_message_the_template_is_used(db, db_url, clock, tmp_path):
    settings = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="template:tpl"),
                             wechat_cs_allowance=2)
    async with fake_wechat(clock, enforce_window=True) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-chatty")
        await wrote_at(db, "o-chatty", clock())
        for i in range(3):
            await queue(db, clock, "o-chatty", f"chatty-{i}", STATUS_PUSH)
        await p.drain()
    assert [push["channel"] for push in fake.pushes] == ["custom", "custom", "template"]


async def test_wechat_refusing_the_window_45047_falls_back_to_the_template(db, db_url, clock, tmp_path):
    settings = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="template:tpl"))
    async with fake_wechat(clock, enforce_window=True, cs_allowance=1) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-limit")
        await wrote_at(db, "o-limit", clock())
        await queue(db, clock, "o-limit", "limit-0", STATUS_PUSH)
        await queue(db, clock, "o-limit", "limit-1", STATUS_PUSH)
        await p.drain()
    assert [push["channel"] for push in fake.pushes] == ["custom", "template"]
    assert [r["errcode"] for r in fake.rejected] == [45047]
    assert [(r.status, r.channel, r.attempts) for r in await rows(db)] == [("sent", "custom", 1),
                                                                          ("sent", "template", 1)]


def test_the_environment_replaces_the_id_of_a_kind_the_file_maps(tmp_path):
    (tmp_path / "t.toml").write_text(TEMPLATES_TOML, encoding="utf-8")
    settings = Settings.from_env({"WECHAT_TEMPLATE_CASE_STATUS": "subscribe:from-env",
                                  "WECHAT_TEMPLATES_FILE": str(tmp_path / "t.toml")})
    specs = load_templates(settings.wechat_templates, settings.wechat_templates_file)
    assert (specs["case_status"].api, specs["case_status"].template_id) == ("subscribe", "from-env")
    assert specs["case_status"].fields["phrase2"] == "{status}"  # the file's mapping is kept


def test_a_broken_templates_file_stops_the_start(tmp_path):
    (tmp_path / "bad.toml").write_text("[case_status]\napi = 'fax'\nid = 'x'\n", encoding="utf-8")
    try:
        Settings.from_env({"WECHAT_TEMPLATES_FILE": str(tmp_path / "bad.toml")})
    except ConfigError as exc:
        assert "api must be template or subscribe" in str(exc)
    else:
        raise AssertionError("expected a ConfigError")
