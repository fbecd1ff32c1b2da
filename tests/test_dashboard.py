"""The dashboard over real HTTP: login required, wrong password, expired sessions, residents kept out, text
escaped and phones masked; /metrics, /healthz, and the web sandbox's API."""
from __future__ import annotations

import re

import aiohttp
import pytest

from backend import accounts, cases
from backend.demo import seed_demo

PASSWORD = "correct horse battery"


@pytest.fixture
async def dash(start_bot, db, settings, clock):
    """The bot in sandbox mode with the demo street, S12's password set, and one case with markup in it."""
    async with db.transaction() as s:
        await seed_demo(s)
        await accounts.set_password(s, "S12", PASSWORD, clock())
        case = await cases.create_case(s, cases.NewCase(
            category="ev_charging", description='<script>alert("x")</script> 楼道飞线充电 & <b>危险</b>', priority=3,
            channel="12345热线", compound_id="C03", contact_phone="13812345678"), clock())
    bot = await start_bot(settings_=settings.with_(background=False, extra={"sandbox": True}))
    bot.case_number = case.number
    bot.browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                        timeout=aiohttp.ClientTimeout(total=15))
    yield bot
    await bot.browser.close()


def url(bot, path: str) -> str:
    return str(bot.server.make_url(path))


async def csrf_of(browser: aiohttp.ClientSession, bot) -> str:
    """The CSRF token of the login form (the browser keeps the matching cookie)."""
    async with browser.get(url(bot, "/dashboard/login")) as r:
        return re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)


async def login(bot, staff_id: str = "S12", password: str = PASSWORD, *, browser=None,
                headers: dict | None = None) -> aiohttp.ClientResponse:
    browser = browser or bot.browser
    form = {"staff_id": staff_id, "password": password, "next": "/dashboard", "csrf": await csrf_of(browser, bot)}
    async with browser.post(url(bot, "/dashboard/login"), data=form, allow_redirects=False, headers=headers) as r:
        r.body_text = await r.text()
        return r


