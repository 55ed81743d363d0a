"""The bulk seeding path (PostgreSQL): worker processes load disjoint id ranges with the tables'
indexes and foreign keys dropped, and every index and constraint is back afterwards."""

import pytest
from django.db import connection

from guanxi.customers import demo_data
from guanxi.customers.models import Account, Contact, ContactAccount, Order

pytestmark = pytest.mark.django_db(transaction=True)


def _schema() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(demo_data.BULK_TABLES)])
        found = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT conname || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
                    [list(demo_data.BULK_TABLES)])
        return found | {row[0] for row in cur.fetchall()}


def test_parallel_bulk_load_writes_every_row_and_restores_the_schema(org, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the bulk path is PostgreSQL's")
    monkeypatch.setattr(demo_data, "BULK_INDEX_THRESHOLD", 10)
    before = _schema()
    owners = [demo_data.Owner(u.pk, None, u.department_id) for u in org.users.values()]
    result = demo_data.generate(accounts=41, owners=owners, workers=2, orders_per_account=3)
    assert result.accounts == Account.all_objects.count() == 41
    assert result.contacts == Contact.all_objects.count() == ContactAccount.objects.count()
    assert result.orders == Order.all_objects.count() > 0
    assert len(set(Account.all_objects.values_list("name_key", flat=True))) == 41
    assert _schema() == before
    # The sequences continue after the generated ids: a service can create the next account.
    from guanxi.customers.services import account_create

    highest = max(Account.all_objects.values_list("pk", flat=True))
    assert account_create(actor=org.users["carol"], data={"name": "序列之后有限公司"}).pk > highest
