"""End to end in headless Chromium (Debian's package, installed by the fixture when missing): log in to the
dashboard, see the charts render, open a case, and in /sandbox send a report and see the reply. A
screenshot of each page goes to tests/artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend import accounts
from backend.demo import seed_demo
from backend.history import seed_history
from tests.cdp import Browser, ensure_chromium

pytestmark = pytest.mark.sqlite_only  # the browser sees the same pages on either database

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "dashboard-pass-1"


@pytest.fixture(scope="session")
def chromium() -> str:
    path = ensure_chromium()
    if path is None:
        pytest.skip("no /usr/bin/chromium and `apt-get install -y chromium` failed")
    return path


@pytest.fixture
async def site(start_bot, db, settings, clock):
    async with db.transaction() as s:
        await seed_demo(s)
        await seed_history(s, cases=600, end=clock())
        await accounts.set_password(s, "S12", PASSWORD, clock())
    return await start_bot(settings_=settings.with_(background=False, extra={"sandbox": True}))


async def test_dashboard_and_sandbox_in_a_real_browser(chromium, site, tmp_path):
    base = str(site.server.make_url("/")).rstrip("/")
    async with Browser(chromium, tmp_path / "profile") as page:
        await page.goto(base + "/dashboard")
        await page.wait_for("location.pathname === '/dashboard/login' && !!document.querySelector('#login-submit')")
        await page.screenshot(ARTIFACTS / "01-login.png")
        await page.evaluate(
            "document.querySelector('input[name=staff_id]').value = 'S12';"
            f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};"
            "document.querySelector('#login-submit').click(); true")
        await page.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete' "
                            "&& !!document.querySelector('#chart-rates svg')")
        # the charts are drawn: lines with points, laid out with a real size
        drawn = await page.evaluate(
            "['#chart-rates', '#chart-sla', '#chart-volume'].map(id => {"
            "  const svg = document.querySelector(id + ' svg'); const box = svg.getBoundingClientRect();"
            "  return [box.width > 200 && box.height > 50, svg.querySelectorAll('polyline, rect').length]; })")
        assert all(ok and marks > 0 for ok, marks in drawn), drawn
        assert await page.evaluate("document.querySelectorAll('#hotspots table.heat td a').length") > 0
        assert await page.evaluate("document.querySelectorAll('#map svg circle').length") > 10
        assert int(await page.evaluate("document.querySelector('#card-cases').textContent")) > 500
        await page.screenshot(ARTIFACTS / "02-overview.png")

        await page.goto(base + "/dashboard/cases")
        await page.wait_for("document.querySelectorAll('table.cases tbody tr').length === 50")
        await page.screenshot(ARTIFACTS / "03-cases.png")
        await page.evaluate("document.querySelector('table.cases tbody tr a').click(); true")
        await page.wait_for("location.pathname.startsWith('/dashboard/cases/') "
                            "&& document.querySelectorAll('ol.timeline li').length > 1")
        assert "受理" in await page.evaluate("document.querySelector('ol.timeline').textContent")
        await page.screenshot(ARTIFACTS / "04-case.png")

        await page.goto(base + "/sandbox")
        await page.wait_for("!!document.querySelector('#composer') && document.querySelector('#identity').value")
        await page.evaluate("const s = document.querySelector('#identity'); s.value = 'demo-resident';"
                            "s.dispatchEvent(new Event('change')); true")
        await page.evaluate("document.querySelector('#text').value = '滨湖欣园3栋楼道有人飞线给电动车充电，很危险';"
                            "document.querySelector('#send').click(); true")
        reply = await page.wait_for("(document.querySelector('.msg.bot') || {}).textContent", timeout=20)
        assert reply.strip()
        assert (await page.evaluate("document.querySelector('.msg.me').textContent")).startswith("滨湖欣园3栋")
        await page.screenshot(ARTIFACTS / "05-sandbox.png")


FITS = ("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll of the page


@pytest.mark.parametrize("width", [360, 420])
async def test_the_dashboard_and_sandbox_fit_a_phone(chromium, site, tmp_path, width):
    """Staff check the street on their phones: no page wider than the screen, names not broken one character
    per line, every category in the heat table, the map's busy compounds named, the running month marked."""
    base = str(site.server.make_url("/")).rstrip("/")
    async with Browser(chromium, tmp_path / "profile", width=width, height=780) as page:
        await page.goto(base + "/dashboard")
        await page.wait_for("!!document.querySelector('#login-submit')")
        assert await page.evaluate(FITS)
        await page.evaluate(
            "document.querySelector('input[name=staff_id]').value = 'S12';"
            f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};"
            "document.querySelector('#login-submit').click(); true")
        await page.wait_for("location.pathname === '/dashboard' && !!document.querySelector('#chart-rates svg')")
        assert await page.evaluate(FITS), await page.evaluate("document.documentElement.scrollWidth")
        # a compound's name in the heat table stays on one line
        heights = await page.evaluate("[...document.querySelectorAll('table.heat tbody th')].map(th => th.offsetHeight)")
        assert heights and max(heights) < 30, heights
        columns = await page.evaluate("document.querySelectorAll('table.heat thead th').length - 1")
        with_cases = await page.evaluate("new Set([...document.querySelectorAll('table.heat tbody td a')]"
                                         ".map(a => new URL(a.href).searchParams.get('category'))).size")
        assert columns == with_cases and columns > 10  # every category that has cases, not the first ten
        empty_rows = await page.evaluate("[...document.querySelectorAll('table.heat tbody tr')]"
                                         ".filter(tr => !tr.querySelector('td a')).length")
        assert empty_rows == 0
        assert await page.evaluate("document.querySelectorAll('#map svg text.map-label').length") > 0
        assert "（未满）" in await page.evaluate("document.querySelector('#chart-volume').textContent")
        await page.screenshot(ARTIFACTS / f"06-overview-{width}.png")

        await page.goto(base + "/dashboard/cases")
        await page.wait_for("document.querySelectorAll('table.cases tbody tr').length > 0")
        assert await page.evaluate(FITS)
        await page.screenshot(ARTIFACTS / f"07-cases-{width}.png")

        await page.goto(base + "/sandbox")
        await page.wait_for("!!document.querySelector('#composer')")
        assert await page.evaluate(FITS)
        send = await page.evaluate("JSON.stringify(document.querySelector('#send').getBoundingClientRect())")
        assert json.loads(send)["right"] <= width, send  # the send button is on the screen, not clipped
        await page.screenshot(ARTIFACTS / f"08-sandbox-{width}.png")
