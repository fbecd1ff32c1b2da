"""The dashboard over real HTTP: login required, wrong password, expired sessions, residents kept out, text
escaped and phones masked; who may log in and how often (throttling, CSRF, sessions ended on unbind and by
`staff logout`, the Secure cookie behind a trusted proxy), images only from our own store, absurd queries
answered with 400/404; /metrics, /healthz, and the web sandbox's API."""
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
    bot.browser = new_browser()
    yield bot
    await bot.browser.close()


def new_browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=15))


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
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script>alert" not in html
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


# --- who may log in, and how often ----------------------------------------------------------------------

async def test_login_without_the_forms_csrf_token_is_refused(dash):
    for form in ({"staff_id": "S12", "password": PASSWORD},
                 {"staff_id": "S12", "password": PASSWORD, "csrf": "x" * 43}):  # a token another site made up
        async with dash.browser.post(url(dash, "/dashboard/login"), data=form, allow_redirects=False) as r:
            assert r.status == 403 and "gz_dash" not in r.headers.get("Set-Cookie", "")
            assert "页面已过期" in await r.text()
    assert (await login(dash)).status == 302


async def test_logout_without_the_csrf_token_keeps_the_session(dash):
    await login(dash)
    async with dash.browser.post(url(dash, "/dashboard/logout"), allow_redirects=False) as r:
        assert r.status == 403
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 200


async def test_five_failures_lock_the_account_for_fifteen_minutes(dash, clock, caplog):
    for _ in range(4):
        assert (await login(dash, password="wrong password")).status == 401
    fifth = await login(dash, password="wrong password")
    assert fifth.status == 429 and "锁定" in fifth.body_text
    other = new_browser()  # the lock is the account's, whatever browser tries next
    try:
        right = await login(dash, browser=other)
        assert right.status == 429 and "锁定" in right.body_text and "gz_dash" not in right.headers.get("Set-Cookie", "")
        assert "locked" in caplog.text and "S12" in caplog.text
        clock.advance(seconds=15 * 60 + 1)
        assert (await login(dash, browser=other)).status == 302
    finally:
        await other.close()


async def test_failures_from_one_address_lock_every_account_tried_from_it(dash, db, clock):
    async with db.transaction() as s:
        await accounts.set_password(s, "S01", PASSWORD, clock())
    for staff_id in ("S90", "S91", "S92", "S93", "S94"):  # guessing ids, one try each
        assert (await login(dash, staff_id=staff_id, password="guess-1234")).status in (401, 429)
    assert (await login(dash, staff_id="S01")).status == 429


async def test_password_checks_do_not_hold_the_event_loop(dash, monkeypatch):
    """scrypt costs tens of ms; on the loop, parallel bogus logins would stall every other request. Which
    thread runs each check says so deterministically (a timing bound would only measure the shared machine)."""
    import asyncio
    import threading

    checked_on: list[int] = []
    real_check = accounts.check_password

    def watched_check(password: str, stored: str) -> bool:  # the real check, noting which thread runs it
        checked_on.append(threading.get_ident())
        return real_check(password, stored)

    monkeypatch.setattr(accounts, "check_password", watched_check)
    forms = []
    for _ in range(6):
        browser = new_browser()
        forms.append((browser, await csrf_of(browser, dash)))

    async def bogus(browser, csrf):
        async with browser.post(url(dash, "/dashboard/login"), data={
                "staff_id": "S12", "password": "not it", "csrf": csrf}, allow_redirects=False) as r:
            await r.read()

    await asyncio.gather(*(bogus(b, c) for b, c in forms))
    for browser, _ in forms:
        await browser.close()
    assert len(checked_on) == 6 and threading.get_ident() not in checked_on  # never on the event loop's thread


async def test_unbind_and_staff_logout_end_the_dashboard_sessions(dash, db):
    from backend import staff as staff_mod

    await login(dash)
    async with db.transaction() as s:
        await staff_mod.unbind(s, "S12")
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 302
    await login(dash)
    async with db.transaction() as s:
        assert await staff_mod.log_out(s, "S12") == 1
    async with dash.browser.get(url(dash, "/dashboard"), allow_redirects=False) as r:
        assert r.status == 302


def test_staff_logout_command(tmp_path, monkeypatch, capsys):
    import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert main.main(["seed", "--demo"]) == 0
    assert main.main(["staff", "logout", "--staff-id", "S12"]) == 0
    assert "0 dashboard session(s) ended" in capsys.readouterr().out
    assert main.main(["staff", "logout", "--staff-id", "S404"]) == 1


