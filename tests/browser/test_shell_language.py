"""Issue 3, item 11: in Debian's chromium, carol (who reads Chinese) signs in, sees the Chinese
navigation, switches to English with the header button, sees the English navigation, and the
test saves a screenshot under test-results/<test name>/. The same run checks the shell at phone
width (no sideways scrolling) and from the keyboard (the skip link comes first)."""

from __future__ import annotations

import pytest

from conftest import PERSONA_PASSWORD
from tests.browser.conftest import output_dir

pytestmark = pytest.mark.browser

def test_carol_switches_the_shell_from_chinese_to_english(request, carol, live_server, chromium):
    from playwright.sync_api import expect

    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("carol")
    page.get_by_label("密码").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="登录").click()

    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="客户", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="公海", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.get_by_test_id("switch-language-en").click()

    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Accounts", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Public pool", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="客户", exact=True)).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    carol.refresh_from_db()
    assert carol.language == "en"

    screenshot = output_dir(request) / "screenshot.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_the_shell_fits_a_phone_and_starts_with_a_skip_link(carol, live_server, chromium):
    page = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("carol")
    page.get_by_label("密码").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    for path in ["/", "/accounts/", "/accounts/contacts/", "/accounts/orders/", "/accounts/pool/", "/jobs/", "/trash/", "/settings/"]:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a 375 px phone ({width} px wide)"

    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
