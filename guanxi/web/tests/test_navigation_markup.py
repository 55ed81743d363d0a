"""The navigation's markup is remembered per language and current page (context_processors): it
must still follow both, and match what the template loop it replaced wrote."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from guanxi.web.context_processors import NAVIGATION, navigation_html

pytestmark = pytest.mark.django_db

LOOP = ('{% for item in nav_items %}<li><a href="{{ item.url }}"{% if item.active %} aria-current="page"{% endif %}>'
        '{{ item.label }}</a></li>{% endfor %}')


def test_navigation_follows_the_language_and_the_current_page(carol):
    client = Client()
    client.force_login(carol)
    assert '<a href="/accounts/" aria-current="page">客户</a>' in client.get("/accounts/").content.decode()
    carol.language = "en"
    carol.save(update_fields=["language"])
    html = client.get("/accounts/contacts/").content.decode()
    assert '<a href="/accounts/contacts/" aria-current="page">Contacts</a>' in html
    assert '<a href="/accounts/">Accounts</a>' in html


@pytest.mark.parametrize("current", ["", "customers:account_list", "customers:account_detail", "web:trash", "nowhere"])
def test_navigation_markup_is_what_the_template_loop_wrote(current):
    loop = engines["django"].from_string(LOOP)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            items = []
            for name, label, also in NAVIGATION:
                try:
                    items.append({"url": reverse(name), "label": label, "active": current == name or current in also})
                except NoReverseMatch:
                    continue
            assert navigation_html(current) == loop.render({"nav_items": items})
