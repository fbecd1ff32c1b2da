"""A push about a case links to its page under PUBLIC_URL: after the text of a customer-service message, as
the URL a template message opens; without PUBLIC_URL no link (a bare path leads nowhere)."""
from __future__ import annotations

from delivery_kit import fake_wechat, process, push_settings, queue, templates_file, wrote_at

PAGE = "/h5/cases/20261127-0012"


async def test_a_text_push_gets_the_case_page_as_a_link(db, db_url, clock):
    settings = push_settings("", public_url="https://gz.example.cn")
    async with fake_wechat(clock) as (fake, base), process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        await wrote_at(db, "o-link", clock())
        await queue(db, clock, "o-link", "k-link", {"text": "工单已接单", "url": PAGE})
        await p.drain()
    [push] = fake.pushes
    assert push["body"]["text"]["content"] == \
        '工单已接单\n<a href="https://gz.example.cn/h5/cases/20261127-0012">查看工单详情</a>'


async def test_a_template_push_opens_the_case_page(db, db_url, clock, tmp_path):
    settings = push_settings("", public_url="https://gz.example.cn",
                             wechat_templates_file=templates_file(tmp_path, case_status="template:tpl-1"))
    async with fake_wechat(clock) as (fake, base), process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        await queue(db, clock, "o-away", "k-away", {"text": "x", "url": PAGE, "template": {
            "kind": "case_status", "fields": {"case_number": "20261127-0012", "status": "处理中", "time": "2026-11-27 10:00",
                                          "remark": "工单已接单"}, "url": PAGE}})
        await p.drain()
    [push] = fake.pushes
    assert push["body"]["url"] == "https://gz.example.cn" + PAGE


async def test_without_public_url_the_text_goes_alone(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-plain", clock())
        await queue(db, clock, "o-plain", "k-plain", {"text": "工单已接单", "url": PAGE})
        await p.drain()
    assert fake.pushes[0]["body"]["text"]["content"] == "工单已接单"
