"""Cursor (keyset) pagination: walking the pages of a list shows every row exactly once, in the
list's order, with ties broken by id; limits and cursors are checked."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.core.pagination import InvalidCursor, InvalidLimit, encode_cursor, keyset_page
from guanxi.customers.models import Account
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db

# Five accounts share one name (a chain's branches typed the same way), so a page boundary falls
# inside the tie whatever the page size below 5.
NAMES = ["上海明远贸易有限公司"] * 5 + [
    "安徽江淮汽车集团", "北京燕山石化有限公司", "成都天府软件园", "重庆长安工业", "广州白云贸易有限公司",
    "杭州云栖网络有限公司", "西安高新区管委会", "张家港保税区物流",
]


@pytest.fixture
def book(carol):
    return [account_create(actor=carol, data={"name": name, "city": f"分店{i}"}) for i, name in enumerate(NAMES)]


def walk(client, query, limit):
    """Follow next_cursor from the first page to the last; return the pages of ids."""
    pages, after = [], ""
    for _ in range(50):
        r = client.get(f"/api/v1/accounts/?{query}&limit={limit}{after}")
        assert r.status_code == 200, r.content
        body = r.json()
        pages.append([item["id"] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        after = f"&after={body['next_cursor']}"
    raise AssertionError("pagination did not end")


def test_pages_by_name_are_disjoint_complete_and_in_pinyin_order(client, carol, book):
    client.force_login(carol)
    pages = walk(client, "sort=name", limit=4)
    assert [len(p) for p in pages] == [4, 4, 4, 1]
    ids = [pk for page in pages for pk in page]
    assert len(ids) == len(set(ids)) == len(book)
    assert ids == list(Account.objects.order_by("name_sort", "id").values_list("id", flat=True))
    names = [Account.objects.get(pk=pk).name for pk in ids]
    assert names[:3] == ["安徽江淮汽车集团", "北京燕山石化有限公司", "成都天府软件园"]
    assert names.index("杭州云栖网络有限公司") < names.index("上海明远贸易有限公司") < names.index("西安高新区管委会")
    tie = [pk for pk in ids if Account.objects.get(pk=pk).name == "上海明远贸易有限公司"]
    assert tie == sorted(tie)  # same names: by id


def test_pages_by_newest_first_break_equal_timestamps_by_id(client, carol, book):
    moment = timezone.now() - timedelta(days=1)
    Account.objects.filter(pk__in=[a.pk for a in book[3:9]]).update(created_at=moment)
    client.force_login(carol)
    pages = walk(client, "sort=-created", limit=5)
    assert [len(p) for p in pages] == [5, 5, 3]
    ids = [pk for page in pages for pk in page]
    assert len(set(ids)) == len(book)
    assert ids == list(Account.objects.order_by("-created_at", "-id").values_list("id", flat=True))
    assert ids[-6:] == sorted((a.pk for a in book[3:9]), reverse=True)


def test_descending_name_walk_is_the_ascending_walk_reversed(client, carol, book):
    client.force_login(carol)
    up = [pk for page in walk(client, "sort=name", limit=3) for pk in page]
    down = [pk for page in walk(client, "sort=-name", limit=3) for pk in page]
    assert down == up[::-1]


def test_a_row_added_while_paging_neither_repeats_nor_shifts_rows(client, carol, book):
    client.force_login(carol)
    first = client.get("/api/v1/accounts/?sort=name&limit=4").json()
    account_create(actor=carol, data={"name": "阿里巴巴（中国）网络技术有限公司"})  # sorts before everything shown
    rest = walk(client, f"sort=name&after={first['next_cursor']}", limit=4)
    seen = [item["id"] for item in first["items"]] + [pk for page in rest for pk in page]
    assert len(seen) == len(set(seen)) == len(book)


def test_limit_is_at_most_200(client, carol, book):
    client.force_login(carol)
    assert client.get("/api/v1/accounts/?limit=200").status_code == 200
    for bad in ("201", "0", "-1", "abc"):
        r = client.get(f"/api/v1/accounts/?limit={bad}")
        assert r.status_code == 422, bad
        assert r.json()["code"] == "validation_failed"
        assert "limit" in r.json()["errors"]
    with pytest.raises(InvalidLimit):
        keyset_page(Account.objects.all(), order=("id",), limit=201)


def b64(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor!", "%%%", b64({"a": 1}), b64([1, 2, 3, 4]), b64("x"), b64([]),
    b64(["00000000", "a", 1]),  # a forged order fingerprint
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_invalid_cursor_is_400_with_a_stable_code(client, carol, cursor):
    client.force_login(carol)
    r = client.get(f"/api/v1/accounts/?after={cursor}")
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "pagination.invalid_cursor"


def test_cursor_from_another_sort_is_refused(client, carol, book):
    client.force_login(carol)
    cursor = client.get("/api/v1/accounts/?sort=name&limit=2").json()["next_cursor"]
    r = client.get(f"/api/v1/accounts/?sort=-created&after={cursor}")
    assert r.status_code == 400
    assert r.json()["code"] == "pagination.invalid_cursor"


@pytest.mark.parametrize("values", [
    ["\u0000", 1], [None, 1], [True, 1], [[1], 1], ["a", "not-a-number"], ["zzzz", 10**30], ["a", float("inf")],
    [{"dt": "2026-01-01T00:00:00"}, 1], [{"x": 1}, 1], [{"dt": 5}, 1],
])
def test_hostile_values_in_a_well_formed_cursor_are_400_not_500(carol, values):
    order = ("name_sort", "id")
    account_create(actor=carol, data={"name": "北京燕山石化有限公司"})
    cursor = encode_cursor(values, order=order)
    try:
        page = keyset_page(Account.objects.all(), order=order, after=cursor, limit=5)
    except InvalidCursor:
        return
    assert values == ["zzzz", 10**30] and page.items == []  # a huge id is merely past the end


def test_cursors_carry_chinese_sort_values_on_every_database(carol, book):
    qs = Account.objects.all()
    seen, after = [], None
    while True:
        page = keyset_page(qs, order=("name", "id"), after=after, limit=3)
        seen += [a.pk for a in page.items]
        if page.next_cursor is None:
            break
        assert page.next_cursor.replace("-", "").replace("_", "").isalnum()  # safe in a URL as is
        after = page.next_cursor
    assert seen == list(qs.order_by("name", "id").values_list("id", flat=True))
    assert len(seen) == len(book)
