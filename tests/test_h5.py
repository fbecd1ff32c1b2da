"""The residents' pages (/h5/) over real HTTP: login by WeChat web authorisation (the fake plays WeChat),
who may open which case, the actions of a case page, 附近 and 我也遇到, 随手拍, the JS-SDK signature."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import select
from yarl import URL

from storage.models import ResidentSession
from tests.h5_kit import SECRET, Phone, fake_api, jpeg_with_gps

LAMP = "滨湖欣园5栋楼下路灯坏了，晚上很黑"
NEIGHBOUR_LAMP = "滨湖欣园小区路灯不亮"


@pytest.fixture
async def h5(town, settings, clock):
    async with fake_api(settings, clock) as (fake, base):
        await town.start(wechat_app_secret=SECRET, wechat_api_base=base, wechat_oauth_base=base)
        town.fake, town.fake_base, town.base = fake, base, str(town.bot.server.make_url("")).rstrip("/")
        phones: list[Phone] = []

        def phone() -> Phone:
            phones.append(Phone.open(town.base))
            return phones[-1]

        town.phone = phone
        yield town
        for p in phones:
            await p.close()


async def test_a_page_without_a_session_redirects_to_the_authorisation(h5):
    phone = h5.phone()
    async with phone.http.get(h5.base + "/h5/cases/20261127-0001", allow_redirects=False) as r:
        assert r.status == 302
        location = r.headers["Location"]
    where = urlsplit(location)
    q = parse_qs(where.query)
    assert location.startswith(h5.fake_base + "/connect/oauth2/authorize?")
    assert where.path == "/connect/oauth2/authorize" and where.fragment == "wechat_redirect"
    assert q["scope"] == ["snsapi_base"] and q["response_type"] == ["code"] and q["state"][0]
    assert q["redirect_uri"] == [h5.base + "/h5/auth"]


async def test_outside_wechat_the_page_says_how_to_open_it_without_a_sandbox_login(h5):
    async with aiohttp.ClientSession() as browser:
        async with browser.get(h5.base + "/h5/cases", allow_redirects=False) as r:
            html = await r.text()
    assert r.status == 401 and "请在微信中打开" in html
    assert "sandbox-login" not in html and "/h5/login" not in html  # a sandbox convenience, not in production


async def test_the_reporter_logs_in_and_sees_their_case_with_its_words_timeline_and_clock(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-ann")
    status, listing = await phone.get("/h5/cases")
    assert status == 200 and number in listing and "我反映的" in listing
    status, page = await phone.get(f"/h5/cases/{number}")
    assert status == 200 and "路灯坏了" in page and "工单已受理" in page
    assert 'id="countdown"' in page and "data-due=" in page  # the 1315 clock, server-rendered
    assert "o-ann" not in page


async def test_another_residents_openid_cannot_open_a_case_it_neither_reported_nor_follows(h5):
    number = await h5.report("o-ann", LAMP, "1")
    stranger = h5.phone()
    await stranger.login("o-bob")
    status, page = await stranger.get(f"/h5/cases/{number}")
    assert status == 404 and "路灯坏了" not in page
    for other in (number[:-4] + f"{int(number[-4:]) + 1:04d}", "20200101-0001", "x" * 40, "%00"):
        status, page = await stranger.get(f"/h5/cases/{other}")
        assert status in (400, 404) and "路灯坏了" not in page, other
    refused = await stranger.post(f"/h5/cases/{number}/urge", {})
    assert refused.status == 404


async def test_a_changed_or_expired_session_is_no_session(h5, clock, settings):
    phone = h5.phone()
    await phone.login("o-ann")
    assert (await phone.get("/h5/cases"))[0] == 200
    cookie = next(c for c in phone.http.cookie_jar if c.key == "gz_h5")
    assert "o-ann" not in cookie.value  # a random token: the identity stays on the server
    async with h5.bot.db.sessions() as s:
        [kept] = list(await s.scalars(select(ResidentSession)))
    assert kept.user_id == "o-ann" and cookie.value not in kept.token_hash  # only the token's hash
    forged = Phone.open(h5.base)
    try:
        forged.http.cookie_jar.update_cookies({"gz_h5": cookie.value[:-1] + ("A" if cookie.value[-1] != "A" else "B")},
                                             response_url=URL(h5.base + "/h5/"))
        assert (await forged.get("/h5/cases"))[0] == 302
    finally:
        await forged.close()
    clock.advance(seconds=settings.h5_session_ttl_s + 1)
    assert (await phone.get("/h5/cases"))[0] == 302


async def test_a_login_code_works_once_and_only_in_the_browser_that_started_it(h5):
    phone, thief = h5.phone(), h5.phone()
    async with phone.http.get(h5.base + "/h5/cases", allow_redirects=False) as r:
        q = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
    code = h5.fake.issue_code("o-ann")
    stolen = await thief.get(f"/h5/auth?code={code}&state={q['state']}")
    assert stolen[0] == 403  # the state is bound to the browser that started the login
    async with phone.http.get(h5.base + f"/h5/auth?code={code}&state={q['state']}", allow_redirects=False) as r:
        assert r.status == 302
    again = h5.phone()
    async with again.http.get(h5.base + "/h5/cases", allow_redirects=False) as r:
        q2 = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
    async with again.http.get(h5.base + f"/h5/auth?code={code}&state={q2['state']}", allow_redirects=False) as r:
        assert r.status == 403  # a used code is refused by WeChat


async def test_every_post_needs_the_sessions_csrf_token(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-ann")
    assert (await phone.post(f"/h5/cases/{number}/urge", {}, csrf="forged")).status == 403
    assert (await phone.post("/h5/prefs", {"large": "1"}, csrf="")).status == 403
    other = h5.phone()
    await other.login("o-bob")
    token_of_bob = await other.csrf()
    assert (await phone.post(f"/h5/cases/{number}/urge", {}, csrf=token_of_bob)).status == 403
    done = await phone.post(f"/h5/cases/{number}/urge", {})
    assert done.status == 303 and "notice=urged" in done.headers["Location"]
    assert any(e["kind"] == "urged" for e in (await h5.case(number))["events"])


async def test_me_too_on_a_neighbours_case_follows_it_with_the_public_view_and_its_pushes(h5):
    number = await h5.report("o-ann", LAMP, "1")
    officer = await h5.officer("S02", "o-lina")
    neighbour = h5.phone()
    await neighbour.login("o-bob", "/h5/nearby")
    status, nearby = await neighbour.get("/h5/nearby?compound=C03")
    assert status == 200 and f"/h5/cases/{number}/follow" in nearby and "<svg" in nearby
    assert "路灯坏了" not in nearby and "5栋" not in nearby  # the public view: no words, no building
    status, here = await neighbour.get("/h5/nearby?lat=31.7399&lng=117.2766")  # a shared location
    assert status == 200 and f"/h5/cases/{number}/follow" in here and "您所在位置" in here
    status, far = await neighbour.get("/h5/nearby?lat=31.9&lng=117.5")
    assert f"/h5/cases/{number}/follow" not in far
    walked = await neighbour.post(f"/h5/cases/{number}/follow", {})  # the number alone, as if guessed
    assert walked.status == 404 and (await h5.case(number))["repeat_reports"] == 0
    done = await neighbour.me_too(number, "/h5/nearby?compound=C03")
    assert done.status == 303 and done.headers["Location"].endswith(f"{number}?notice=followed")
    status, page = await neighbour.get(f"/h5/cases/{number}")
    assert status == 200 and "路灯坏了" not in page and 'id="public-note"' in page and "/h5/media/" not in page
    assert (await h5.case(number))["repeat_reports"] == 1
    await officer.say(f"接单 {number}")
    assert any(number in p.payload["text"] for p in await h5.pushes("o-bob"))


async def test_the_page_rating_is_the_chat_survey_answered_once(h5):
    number = await h5.report("o-ann", LAMP, "1")
    officer = await h5.officer("S02", "o-lina")
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} 已更换灯泡"):
        await officer.say(command)
    phone = h5.phone()
    await phone.login("o-ann")
    status, page = await phone.get(f"/h5/cases/{number}")
    assert 'id="rate"' in page and "已更换灯泡" in page
    done = await phone.post(f"/h5/cases/{number}/rate", {"rating": "satisfied", "comment": "谢谢"})
    assert "notice=rate_closed" in done.headers["Location"]
    assert (await h5.case(number))["status"] == "closed"
    status, page = await phone.get(f"/h5/cases/{number}")
    assert 'id="rate"' not in page and "满意" in page
    again = await phone.post(f"/h5/cases/{number}/rate", {"rating": "unsatisfied"})
    assert "notice=rate_nothing" in again.headers["Location"] or "rate_already" in again.headers["Location"]
    reply = await h5.person("o-ann").say("不满意")
    assert (await h5.case(number))["status"] == "closed", reply  # answered once, whichever door


async def test_large_text_is_remembered_per_resident(h5):
    phone = h5.phone()
    await phone.login("o-ann")
    assert (await phone.post("/h5/prefs", {"large": "1", "next": "/h5/nearby"})).headers["Location"] == "/h5/nearby"
    assert 'class="large"' in (await phone.get("/h5/cases"))[1]
    other = h5.phone()
    await other.login("o-ann")
    assert 'class="large"' in (await other.get("/h5/cases"))[1]
    stranger = h5.phone()
    await stranger.login("o-bob")
    assert 'class="large"' not in (await stranger.get("/h5/cases"))[1]


def report_form(csrf: str, text: str, *, compound: str = "", photo: bytes | None = None, **fields) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    if photo is not None:
        form.add_field("photo", photo, filename="p.jpg", content_type="image/jpeg")
    form.add_field("text", text)
    form.add_field("compound", compound)
    for name, value in fields.items():
        form.add_field(name, value)
    return form


async def test_a_photo_report_with_a_compound_becomes_the_case_the_chat_makes(h5):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    done = await phone.post("/h5/report", report_form(csrf, "楼道里堆满了杂物，走不过去", compound="C03",
                                                       photo=jpeg_with_gps(31.8, 117.3)))
    assert done.status == 303, await done.text()
    number = done.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    view = await h5.case(number)
    assert view["compound"] == "C03" and view["channel"] == "wechat" and view["status"] == "dispatched"
    assert view["reporter"] == "o-cat" and len(view["media"]) == 1
    status, page = await phone.get(f"/h5/cases/{number}")
    media = page.split('src="/h5/media/')[1].split('"')[0]
    async with phone.http.get(h5.base + f"/h5/media/{media}") as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
    stranger = h5.phone()
    await stranger.login("o-dan")
    async with stranger.http.get(h5.base + f"/h5/media/{media}") as r:
        assert r.status == 404  # another resident never gets the photo, whatever its id


async def test_the_same_problem_nearby_is_offered_for_me_too_before_a_new_case(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-bob", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    category = (await h5.case(number))["category"]
    offered = await phone.post("/h5/report", report_form(csrf, "晚上小区里的路灯一直不亮", compound="C03",
                                                          category=category))
    assert offered.status == 200
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "晚上小区里的路灯一直不亮", compound="C03", category=category, choice="follow",
            number=number), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"].endswith(f"/h5/cases/{number}?notice=followed")
    assert (await h5.case(number))["repeat_reports"] == 1


async def test_the_reporters_own_open_case_is_offered_to_add_to_not_to_follow(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-ann", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    category = (await h5.case(number))["category"]
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路灯到现在还是不亮，晚上九点以后全黑", compound="C03", category=category)) as r:
        offered = await r.text()
    assert "您在" in offered and "补充到我的工单" in offered and "我也遇到" not in offered
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路灯到现在还是不亮，晚上九点以后全黑", compound="C03", category=category, choice="follow",
            number=number), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"].endswith(f"/h5/cases/{number}?notice=supplemented")
    view = await h5.case(number)
    assert view["repeat_reports"] == 0
    assert any(e["kind"] == "supplemented" and "九点以后" in (e["note"] or "") for e in view["events"])


async def test_the_offer_page_names_the_duplicate_without_the_reporters_words(h5):
    number = await h5.report("o-ann", LAMP, "1")
    category = (await h5.case(number))["category"]
    phone = h5.phone()
    await phone.login("o-bob", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路灯不亮", compound="C03", category=category), allow_redirects=False) as r:
        html = await r.text()
    assert 'id="duplicate-offer"' in html and "路灯坏了" not in html and "5栋" not in html
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路灯不亮", compound="C03", category=category, choice="own"), allow_redirects=False) as r:
        assert r.status == 303 and number not in r.headers["Location"]


@pytest.mark.parametrize("content", [b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
                                     b"%PDF-1.4 not a photo", b"GIF8"])
async def test_an_upload_that_is_not_a_photo_is_refused_and_nothing_is_made(h5, content):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路面坑洼", compound="C03", photo=content), allow_redirects=False) as r:
        assert r.status == 400 and "照片只能是" in await r.text()
    assert 'href="/h5/cases/20' not in (await phone.get("/h5/cases"))[1]


async def test_a_report_form_whose_first_field_is_not_the_csrf_token_is_refused_unread(h5):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    form = aiohttp.FormData()
    form.add_field("text", "路面坑洼")
    form.add_field("csrf", await phone.csrf("/h5/report"))
    form.add_field("photo", jpeg_with_gps(31.8, 117.3), filename="p.jpg", content_type="image/jpeg")
    async with phone.http.post(h5.base + "/h5/report", data=form, allow_redirects=False) as r:
        assert r.status == 403


async def test_a_photo_position_places_a_report_only_when_nothing_better_was_given(h5):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    c05 = {"lat": 31.744941, "lng": 117.273501}  # 陶坝安置小区 in the demo street
    done = await phone.post("/h5/report", report_form(csrf, "垃圾桶满了没人清", photo=jpeg_with_gps(
        float(c05["lat"]), float(c05["lng"]))))
    number = done.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    assert (await h5.case(number))["compound"] == "C05"
    done = await phone.post("/h5/report", report_form(csrf, "路灯不亮了", compound="C03", photo=jpeg_with_gps(
        float(c05["lat"]), float(c05["lng"]))))
    number = done.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    assert (await h5.case(number))["compound"] == "C03"  # the place picked wins over the photo's


async def test_the_jssdk_signature_uses_one_shared_ticket_for_our_pages_only(h5):
    phone = h5.phone()
    await phone.login("o-cat")
    page = h5.base + "/h5/report"
    async with phone.http.get(h5.base + "/h5/jssdk", params={"url": page}) as r:
        first = await r.json()
    async with phone.http.get(h5.base + "/h5/jssdk", params={"url": page + "#x"}) as r:
        second = await r.json()
    assert first["appId"] and len(first["signature"]) == 40 and second["signature"]
    assert h5.fake.ticket_fetches == 1
    async with phone.http.get(h5.base + "/h5/jssdk", params={"url": "https://evil.example/h5/"}) as r:
        assert r.status == 400
    async with aiohttp.ClientSession() as nobody:
        async with nobody.get(h5.base + "/h5/jssdk", params={"url": page}) as r:
            assert r.status == 401


async def test_every_push_about_a_case_carries_its_page(h5):
    number = await h5.report("o-ann", LAMP, "1")
    officer = await h5.officer("S02", "o-lina")
    await officer.say(f"接单 {number}")
    [push] = [p for p in await h5.pushes("o-ann") if p.kind == "case_status"]
    assert push.payload["url"] == f"/h5/cases/{number}" == push.payload["template"]["url"]


async def test_erasing_ones_data_in_the_chat_ends_the_pages_session_and_forgets_the_preference(h5):
    phone = h5.phone()
    await phone.login("o-ann")
    await phone.post("/h5/prefs", {"large": "1"})
    assert 'class="large"' in (await phone.get("/h5/cases"))[1]
    me = h5.person("o-ann")
    await me.say("删除我的信息")
    assert "已删除" in await me.say("确认删除")
    assert (await phone.get("/h5/cases"))[0] == 302  # logged out at once, not when the cookie expires
    async with h5.bot.db.sessions() as s:
        assert list(await s.scalars(select(ResidentSession))) == []
    await phone.login("o-ann")
    assert 'class="large"' not in (await phone.get("/h5/cases"))[1]


async def test_photos_taken_in_wechat_come_by_media_id_and_are_fetched_like_chat_photos(h5):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    done = await phone.post("/h5/report", {"text": "小区门口路面塌陷", "compound": "C05", "wx_media": "srv-media-1"})
    number = done.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    [media] = (await h5.case(number))["media"]
    assert media["media_id"] == "srv-media-1" and media["kind"] == "image"
    refused = await phone.post("/h5/report", {"text": "路面塌陷", "compound": "C01", "wx_media": "../../etc/passwd"})
    number = refused.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    assert (await h5.case(number))["media"] == []  # not a media id: ignored


async def test_the_live_suggestion_reads_the_category_and_offers_the_duplicate(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-bob", "/h5/report")
    async with phone.http.get(h5.base + "/h5/report/suggest", params={"text": "滨湖欣园的路灯坏了不亮"}) as r:
        answer = await r.json()
    assert answer["category"] == (await h5.case(number))["category"] and answer["compound"] == "C03"
    assert answer["duplicate"]["number"] == number and "路灯坏了" not in answer["duplicate"]["text"]
    followed = await phone.post(f"/h5/cases/{number}/follow", {"offer": answer["duplicate"]["offer"]})
    assert followed.headers["Location"].endswith("notice=followed")  # the live offer works as the page's does
    async with aiohttp.ClientSession() as nobody:
        async with nobody.get(h5.base + "/h5/report/suggest", params={"text": "路灯"}) as r:
            assert r.status == 401


async def test_the_reporter_adds_photos_and_words_a_follower_cannot(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone, follower = h5.phone(), h5.phone()
    await phone.login("o-ann")
    form = aiohttp.FormData()
    form.add_field("csrf", await phone.csrf())
    form.add_field("number", number)
    form.add_field("photo", jpeg_with_gps(31.7, 117.2), filename="more.jpg", content_type="image/jpeg")
    added = await phone.post("/h5/report/photos", form)
    assert added.headers["Location"].endswith("notice=photos_added")
    said = await phone.post(f"/h5/cases/{number}/supplement", {"text": "晚上九点以后最黑"})
    assert said.headers["Location"].endswith("notice=supplemented")
    view = await h5.case(number)
    assert len(view["media"]) == 1 and any(e["kind"] == "supplemented" for e in view["events"])
    await follower.login("o-bob")
    assert (await follower.me_too(number, "/h5/nearby?compound=C03")).status == 303
    refused = await follower.post(f"/h5/cases/{number}/supplement", {"text": "我也看到了"})
    assert refused.headers["Location"].endswith("notice=supplement_not_yours")
    form = aiohttp.FormData()
    form.add_field("csrf", await follower.csrf())
    form.add_field("number", number)
    form.add_field("photo", jpeg_with_gps(31.7, 117.2), filename="x.jpg", content_type="image/jpeg")
    assert (await follower.post("/h5/report/photos", form)).headers["Location"].endswith("supplement_not_yours")
    assert len((await h5.case(number))["media"]) == 1


async def test_photos_carried_through_the_offer_join_the_followed_case_and_only_their_owners(h5):
    number = await h5.report("o-ann", LAMP, "1")
    category = (await h5.case(number))["category"]
    phone, other = h5.phone(), h5.phone()
    await phone.login("o-bob", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    async with phone.http.post(h5.base + "/h5/report", data=report_form(
            csrf, "路灯不亮", compound="C03", category=category, photo=jpeg_with_gps(31.7, 117.2)),
            allow_redirects=False) as r:
        offer = await r.text()
    staged = offer.split('name="staged" value="')[1].split('"')[0]
    await other.login("o-eve", "/h5/report")
    stolen = await other.post("/h5/report", {"text": "路面坑洼", "compound": "C01", "staged": staged, "choice": "own"})
    assert (await h5.case(stolen.headers["Location"].split("/h5/cases/")[1].split("?")[0]))["media"] == []
    done = await phone.post("/h5/report", {"text": "路灯不亮", "compound": "C03", "category": category,
                                           "staged": staged, "choice": "follow", "number": number}, csrf=csrf)
    assert done.headers["Location"].endswith("notice=followed")
    assert len((await h5.case(number))["media"]) == 1


async def test_an_emergency_is_made_at_once_without_an_offer_and_says_whom_to_call(h5):
    phone = h5.phone()
    await phone.login("o-fay", "/h5/report")
    done = await phone.post("/h5/report", {"text": "楼道里着火了，浓烟很大"})
    assert done.status == 303 and done.headers["Location"].endswith("notice=created_urgent")
    number = done.headers["Location"].split("/h5/cases/")[1].split("?")[0]
    assert (await h5.case(number))["urgent"] is True
    status, page = await phone.get(done.headers["Location"])
    assert "119" in page


@pytest.mark.parametrize("body", [
    b'--b\r\nContent-Disposition: form-data; name=\r\n\r\nx\r\n--b--\r\n',
    b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n',
    b'not multipart at all',
    b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nTOKEN\r\n--b\r\nContent-Disposition: form-data; '
    b'name="photo"; filename="a.jpg"\r\n\r\n\xff\xd8\xff\xe0 truncated',
])
async def test_a_broken_upload_is_a_4xx_and_makes_nothing(h5, body):
    phone = h5.phone()
    await phone.login("o-cat", "/h5/report")
    past_the_token = b"TOKEN" in body
    body = body.replace(b"TOKEN", (await phone.csrf("/h5/report")).encode())
    async with phone.http.post(h5.base + "/h5/report", data=body, allow_redirects=False,
                               headers={"Content-Type": "multipart/form-data; boundary=b"}) as r:
        assert 400 <= r.status < 500, (r.status, await r.text())
        if past_the_token:  # not the CSRF gate: the upload itself is refused with a reason the resident reads
            assert r.status == 400 and "上传没有完成" in await r.text()
    assert 'href="/h5/cases/20' not in (await phone.get("/h5/cases"))[1]


async def test_nul_characters_anywhere_are_harmless(h5):
    number = await h5.report("o-ann", LAMP, "1")
    phone = h5.phone()
    await phone.login("o-ann")
    for path in ("/h5/nearby?compound=C0%003", "/h5/nearby?lat=%00&lng=1", f"/h5/cases/{number}%00",
                 "/h5/report/suggest?text=%E8%B7%AF%00%E7%81%AF&compound=%00", "/h5/jssdk?url=%00",
                 "/h5/login?next=/h5/%00cases", "/h5/auth?code=%00&state=%00"):
        async with phone.http.get(h5.base + path, allow_redirects=False) as r:
            assert r.status < 500, (path, r.status)
    for path, data in ((f"/h5/cases/{number}/supplement", {"text": "晚上\x00很黑"}),
                       (f"/h5/cases/{number}/rate", {"rating": "sat\x00isfied", "comment": "\x00"}),
                       ("/h5/report", {"text": "路灯\x00坏了", "compound": "C01\x00"}),
                       ("/h5/prefs", {"large": "1\x00", "next": "/h5/\x00"})):
        assert (await phone.post(path, data)).status < 500, path


async def test_uploads_that_joined_no_case_are_swept_once_no_form_can_use_them(h5, db, tmp_path):
    import os
    import time

    from bot.background.uploads import UploadSweeper

    number = await h5.report("o-ann", LAMP, "1")
    category = (await h5.case(number))["category"]
    phone = h5.phone()
    await phone.login("o-bob", "/h5/report")
    csrf = await phone.csrf("/h5/report")
    await phone.post("/h5/report", report_form(csrf, "路灯不亮", compound="C03", category=category,
                                               photo=jpeg_with_gps(31.7, 117.2)))  # the offer: not taken
    made = await phone.post("/h5/report", report_form(csrf, "垃圾没人清", compound="C05",
                                                      photo=jpeg_with_gps(31.7, 117.2)))
    assert made.status == 303
    media = next(p for p in (tmp_path.rglob("media/h5")) if p.is_dir())
    assert len(list(media.iterdir())) == 2
    # the sweeper may see the same folder spelt another way (a relative DATA_DIR, a link): photos that joined a
    # case are found by their file name, never deleted for a differently written path
    elsewhere = Path(os.path.relpath(media.parent))
    sweeper = UploadSweeper(db, elsewhere, now=lambda: time.time() + 3 * 3600)
    assert await sweeper.tick() == 1
    [kept] = list(media.iterdir())
    assert (await h5.case(made.headers["Location"].split("/h5/cases/")[1].split("?")[0]))["media"]
    assert os.path.exists(kept) and await UploadSweeper(db, media.parent).tick() == 0