async def test_secure_cookie_and_client_address_only_from_a_trusted_proxy(start_bot, db, settings, clock):
    async with db.transaction() as s:
        await seed_demo(s)
        await accounts.set_password(s, "S12", PASSWORD, clock())
    via_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    plain = await start_bot(settings_=settings.with_(background=False))
    browser = new_browser()
    try:
        r = await login(plain, browser=browser, headers=via_tls)
        assert r.status == 302 and "Secure" not in r.headers["Set-Cookie"]  # anybody can send those headers
        proxied = await start_bot(settings_=settings.with_(background=False, trusted_proxies=("127.0.0.0/8",)))
        r = await login(proxied, browser=new_cookies(browser), headers=via_tls)
        assert r.status == 302 and "Secure" in r.headers["Set-Cookie"]
        for n in range(5):  # one client behind the proxy guesses: that client is locked, not the proxy
            await login(proxied, staff_id=f"S9{n}", password="guess-1234", browser=new_cookies(browser),
                        headers={**via_tls, "X-Forwarded-For": "198.51.100.9"})
        locked = await login(proxied, browser=new_cookies(browser), headers={**via_tls, "X-Forwarded-For": "198.51.100.9"})
        assert locked.status == 429
        assert (await login(proxied, browser=new_cookies(browser), headers=via_tls)).status == 302
    finally:
        await browser.close()


def new_cookies(browser: aiohttp.ClientSession) -> aiohttp.ClientSession:
    browser.cookie_jar.clear()
    return browser


# --- bad input from logged-in staff and from anybody ----------------------------------------------------

async def test_a_nul_in_the_login_form_is_a_failed_login_not_a_500(dash):
    """PostgreSQL stores no NUL character: such an id is simply no staff id."""
    r = await login(dash, staff_id="S1\x002", password="x\x00y")
    assert r.status == 401
    r = await login(dash, staff_id="S12\x00")
    assert r.status == 401


async def test_a_line_break_in_next_is_not_a_500(dash):
    async with dash.browser.post(url(dash, "/dashboard/login"), data={
            "staff_id": "S12", "password": PASSWORD, "next": "/dashboard\r\nSet-Cookie: gz_dash=evil",
            "csrf": await csrf_of(dash.browser, dash)}, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/dashboard"
    async with dash.browser.get(url(dash, "/dashboard/login?next=/dashboard%0d%0aX:%20y")) as r:
        assert r.status == 200 and 'value="/dashboard"' in await r.text()


@pytest.mark.parametrize("path, status", [
    ("/dashboard/cases?page=99999999999999999999999", 400), ("/dashboard/cases?page=0", 400),
    ("/dashboard/cases?from=9999-12-31", 400), ("/dashboard/cases?to=9999-12-31", 400),
    ("/dashboard/cases?from=0001-01-01", 400), ("/dashboard?to=9999-12-31", 400), ("/dashboard?from=bogus", 400),
    ("/dashboard/media/99999999999999999999999999", 404), ("/dashboard/media/9223372036854775807", 404),
    ("/dashboard/cases/" + "9" * 500, 404), ("/dashboard/cases?status=new%00x", 400),
    ("/dashboard?community=%00", 400), ("/dashboard/cases/20261201-0001%00", 404)])
async def test_absurd_queries_of_logged_in_staff_are_400_or_404(dash, path, status):
    await login(dash)
    async with dash.browser.get(url(dash, path), allow_redirects=False) as r:
        assert r.status == status
        if status == 400:
            assert "查询条件有误" in await r.text()


# --- images only from our own store ---------------------------------------------------------------------

async def test_images_come_only_from_our_store_with_an_allowed_type(dash, db, clock, tmp_path):
    from sqlalchemy import select

    from storage.models import Case, CaseMedia

    svg = tmp_path / "7-m-svg.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    async with db.transaction() as s:
        case = (await s.execute(select(Case).where(Case.number == dash.case_number))).scalar_one()
        case.description = "我是王小明，电话 139-8765-4321，身份证 340104199001011234"
        rows = [CaseMedia(case_id=case.id, kind="image", media_id="m-svg", added_by="resident", added_at=clock(),
                          stored_path=str(svg)),
                CaseMedia(case_id=case.id, kind="image", url="http://10.0.0.1/admin.png", added_by="channel:x",
                          added_at=clock())]
        s.add_all(rows)
        await s.flush()
        svg_id = rows[0].id
    await login(dash)
    async with dash.browser.get(url(dash, f"/dashboard/cases/{dash.case_number}")) as r:
        html = await r.text()
        policy = r.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy and "http:" not in policy and "https:" not in policy
    assert 'src="http://10.0.0.1' not in html and "http://10.0.0.1/admin.png" in html  # a link to open on purpose
    assert "139-8765-4321" not in html and "139****4321" in html and "340104199001011234" not in html
    async with dash.browser.get(url(dash, f"/dashboard/media/{svg_id}")) as r:
        assert r.status == 404  # an SVG is never served, whatever was stored


async def test_kept_photos_are_served_with_their_own_type_and_nosniff(dash, db, clock, tmp_path):
    from sqlalchemy import select

    from storage.models import Case, CaseMedia

    photo = tmp_path / "8-m-photo.jpg"
    photo.write_bytes(b"<html><script>alert(1)</script></html>")  # whatever the bytes say, it is a JPEG here
    async with db.transaction() as s:
        case = (await s.execute(select(Case).where(Case.number == dash.case_number))).scalar_one()
        media = CaseMedia(case_id=case.id, kind="image", media_id="m-photo", added_by="resident", added_at=clock(),
                          stored_path=str(photo))
        s.add(media)
        await s.flush()
        media_id = media.id
    await login(dash)
    async with dash.browser.get(url(dash, f"/dashboard/media/{media_id}")) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
        assert r.headers["X-Content-Type-Options"] == "nosniff"


# --- the contact number: one click, for whom it is for, audited -----------------------------------------

async def _reveal(dash, browser, *, csrf: bool = True) -> tuple[int, str]:
    page_url = url(dash, f"/dashboard/cases/{dash.case_number}")
    async with browser.get(page_url) as r:
        page = await r.text()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1) if csrf else ""
    async with browser.post(page_url + "/contact", data={"csrf": token}, allow_redirects=False) as r:
        return r.status, await r.text()