async def test_pages_need_a_login(dash):
    for path in ("/dashboard", "/dashboard/cases", f"/dashboard/cases/{dash.case_number}"):
        async with dash.browser.get(url(dash, path), allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"].startswith("/dashboard/login?next=")


async def test_login_sets_a_strict_httponly_cookie_and_shows_the_overview(dash):
    r = await login(dash)
    assert r.status == 302 and r.headers["Location"] == "/dashboard"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    async with dash.browser.get(url(dash, "/dashboard")) as page:
        html = await page.text()
        assert page.status == 200 and "响应率" in html and "<svg" in html and "孙悦" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


async def test_wrong_password_and_unknown_ids_are_refused(dash):
    assert (await login(dash, password="wrong password")).status == 401
    assert (await login(dash, staff_id="S99")).status == 401
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 302


async def test_a_residents_openid_cannot_log_in(dash, db, clock):
    resident = "o-resident-1"
    assert (await dash.say(resident, "你好")).status == 200
    assert (await login(dash, staff_id=resident, password=PASSWORD)).status == 401
    async with db.transaction() as s:
        with pytest.raises(accounts.AccountError):
            await accounts.set_password(s, resident, PASSWORD, clock())


async def test_sessions_expire(dash, clock, settings):
    await login(dash)
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 200
    clock.advance(seconds=settings.dashboard_session_ttl_s + 1)
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 302


async def test_logout_ends_the_session(dash):
    await login(dash)
    token = [c.value for c in dash.browser.cookie_jar if c.key == "gz_dash"][0]
    async with dash.browser.get(url(dash, "/dashboard")) as page:
        csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    async with dash.browser.post(url(dash, "/dashboard/logout"), data={"csrf": csrf}, allow_redirects=False) as r:
        assert r.status == 302
    async with aiohttp.ClientSession(cookies={"gz_dash": token}) as other:
        async with other.get(url(dash, "/dashboard"), allow_redirects=False) as r:
            assert r.status == 302


async def test_case_page_escapes_text_and_masks_the_phone(dash):
    await login(dash)
    async with dash.browser.get(url(dash, f"/dashboard/cases/{dash.case_number}")) as r:
        html = await r.text()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;危险&lt;/b&gt;" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "受理" in html  # the timeline
    async with dash.browser.get(url(dash, "/dashboard/cases?category=ev_charging")) as r:
        listing = await r.text()
    assert dash.case_number in listing and "13812345678" not in listing


async def test_open_redirects_are_refused(dash):
    async with dash.browser.post(url(dash, "/dashboard/login"), data={
            "staff_id": "S12", "password": PASSWORD, "next": "https://evil.example/",
            "csrf": await csrf_of(dash.browser, dash)}, allow_redirects=False) as r:
        assert r.headers["Location"] == "/dashboard"


async def test_metrics_count_messages_cases_and_the_outbox(dash):
    await dash.say("o-metrics", "你好")
    async with dash.http.get(url(dash, "/metrics")) as r:
        text = await r.text()
    assert r.status == 200
    assert 'gongzhi_messages_total{kind="text"} 1' in text
    assert re.search(r'gongzhi_reply_seconds_bucket\{le="\+Inf"\} 1\n', text)
    assert "gongzhi_reply_seconds_count 1" in text
    assert 'gongzhi_cases{status="new"} 1' in text
    assert "gongzhi_outbox_backlog " in text and "gongzhi_sla_breaches_total 0" in text


async def test_metrics_can_require_a_token(start_bot, settings):
    bot = await start_bot(settings_=settings.with_(background=False, metrics_token="s3cret"))
    async with bot.http.get(bot.server.make_url("/metrics")) as r:
        assert r.status == 401
    async with bot.http.get(bot.server.make_url("/metrics"), headers={"Authorization": "Bearer s3cret"}) as r:
        assert r.status == 200


async def test_healthz_reports_database_job_loop_and_backlog(start_bot, settings):
    running = await start_bot()
    async with running.http.get(running.server.make_url("/healthz")) as r:
        body = await r.json()
    assert r.status == 200 and body["job_loop"] == "running" and body["outbox"]["pending"] == 0
    off = await start_bot(settings_=settings.with_(background=False))
    async with off.http.get(off.server.make_url("/healthz")) as r:
        assert (await r.json())["job_loop"] == "off"


async def test_web_sandbox_posts_through_the_real_webhook(dash, db):
    async with dash.http.post(url(dash, "/sandbox/api/send"), json={"openid": "sandbox-resident-2",
                                                                    "text": "你好"}) as r:
        answer = await r.json()
    assert answer["status"] == 200 and answer["reply"]
    async with db.sessions() as s:
        from sqlalchemy import select

        from storage.models import InboundMessage

        logged = (await s.execute(select(InboundMessage.user_id))).scalars().all()
    assert "sandbox-resident-2" in logged  # it went through /wechat: signed, encrypted, logged
    staff = await (await dash.http.post(url(dash, "/sandbox/api/send"), json={"openid": "sandbox-staff-S02",
                                                                               "text": "帮助"})).json()
    assert "待办" in staff["reply"]  # bound to S02 on first use: staff commands answer


async def test_web_sandbox_lists_pushes_from_the_fake_api(dash):
    from bot.app import FAKE_KEY

    fake = dash.server.app[FAKE_KEY]
    fake.pushes.append({"id": 7, "path": "/cgi-bin/message/custom/send", "channel": "custom", "at": 0,
                        "body": {"text": {"content": "您的工单已接单"}}, "openid": "demo-resident", "key": None})
    async with dash.http.get(url(dash, "/sandbox/api/pushes"), params={"openid": "demo-resident"}) as r:
        assert [p["text"] for p in await r.json()] == ["您的工单已接单"]
    async with dash.http.get(url(dash, "/sandbox/api/pushes"), params={"openid": "demo-resident", "after": "7"}) as r:
        assert await r.json() == []


async def test_no_web_sandbox_with_a_real_account(start_bot):
    bot = await start_bot()
    async with bot.http.get(bot.server.make_url("/sandbox")) as r:
        assert r.status == 404


async def test_kept_photos_show_on_the_case_page_for_staff_only(dash, db, clock, tmp_path):
    from sqlalchemy import select

    from storage.models import Case, CaseMedia

    photo = tmp_path / "kept.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0kept-photo")
    async with db.transaction() as s:
        case = (await s.execute(select(Case).where(Case.number == dash.case_number))).scalar_one()
        media = CaseMedia(case_id=case.id, kind="image", media_id="m-1", url=None, added_by="resident", added_at=clock(),
                          stored_path=str(photo))
        s.add(media)
        await s.flush()
        media_id = media.id
    async with dash.browser.get(url(dash, f"/dashboard/media/{media_id}")) as r:
        assert r.status == 403
    await login(dash)
    async with dash.browser.get(url(dash, f"/dashboard/cases/{dash.case_number}")) as r:
        assert f'src="/dashboard/media/{media_id}"' in await r.text()
    async with dash.browser.get(url(dash, f"/dashboard/media/{media_id}")) as r:
        assert r.status == 200 and await r.read() == photo.read_bytes()
