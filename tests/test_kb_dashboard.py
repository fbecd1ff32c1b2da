"""The knowledge base in the dashboard over real HTTP: supervisors only (an officer gets 403 and changes
nothing, nobody logged in gets the login page), CSRF on every change, the residents' unanswered questions
grouped and masked, newest first, and an edit that is the chat's next answer."""
from __future__ import annotations

import re

import pytest

from backend import accounts, kb
from backend.demo import seed_demo
from handlers import texts as T
from web import dashboard_texts as T_DASH
from tests.test_dashboard import PASSWORD, login, new_browser, url
from tests.conftest import Resident


@pytest.fixture
async def desk(start_bot, db, settings, clock):
    async with db.transaction() as s:
        await seed_demo(s)
        await accounts.set_password(s, "S12", PASSWORD, clock())  # 孙悦, supervisor
        await accounts.set_password(s, "S02", PASSWORD, clock())  # 李娜, officer
    bot = await start_bot(settings_=settings.with_(background=False, extra={"sandbox": True}))
    bot.browser = new_browser()
    yield bot
    await bot.browser.close()


async def page(browser, bot, path: str) -> tuple[int, str]:
    async with browser.get(url(bot, path), allow_redirects=False) as r:
        return r.status, await r.text()


def csrf_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def entry(db, faq_id: str) -> kb.Entry:
    async with db.sessions() as s:
        return await kb.get_entry(s, faq_id)


