"""Every main page is self-contained (no script or stylesheet from another site), fits a phone
(viewport meta) and is usable from the keyboard and with a screen reader (skip link, a label for
every form control)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from guanxi.customers.services import account_create
from guanxi.web.context_processors import NAVIGATION

pytestmark = pytest.mark.django_db


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.external: list[str] = []
        self.scripts: list[str] = []
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.viewport = False
        self.skip_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = a.get("src") if tag in {"script", "img", "iframe"} else a.get("href") if tag == "link" else None
        if url is not None:
            if tag == "script":
                self.scripts.append(url)
            if re.match(r"^(https?:)?//", url.strip(), re.I):
                self.external.append(f"<{tag}> {url}")
        if tag == "meta" and a.get("name") == "viewport" and "width=device-width" in (a.get("content") or ""):
            self.viewport = True
        if tag == "a" and a.get("class") == "skip-link" and a.get("href") == "#main":
            self.skip_link = True
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit", "button", "reset"}:
            self.controls.append({**a, "_tag": tag, "_in_label": "yes" if self.label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)

    def unlabelled(self) -> list[str]:
        return [
            f"<{c['_tag']} name={c.get('name')!r} id={c.get('id')!r}>"
            for c in self.controls
            if not (c["_in_label"] or c.get("aria-label") or c.get("aria-labelledby") or (c.get("id") and c["id"] in self.label_for))
        ]


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    return parser


@pytest.fixture
def main_pages(carol) -> list[str]:
    account = account_create(actor=carol, data={"name": "苏州工业园区测试有限公司"})
    urls = [reverse(name) for name, _label, _also in NAVIGATION]
    return [*urls, reverse("web:settings"), reverse("customers:account_create"), reverse("customers:contact_create"),
            reverse("customers:account_detail", args=[account.pk]), "/no-such-page/"]


def test_every_main_page_uses_only_local_scripts_and_stylesheets(carol, main_pages):
    client = Client()
    pages = {"/login/": client.get("/login/")}
    client.force_login(carol)
    pages |= {url: client.get(url) for url in main_pages}
    for url, response in pages.items():
        assert response.status_code in {200, 404}, url
        page = audit(response.content.decode())
        assert not page.external, f"{url} loads from another site: {page.external}"
        assert page.viewport, f"{url} has no viewport meta"
        assert page.skip_link, f"{url} has no skip link"
        assert page.unlabelled() == [], f"{url}: controls without a label: {page.unlabelled()}"
        htmx = [s for s in page.scripts if "htmx" in s]
        assert htmx and all(s.startswith("/static/") for s in htmx), f"{url}: htmx not served locally: {page.scripts}"


def test_htmx_and_the_stylesheet_exist_as_local_static_files(carol):
    client = Client()
    client.force_login(carol)
    page = audit(client.get("/").content.decode())
    for src in page.scripts:
        assert finders.find(src.removeprefix("/static/").split("?")[0]), f"{src} is not a static file"
    css = finders.find("web/guanxi.css")
    assert css
    with open(css, encoding="utf-8") as fh:
        stylesheet = fh.read()
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", stylesheet), "the stylesheet pulls something from the network"


def test_navigation_marks_the_current_page_for_screen_readers(carol):
    client = Client()
    client.force_login(carol)
    html = client.get(reverse("customers:account_list")).content.decode()
    assert re.search(r'<a href="/accounts/" aria-current="page">客户</a>', html)
