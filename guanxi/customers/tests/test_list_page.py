"""The account list page's rows, built in views_listing rather than in a template loop: every
column still says what it means, values are escaped, the query count does not grow with the
rows, and dates read exactly as Django's date_format writes them."""

import re
import zoneinfo
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from guanxi.customers.models import (
    Account,
    AccountClassification,
    Nature,
    ProcessClass,
    TimeClass,
    ValueTier,
)
from guanxi.customers.services import account_create
from guanxi.customers.views_listing import short_datetime_formatter

pytestmark = pytest.mark.django_db

ALL_COLUMNS = ("name,short_name,nature,industry,province,city,phone,credit_code,value_tier,time_class,process_class,"
               "owner,team,created,updated")


def cells_of(html: str, name: str) -> list[str]:
    """The cells of the row whose name cell is ``name`` (the checkbox cell left out)."""
    body = html.split('<tbody id="account-rows">')[1].split("</tbody>")[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td(?: class=\"name\")?>(.*?)</td>", row, flags=re.S)
        if cells and re.sub(r"<[^>]+>", "", cells[1]) == name:
            return [re.sub(r"<[^>]+>", "", c) for c in cells[1:]]
    raise AssertionError(f"no row for {name}")


@pytest.fixture
def english(alice):
    alice.language = "en"
    alice.save(update_fields=["language"])
    return alice


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_read_like_djangos_short_datetime_format(language):
    moments = [datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 9, 4, 5, tzinfo=UTC),
               datetime(2026, 7, 15, 4, 0, tzinfo=UTC), datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
               datetime(2026, 12, 31, 16, 30, tzinfo=UTC), datetime(999, 5, 6, 7, 8, tzinfo=UTC)]
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        formatted = short_datetime_formatter()
        for moment in moments:
            assert formatted(moment) == date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def test_every_column_shows_labels_owner_team_and_dates(client, english, carol):
    account = account_create(actor=carol, data={
        "name": "北京华为科技有限公司", "short_name": "华为", "nature": Nature.GOVERNMENT, "industry": "通信",
        "province": "北京市", "city": "北京市", "phone": "13800138000"})
    AccountClassification.objects.create(account=account, value_tier=ValueTier.KEY, time_class=TimeClass.NEW,
                                         process_class=ProcessClass.CURRENT)
    pooled = account_create(actor=carol, data={"name": "无主客户"})
    Account.objects.filter(pk=pooled.pk).update(owner=None, team=None)
    account.refresh_from_db()
    client.force_login(english)
    html = client.get(f"/accounts/?columns={ALL_COLUMNS}&sort=name").content.decode()
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo(english.timezone)):
        when = [date_format(timezone.localtime(m), "SHORT_DATETIME_FORMAT") for m in (account.created_at, account.updated_at)]
        assert cells_of(html, "北京华为科技有限公司") == [
            "北京华为科技有限公司", "华为", str(Nature.GOVERNMENT.label), "通信", "北京市", "北京市", account.phone, "—",
            str(ValueTier.KEY.label), str(TimeClass.NEW.label), str(ProcessClass.CURRENT.label), str(carol),
            str(account.team) if account.team_id else "—", *when]
        row = cells_of(html, "无主客户")
        assert row[8:13] == ["—", "—", "—", "Public pool", "—"]  # not classified yet, in the pool, no team
    assert f'href="/accounts/{account.pk}/"' in html
    assert 'aria-label="Select 北京华为科技有限公司"' in html


def test_names_are_escaped(client, carol):
    account_create(actor=carol, data={"name": "<b>A&B\"'公司</b>"})
    client.force_login(carol)
    html = client.get("/accounts/").content.decode()
    assert "<b>A&B" not in html
    assert "&lt;b&gt;A&amp;B&quot;&#x27;公司&lt;/b&gt;" in html


def test_an_inactive_owner_is_still_named(client, english, dave):
    account_create(actor=dave, data={"name": "旧客户"})
    dave.is_active = False
    dave.save(update_fields=["is_active"])
    client.force_login(english)
    html = client.get("/accounts/?columns=name,owner").content.decode()
    assert cells_of(html, "旧客户") == ["旧客户", str(dave)]


def test_query_count_does_not_grow_with_the_rows(client, carol):
    client.force_login(carol)
    url = f"/accounts/?columns={ALL_COLUMNS}"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    account_create(actor=carol, data={"name": "客户0"})
    client.get(url)  # warm process-wide caches (content types, custom fields)
    few = count()
    for i in range(1, 40):
        account = account_create(actor=carol, data={"name": f"客户{i}"})
        AccountClassification.objects.create(account=account, value_tier=ValueTier.GENERAL)
    assert count() == few <= 8


@pytest.mark.parametrize("source", [
    '{% translate "Accounts" %}|{% translate "Accounts" as x %}[{{ x }}]|{% trans "Public pool" %}',
    '{% translate "Accounts" noop %}|{% translate "May" context "month name" %}|{% translate "Accounts"|upper %}',
    '{% autoescape off %}{% translate "Accounts" %}{% endautoescape %}{% translate "Accounts" %}',
])
def test_remembered_translations_render_like_djangos(source):
    from django.template import engines

    engine = engines["django"]
    mine, django = engine.from_string("{% load i18n guanxi_i18n %}" + source), engine.from_string("{% load i18n %}" + source)
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language):
            assert mine.render({}) == django.render({})
