"""Shared browser-test fixtures: Debian's chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def output_dir(request: pytest.FixtureRequest) -> Path:
    folder = Path(settings.BASE_DIR) / "test-results" / re.sub(r"[^\w.-]+", "-", request.node.nodeid).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium fonts-noto-cjk` (CI installs it).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made here are still
    # plain synchronous calls, so Django's async-safety guard would be a false alarm.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
        # The test body ran inside Playwright's context, where Django sees its own set of
        # connections (asgiref locals follow the context); close them or PostgreSQL's test
        # database cannot be dropped at the end of the run.
        connections.close_all()




def sign_in(browser, live_server, username: str, *, locale: str | None = None):  # type: ignore[no-untyped-def]
    """A new browser context signed in as ``username`` (a demo persona) through the login form."""
    from conftest import PERSONA_PASSWORD

    options: dict = {"viewport": {"width": 1440, "height": 900}}
    if locale:
        options["locale"] = locale
    page = browser.new_context(**options).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def english(*users) -> None:  # type: ignore[no-untyped-def]
    """Show the pages in English to these users (tests compare English labels)."""
    for user in users:
        user.language = "en"
        user.save()
