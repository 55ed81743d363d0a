"""Orders through the API: money validation, visibility through the account, audit, lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.audit.models import AuditEntry
from guanxi.customers.models import AccountClassification, Order
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(carol):
    return account_create(actor=carol, data={"name": "杭州丝绸贸易有限公司"})


def post(client, **data):
    return client.post("/api/v1/orders/", data, content_type="application/json")


def test_rep_records_an_order_in_yuan_and_the_account_is_reclassified(client, carol, account, django_capture_on_commit_callbacks):
    client.force_login(carol)
    today = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, account_id=account.pk, order_date=today, amount="12800.50", gross_profit="3200.10")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["gross_profit"], body["currency"], body["status"]) == ("12800.50", "3200.10", "CNY", "open")
    order = Order.objects.get(pk=body["id"])
    assert AuditEntry.objects.filter(object_id=str(order.pk)).exists()
    cls = AccountClassification.objects.get(account=account)
    assert (cls.time_class, cls.process_class) == ("new", "current")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "100", "gross_profit": "100.01"}, "gross_profit"),
        ({"amount": "100", "currency": "XYZ"}, "currency"),
        ({"amount": "100", "currency": "rmb"}, "currency"),
        ({"amount": "100", "order_date": "1900-01-01"}, "order_date"),
        ({"amount": "100.001"}, "amount"),
    ],
)
def test_impossible_orders_are_refused_with_the_field_named(client, carol, account, data, field):
    client.force_login(carol)
    payload = {"account_id": account.pk, "order_date": timezone.localdate().isoformat(), **data}

    response = post(client, **payload)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Order.objects.exists()


def test_a_loss_making_order_in_dollars_is_accepted(client, carol, account):
    client.force_login(carol)
    response = post(
        client,
        account_id=account.pk,
        order_date=timezone.localdate().isoformat(),
        amount="100",
        gross_profit="-30",
        currency="usd",
        status="completed",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["gross_profit"], response.json()["currency"]) == ("-30.00", "USD")


def test_a_rep_of_another_team_cannot_see_or_add_orders_of_the_account(client, carol, dave, account):
    Order.objects.create(account=account, order_date=timezone.localdate(), amount=100)
    client.force_login(dave)

    assert post(client, account_id=account.pk, order_date=timezone.localdate().isoformat(), amount="1").status_code == 404
    assert client.get("/api/v1/orders/").json()["items"] == []
    assert client.get(f"/api/v1/orders/{Order.objects.get().pk}").status_code == 404


def test_a_stale_edit_is_refused_and_a_delete_goes_to_the_trash(client, carol, account):
    client.force_login(carol)
    created = post(client, account_id=account.pk, order_date=timezone.localdate().isoformat(), amount="500").json()
    url = f"/api/v1/orders/{created['id']}"

    ok = client.patch(url, {"version": 1, "status": "completed", "gross_profit": "120"}, content_type="application/json")
    stale = client.patch(url, {"version": 1, "amount": "900"}, content_type="application/json")
    too_much = client.patch(url, {"version": 2, "amount": "100"}, content_type="application/json")  # profit 120 > 100

    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert stale.status_code == 409
    assert too_much.status_code == 422 and "gross_profit" in too_much.json()["errors"]
    assert client.delete(f"{url}?version=2").status_code == 204
    assert client.get(url).status_code == 404
    assert Order.all_objects.get(pk=created["id"]).deleted_at is not None


def test_order_list_filters_by_account_status_and_dates_and_pages_with_a_cursor(client, carol, account):
    other = account_create(actor=carol, data={"name": "宁波海运有限公司"})
    today = timezone.localdate()
    for days, status in ((1, "completed"), (2, "completed"), (3, "open"), (40, "completed")):
        Order.objects.create(account=account, order_date=today - timedelta(days=days), amount=days, status=status)
    Order.objects.create(account=other, order_date=today, amount=7, status="completed")
    client.force_login(carol)

    base = f"/api/v1/orders/?account_id={account.pk}&status=completed&date_from={(today - timedelta(days=10)).isoformat()}"
    first = client.get(base + "&limit=1").json()
    second = client.get(base + f"&limit=1&after={first['next_cursor']}").json()

    assert [o["amount"] for o in first["items"]] == ["1.00"]  # newest first
    assert [o["amount"] for o in second["items"]] == ["2.00"] and second["next_cursor"] is None
    assert len(client.get("/api/v1/orders/").json()["items"]) == 5
    until = client.get(f"/api/v1/orders/?date_to={(today - timedelta(days=30)).isoformat()}").json()
    assert [o["amount"] for o in until["items"]] == ["40.00"]
    assert client.get("/api/v1/orders/?status=shipped").status_code == 422
