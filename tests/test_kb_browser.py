"""A supervisor edits a knowledge-base entry in headless Chromium, and the next resident asking in the
sandbox chat gets the new answer. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend import accounts
from backend.demo import seed_demo
from tests.cdp import Browser
from tests.test_browser import chromium  # noqa: F401  (the fixture)

pytestmark = pytest.mark.sqlite_only

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "kb-supervisor-1"
NEW_ANSWER = "大件垃圾请拨打 65000000 预约，每周三上门收，免费。"


@pytest.fixture
async def site(start_bot, db, settings, clock):
    async with db.transaction() as s:
        await seed_demo(s)
        await accounts.set_password(s, "S12", PASSWORD, clock())
    return await start_bot(settings_=settings.with_(background=False, extra={"sandbox": True}))


async def test_a_supervisor_edits_an_entry_and_the_next_question_gets_it(chromium, site, tmp_path):  # noqa: F811
    base = str(site.server.make_url("/")).rstrip("/")
    async with Browser(chromium, tmp_path / "profile") as page:
        await page.goto(base + "/dashboard/kb")
        await page.wait_for("location.pathname === '/dashboard/login' && !!document.querySelector('#login-submit')")
        await page.evaluate(
            "document.querySelector('input[name=staff_id]').value = 'S12';"
            f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};"
            "document.querySelector('#login-submit').click(); true")
        await page.wait_for("location.pathname === '/dashboard/kb' && !!document.querySelector('#entry-F016')")
        await page.evaluate("document.querySelector('#entry-F016 a').click(); true")
        await page.wait_for("location.pathname === '/dashboard/kb/F016' && !!document.querySelector('#kb-save')")
        await page.evaluate(f"document.querySelector('textarea[name=answer]').value = {json.dumps(NEW_ANSWER)};"
                            "document.querySelector('#kb-save').click(); true")
        notice = await page.wait_for("location.search === '?saved=updated' "
                                     "&& (document.querySelector('#kb-notice') || {}).textContent")
        assert "已保存" in notice
        assert await page.evaluate("document.querySelector('textarea[name=answer]').value") == NEW_ANSWER
        await page.screenshot(ARTIFACTS / "kb-01-edited.png")

        await page.goto(base + "/sandbox")
        await page.wait_for("!!document.querySelector('#composer') && document.querySelector('#identity').value")
        await page.evaluate("const s = document.querySelector('#identity'); s.value = 'demo-resident';"
                            "s.dispatchEvent(new Event('change')); true")
        await page.evaluate("document.querySelector('#text').value = '家里旧床垫想扔掉，怎么约人来拉？';"
                            "document.querySelector('#send').click(); true")
        reply = await page.wait_for("(document.querySelector('.msg.bot') || {}).textContent", timeout=20)
        assert "每周三上门收" in reply and "回复 人工" in reply
        await page.screenshot(ARTIFACTS / "kb-02-answer.png")
