"""The residents' pages in headless Chromium at a phone's viewport (360×740): log in through the sandbox's
fake WeChat authorisation, see the case made in the chat with its photo and timeline, rate it, 我也遇到 on a
neighbour's case and get its next push, 随手拍 a new case with a photo file and a compound; then the same
pages at 200 % text size stay usable (nothing wider than the screen, every button on it). A screenshot of
each step goes to tests/artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.background.media import MediaKeeper
from bot.background.workers import wechat_client
from tests.cdp import Browser, ensure_chromium
from tests.h5_kit import SECRET, fake_api, jpeg_with_gps

pytestmark = pytest.mark.sqlite_only

ARTIFACTS = Path(__file__).parent / "artifacts"
FITS = ("document.documentElement.scrollWidth <= window.innerWidth + 1 && "
        "[...document.querySelectorAll('button, a.button, nav.tabs a')].filter(b => b.offsetParent)"
        ".every(b => { const r = b.getBoundingClientRect(); return r.left >= -1 && r.right <= window.innerWidth + 1; })")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = ensure_chromium()
    if path is None:
        pytest.skip("no /usr/bin/chromium and `apt-get install -y chromium` failed")
    return path


@pytest.fixture
async def street_pages(town, settings, clock, db, tmp_path):
    async with fake_api(settings, clock) as (fake, base):
        s = dict(wechat_app_secret=SECRET, wechat_api_base=base, wechat_oauth_base=base,
                 extra={"sandbox": True}, data_dir=tmp_path / "data")
        await town.start(**s)
        town.base = str(town.bot.server.make_url("")).rstrip("/")
        town.keeper = MediaKeeper(db, wechat_client(settings.with_(**s), db, clock=clock, owner="test"),
                                  tmp_path / "data" / "media", clock=clock)
        yield town
        await town.keeper.api.close()


async def click(page: Browser, selector: str) -> None:
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).click(); true")


async def test_a_resident_uses_the_pages_on_a_phone(chromium, street_pages, tmp_path):
    town, base = street_pages, street_pages.base
    await town.person("o-web").photo("m-lamp")
    mine = await town.report("o-web", "滨湖欣园5栋楼下路灯坏了，晚上很黑", "1")
    theirs = await town.report("o-nb", "滨湖欣园3栋楼道里堆满了杂物，消防通道堵了", "1")
    assert await town.keeper.tick() == 1
    officer = await town.officer("S02", "o-lina")
    async with Browser(chromium, tmp_path / "profile", width=360, height=740) as page:
        await page.goto(base + "/h5/cases")
        await page.wait_for("!!document.querySelector('#sandbox-login')")
        await page.screenshot(ARTIFACTS / "h5-00-outside.png")
        await click(page, "#sandbox-login")
        await page.wait_for("!!document.querySelector('#openid')")
        await page.evaluate("document.querySelector('#openid').value = 'o-web'; true")
        await click(page, "#authorize")
        await page.wait_for(f"location.pathname === '/h5/cases' && document.body.textContent.includes('{mine}')")
        await page.screenshot(ARTIFACTS / "h5-01-my-cases.png")

        await click(page, f"a[href='/h5/cases/{mine}']")
        await page.wait_for("document.querySelectorAll('#timeline li').length > 1 "
                            "&& !!document.querySelector('#photos img') && !!document.querySelector('#countdown')")
        await page.wait_for("document.querySelector('#countdown .left').textContent.length > 0")  # it ticks
        await page.screenshot(ARTIFACTS / "h5-02-case.png")

        for command in (f"接单 {mine}", f"到场 {mine}", f"办结 {mine} 已更换灯泡"):
            await officer.say(command)
        await page.goto(base + f"/h5/cases/{mine}")
        await page.wait_for("!!document.querySelector('#rate')")
        await click(page, "#rate input[value=satisfied]")
        await click(page, "#rate-send")
        await page.wait_for("!!document.querySelector('#notice') && !!document.querySelector('#rated')")
        assert (await town.case(mine))["status"] == "closed"
        await page.screenshot(ARTIFACTS / "h5-03-rated.png")

        await page.goto(base + "/h5/nearby?compound=C03")
        await page.wait_for(f"!!document.querySelector('form[action=\"/h5/cases/{theirs}/follow\"]')")
        await page.screenshot(ARTIFACTS / "h5-04-nearby.png")
        await click(page, f"form[action='/h5/cases/{theirs}/follow'] button")
        await page.wait_for(f"location.pathname === '/h5/cases/{theirs}' && !!document.querySelector('#public-note')")
        assert "堆满" not in await page.evaluate("document.body.textContent")
        await officer.say(f"接单 {theirs}")
        assert any(theirs in p.payload["text"] for p in await town.pushes("o-web"))

        await page.goto(base + "/h5/report")
        await page.wait_for("!!document.querySelector('#report-send')")
        photo = tmp_path / "pothole.jpg"
        photo.write_bytes(jpeg_with_gps(31.74, 117.27))
        handle = await page.page("Runtime.evaluate", {"expression": "document.querySelector('#report-photo')"})
        await page.page("DOM.setFileInputFiles", {"files": [str(photo)], "objectId": handle["result"]["objectId"]})
        await page.evaluate("document.querySelector('#report-text').value = '小区东门路面塌了一个大坑';"
                            "document.querySelector('#report-place').value = 'C05'; true")
        assert await page.evaluate("document.querySelector('#wx-photo').offsetParent === null")  # no JS-SDK here
        await page.screenshot(ARTIFACTS / "h5-05-report.png")
        await click(page, "#report-send")
        await page.wait_for("location.pathname.startsWith('/h5/cases/2') && !!document.querySelector('#notice')")
        made = await page.evaluate("location.pathname.split('/').pop()")
        view = await town.case(made)
        assert view["compound"] == "C05" and len(view["media"]) == 1 and view["reporter"] == "o-web"
        await page.screenshot(ARTIFACTS / "h5-06-reported.png")

        await click(page, "#text-size")  # the large-text switch, then the phone's text at 200 %
        await page.wait_for("document.documentElement.classList.contains('large')")
        for path, name in ((f"/h5/cases/{mine}", "case"), ("/h5/cases", "cases"), ("/h5/nearby", "nearby"),
                           ("/h5/report", "report")):
            await page.goto(base + path)
            await page.evaluate("document.documentElement.style.fontSize = '200%'; true")
            assert await page.wait_for(FITS), path
            await page.screenshot(ARTIFACTS / f"h5-07-200pct-{name}.png")