async def test_nobody_logged_in_is_sent_to_the_login_page(desk):
    for path in ("/dashboard/kb", "/dashboard/kb/F016"):
        status, _ = await page(desk.browser, desk, path)
        assert status == 302
    async with desk.browser.post(url(desk, "/dashboard/kb/F016"), data={"answer": "x"}, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"].startswith("/dashboard/login")
    assert (await entry(desk.db, "F016")).answer != "x"


async def test_an_officer_is_refused_and_changes_nothing(desk):
    assert (await login(desk, "S02")).status == 302
    status, html = await page(desk.browser, desk, "/dashboard/kb")
    assert status == 403 and "督办人员" in html and "F016" not in html
    status, html = await page(desk.browser, desk, "/dashboard")
    assert status == 200 and "/dashboard/kb" not in html  # no link to a page they may not open
    form = {"csrf": csrf_in(html), "question": "q", "answer": "officer's answer", "department": "", "keywords": ""}
    async with desk.browser.post(url(desk, "/dashboard/kb/F016"), data=form, allow_redirects=False) as r:
        assert r.status == 403
    async with desk.browser.post(url(desk, "/dashboard/kb/F016/remove"), data={"csrf": form["csrf"]}) as r:
        assert r.status == 403
    assert (await entry(desk.db, "F016")).answer != "officer's answer"


async def test_a_supervisor_sees_unanswered_questions_grouped_masked_newest_first(desk, clock):
    resident = Resident(desk, "o-kb-desk")
    for text in ("请问周六图书馆开不开门？电话13912345678", "请问游泳馆在哪里", "请问周六图书馆开不开门 电话13912345678",
                 "请问游泳馆在哪里"):
        clock.advance(minutes=5)
        reply = await resident.say(text)  # not known: said so, or near entries offered to pick from
        assert reply == T.KB_UNKNOWN or reply.startswith(T.KB_SUGGEST.split("{")[0]), reply
    assert (await login(desk, "S12")).status == 302
    status, html = await page(desk.browser, desk, "/dashboard/kb")
    assert status == 200 and "13912345678" not in html
    rows = re.findall(r'<td class="text">([^<]*)</td><td class="count">(\d+)</td>', html)
    assert [(text[:7], int(n)) for text, n in rows] == [("请问游泳馆在哪", 2), ("请问周六图书馆", 2)]
    assert html.count('id="entry-F') == 90


async def test_an_edit_needs_the_csrf_token_and_is_the_next_answer(desk):
    resident = Resident(desk, "o-kb-next")
    old = (await entry(desk.db, "F016")).answer
    assert old in await resident.say("旧床垫怎么扔")
    assert (await login(desk, "S12")).status == 302
    status, html = await page(desk.browser, desk, "/dashboard/kb/F016")
    assert status == 200 and "<script>" not in html
    form = {"question": "旧沙发、床垫这些大件垃圾怎么扔？", "answer": "<b>请拨打 65000000 预约</b>，每周三上门收。",
            "department": "huanwei", "keywords": "大件垃圾|床垫"}
    async with desk.browser.post(url(desk, "/dashboard/kb/F016"), data={**form, "csrf": "forged"}) as r:
        assert r.status == 403
    assert (await entry(desk.db, "F016")).answer == old
    async with desk.browser.post(url(desk, "/dashboard/kb/F016"), data={**form, "csrf": csrf_in(html)},
                                 allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/dashboard/kb/F016?saved=updated"
    status, html = await page(desk.browser, desk, "/dashboard/kb/F016?saved=updated")
    assert "&lt;b&gt;请拨打" in html and "<b>请拨打" not in html  # shown escaped
    edited = await entry(desk.db, "F016")
    assert edited.updated_by == "staff:S12" and edited.keywords == ("大件垃圾", "床垫")
    assert "每周三上门收" in await resident.say("旧床垫怎么扔")


async def test_bad_entries_are_refused_with_a_reason_and_new_ones_added(desk):
    assert (await login(desk, "S12")).status == 302
    _, html = await page(desk.browser, desk, "/dashboard/kb")
    token = csrf_in(html)
    empty = {"csrf": token, "faq_id": "F200", "question": "图书馆几点开门？", "answer": " ", "department": "",
             "keywords": ""}
    async with desk.browser.post(url(desk, "/dashboard/kb"), data=empty) as r:
        assert r.status == 400 and "答案不能为空" in await r.text()
    taken = {**empty, "faq_id": "F001", "answer": "九点"}
    async with desk.browser.post(url(desk, "/dashboard/kb"), data=taken) as r:
        assert r.status == 400 and "已存在" in await r.text()
    async with desk.browser.post(url(desk, "/dashboard/kb"), data={**empty, "answer": "社区图书馆九点开门。"},
                                 allow_redirects=False) as r:
        assert r.status == 303
    assert "社区图书馆九点开门" in await Resident(desk, "o-kb-new").say("图书馆几点开门呀")
    async with desk.browser.post(url(desk, "/dashboard/kb/F200/remove"), data={"csrf": token}) as r:
        assert r.status == 200
    assert await entry(desk.db, "F200") is None
    status, _ = await page(desk.browser, desk, "/dashboard/kb/F200")
    assert status == 404


async def test_a_supervisor_makes_an_unanswered_question_an_entrys_phrasing_and_it_finds_the_entry(desk, clock):
    resident = Resident(desk, "o-kb-learn")
    asked = "我家那只喵主子要不要去挂个号"  # a cat: the dog-registration entry, in words it does not use
    first = await resident.say(asked)
    register = await entry(desk.db, "F037")
    assert register.answer not in first
    assert (await login(desk, "S02")).status == 302  # an officer may not
    _, html = await page(desk.browser, desk, "/dashboard")
    async with desk.browser.post(url(desk, "/dashboard/kb/asked/attach"), allow_redirects=False,
                                 data={"csrf": csrf_in(html), "key": kb.asked_key(asked)[0], "faq_id": "F037"}) as r:
        assert r.status == 403
    desk.browser.cookie_jar.clear()
    assert (await login(desk, "S12")).status == 302
    status, html = await page(desk.browser, desk, "/dashboard/kb")
    key = re.search(r'name="key" value="([0-9a-f]{64})"', html).group(1)
    async with desk.browser.post(url(desk, "/dashboard/kb/asked/attach"), data={"key": key, "faq_id": "F037"}) as r:
        assert r.status == 403  # no CSRF token
    for bad_id, status in (("F999", 400), ("", 400)):
        async with desk.browser.post(url(desk, "/dashboard/kb/asked/attach"),
                                     data={"csrf": csrf_in(html), "key": key, "faq_id": bad_id}) as r:
            assert r.status == status
    async with desk.browser.post(url(desk, "/dashboard/kb/asked/attach"),
                                 data={"csrf": csrf_in(html), "key": key, "faq_id": "F037"}) as r:
        assert r.status == 200 and "F037" in await r.text()
    pilot = register.phrasings  # what the demo street's pilot taught it
    assert (await entry(desk.db, "F037")).phrasings == (*pilot, asked)
    async with desk.db.sessions() as s:
        assert await kb.unanswered(s) == []
    clock.advance(seconds=10)
    assert register.answer in await Resident(desk, "o-kb-learn-2").say(asked)
    async with desk.browser.post(url(desk, "/dashboard/kb/asked/attach"),
                                 data={"csrf": csrf_in(html), "key": key, "faq_id": "F037"}) as r:
        assert r.status == 404  # handled already

    # an edit of the entry that leaves the phrasings out keeps them; the form's own field replaces them
    form = {"csrf": csrf_in(html), "question": register.question, "answer": register.answer,
            "department": register.department or "", "keywords": "|".join(register.keywords)}
    async with desk.browser.post(url(desk, "/dashboard/kb/F037"), data=form) as r:
        assert r.status == 200
    assert (await entry(desk.db, "F037")).phrasings == (*pilot, asked)
    async with desk.browser.post(url(desk, "/dashboard/kb/F037"), data={**form, "phrasings": ""}) as r:
        assert r.status == 200
    assert (await entry(desk.db, "F037")).phrasings == ()


async def test_an_answer_said_not_to_solve_it_is_listed_with_the_entry_that_gave_it(desk, clock):
    resident = Resident(desk, "o-kb-desk-unsolved")
    assert (await entry(desk.db, "F022")).answer in await resident.say("电瓶车充电怎么收费")
    await resident.say("没解决")
    assert (await login(desk, "S12")).status == 302
    status, html = await page(desk.browser, desk, "/dashboard/kb")
    row = re.search(r'<td class="text">电瓶车充电怎么收费<div class="kb-not-solved">([^<]*)</div></td>', html)
    assert status == 200 and row and row.group(1) == T_DASH.KB_NOT_SOLVED.format(faq_id="F022")
