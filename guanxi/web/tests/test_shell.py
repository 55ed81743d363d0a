"""The web shell as people meet it: signing in and out, the language and time zone they chose,
their password, their API tokens, and error pages in their language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from conftest import PERSONA_PASSWORD
from guanxi.customers.services import account_create
from guanxi.users.models import ApiToken

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def nav(response) -> str:
    found = re.search(r'<nav aria-label="[^"]*" id="main-nav">(.*?)</nav>', text(response), re.S)
    assert found, "the page has no main navigation"
    return found.group(1)


# --- signing in -------------------------------------------------------------------------------


def test_login_page_is_in_chinese_for_an_anonymous_visitor(client):
    r = client.get("/login/")
    assert r.status_code == 200
    assert '<html lang="zh-hans">' in text(r)
    assert "登录" in text(r) and "用户名" in text(r) and "密码" in text(r)


def test_visitor_can_switch_the_login_page_to_english_before_signing_in(client):
    r = client.post("/login/", {"language": "en", "next": "/login/?next=/accounts/"})
    assert r.status_code == 302 and r["Location"] == "/login/?next=/accounts/"
    page = text(client.get(r["Location"]))
    assert '<html lang="en">' in page and "Sign in" in page and "Username" in page


def test_carol_signs_in_sees_chinese_navigation_and_signs_out(client, carol):
    r = client.post("/login/", {"username": "carol", "password": PERSONA_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    home = client.get("/")
    assert '<html lang="zh-hans">' in text(home)
    assert ">客户<" in nav(home) and ">首页<" in nav(home) and ">公海<" in nav(home)
    r = client.post("/logout/")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_in_the_visitors_language(client, carol):
    r = client.post("/login/", {"username": "carol", "password": "not-her-password"})
    assert r.status_code == 200
    assert "用户名或密码错误。" in text(r)


def test_dave_who_chose_english_sees_english_navigation(dave):
    home = signed_in(dave).get("/")
    assert '<html lang="en">' in text(home)
    assert ">Accounts<" in nav(home) and ">Public pool<" in nav(home)


# --- language ---------------------------------------------------------------------------------


def test_language_switch_is_saved_on_the_user_and_follows_them_to_a_new_browser(carol):
    client = signed_in(carol)
    r = client.post("/settings/language/", {"language": "en", "next": "/accounts/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/"
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    carol.refresh_from_db()
    assert carol.language == "en"
    other_browser = signed_in(carol)
    page = other_browser.get("/")
    assert ">Accounts<" in nav(page) and ">客户<" not in nav(page)


def test_language_switch_refuses_unknown_languages_and_offsite_redirects(carol):
    client = signed_in(carol)
    r = client.post("/settings/language/", {"language": "xx", "next": "https://evil.example/"})
    assert r["Location"] == "/"
    carol.refresh_from_db()
    assert carol.language == "zh-hans"
    assert "未知的语言。" in text(client.get("/"))


def test_header_offers_the_other_language_by_its_own_name(carol, dave):
    switch = r'data-testid="switch-language-{}"[^>]*>.*?{}</button>'
    assert re.search(switch.format("en", "English"), text(signed_in(carol).get("/")), re.S)
    assert re.search(switch.format("zh-hans", "简体中文"), text(signed_in(dave).get("/")), re.S)


# --- time zones -------------------------------------------------------------------------------


def test_times_are_shown_in_shanghai_then_in_new_york_after_switching_zone(carol):
    # Stored as UTC noon; Shanghai is UTC+8, New York UTC-5 in January.
    ApiToken.objects.create(user=carol, name="ci", key_prefix="gx_abc", key_hash="0" * 64,
                            expires_at=datetime(2031, 1, 15, 12, 0, tzinfo=UTC))
    client = signed_in(carol)
    assert "2031年1月15日 20:00" in text(client.get("/settings/"))
    r = client.post("/settings/", {"form": "preferences", "language": "zh-hans", "timezone": "America/New_York"})
    assert r.status_code == 302
    page = text(client.get("/settings/"))
    assert "2031年1月15日 07:00" in page and "20:00" not in page
    assert "America/New_York" in page


def test_new_users_default_to_shanghai_time(org, django_user_model):
    user = django_user_model.objects.create_user("hank", password=PERSONA_PASSWORD)
    assert user.timezone == "Asia/Shanghai" and user.language == "zh-hans"


# --- password ---------------------------------------------------------------------------------


def test_password_change_works_and_keeps_carol_signed_in(carol):
    client = signed_in(carol)
    r = client.post("/settings/", {"form": "password", "old_password": PERSONA_PASSWORD,
                                   "new_password1": "Lantern-Harbour-4471", "new_password2": "Lantern-Harbour-4471"})
    assert r.status_code == 302
    assert "密码已修改。" in text(client.get("/settings/"))
    fresh = Client()
    assert fresh.login(username="carol", password="Lantern-Harbour-4471")
    assert not fresh.login(username="carol", password=PERSONA_PASSWORD)


def test_weak_password_is_refused_with_djangos_validator_messages(carol):
    client = signed_in(carol)
    r = client.post("/settings/", {"form": "password", "old_password": PERSONA_PASSWORD,
                                   "new_password1": "12345678", "new_password2": "12345678"})
    assert r.status_code == 200
    page = text(r)
    assert "这个密码太常见了。" in page
    assert "密码只包含数字。" in page
    carol.refresh_from_db()
    assert carol.check_password(PERSONA_PASSWORD)


# --- API tokens -------------------------------------------------------------------------------


def test_settings_page_shows_a_new_token_once_then_only_its_prefix(carol):
    client = signed_in(carol)
    r = client.post("/settings/", {"form": "token", "name": "报表脚本", "scope": "read"})
    key = re.search(r'data-testid="new-token">.*?<code>([^<]+)</code>', text(r), re.S).group(1)
    assert key.startswith("gx_") and len(key) > 20
    later = text(client.get("/settings/"))
    assert key not in later
    assert f"{key[:10]}…" in later and "报表脚本" in later


# --- errors -----------------------------------------------------------------------------------


def test_404_page_speaks_the_users_language(carol, dave):
    r = signed_in(carol).get("/no-such-page/")
    assert r.status_code == 404 and "页面不存在" in text(r)
    r = signed_in(dave).get("/no-such-page/")
    assert r.status_code == 404 and "Not found" in text(r)


def test_403_page_speaks_the_users_language(carol, grace):
    account = account_create(actor=carol, data={"name": "杭州西湖茶业有限公司"})
    r = signed_in(grace).post(f"/accounts/{account.pk}/delete/")
    assert r.status_code == 403
    assert "无权访问" in text(r)
    grace.language = "en"
    grace.save()
    r = signed_in(grace).post(f"/accounts/{account.pk}/delete/")
    assert r.status_code == 403 and "Not allowed" in text(r)


def test_expired_form_is_a_403_in_the_users_language(carol):
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)
    r = client.post("/settings/", {"form": "preferences", "language": "en", "timezone": "UTC"})
    assert r.status_code == 403
    assert "表单已过期" in text(r)