async def test_the_supervisor_reveals_the_contact_with_one_click_and_it_is_audited(dash, db):
    from backend import audit

    await login(dash)
    async with dash.browser.get(url(dash, f"/dashboard/cases/{dash.case_number}")) as r:
        page = await r.text()
    assert 'id="reveal-contact"' in page and "13812345678" not in page
    assert (await _reveal(dash, dash.browser, csrf=False))[0] == 403  # a cross-site form cannot make the click
    status, shown = await _reveal(dash, dash.browser)
    assert status == 200 and "13812345678" in shown
    async with db.sessions() as s:
        logged = await audit.entries(s, case_number=dash.case_number)
    assert [(e.actor, e.outcome, e.via) for e in logged] == [("staff:S12", "shown", "dashboard")]


async def test_other_staff_get_no_button_and_a_recorded_refusal(dash, db, clock):
    from backend import audit

    async with db.transaction() as s:
        await accounts.set_password(s, "S01", PASSWORD, clock())
    other = new_browser()
    try:
        assert (await login(dash, staff_id="S01", browser=other)).status == 302
        async with other.get(url(dash, f"/dashboard/cases/{dash.case_number}")) as r:
            assert 'id="reveal-contact"' not in await r.text()
        status, page = await _reveal(dash, other)
        assert status == 403 and "13812345678" not in page and "只有本工单的处理人" in page
    finally:
        await other.close()
    async with db.sessions() as s:
        logged = await audit.entries(s, case_number=dash.case_number)
    assert [(e.actor, e.outcome) for e in logged] == [("staff:S01", "refused:not_yours")]


async def test_the_throttle_forgets_keys_whose_window_is_over(db, clock):
    """Guessing many staff ids must not grow the throttle table for ever."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from storage.models import LoginThrottle

    async with db.transaction() as s:
        for n in range(30):
            await accounts.record_failure(s, accounts.throttle_keys(f"S9{n:02d}", "198.51.100.7"), clock())
    clock.advance(seconds=16 * 60)
    async with db.transaction() as s:
        await accounts.record_failure(s, accounts.throttle_keys("S12", "203.0.113.1"), clock())
        assert (await s.execute(select(func.count()).select_from(LoginThrottle))).scalar_one() == 2
        assert await accounts.locked_until(s, accounts.throttle_keys("S900", "198.51.100.7"), clock()) is None
