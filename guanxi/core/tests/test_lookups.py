"""``__any``: the same rows as ``__in`` on both databases, sent as one array on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.users.models import Team

pytestmark = pytest.mark.django_db


def test_any_finds_the_same_rows_as_in():
    teams = [Team.objects.create(name=f"T{i}") for i in range(5)]
    wanted = [teams[1].pk, teams[3].pk, 10**9]
    assert set(Team.objects.filter(pk__any=wanted)) == set(Team.objects.filter(pk__in=wanted)) == {teams[1], teams[3]}
    assert list(Team.objects.filter(name__any=["T2", "nope"])) == [teams[2]]
    assert list(Team.objects.filter(pk__any=[])) == []


def test_any_sends_one_parameter_however_many_values_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite gets a plain IN")
    with CaptureQueriesContext(connection) as ctx:
        list(Team.objects.filter(pk__any=list(range(1, 3000))))
    assert "= ANY(" in ctx.captured_queries[0]["sql"]
    assert ctx.captured_queries[0]["sql"].count("%s") <= 1 and "IN (" not in ctx.captured_queries[0]["sql"]


def test_any_uses_the_primary_key_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plans only")
    Team.objects.bulk_create([Team(name=f"T{i}") for i in range(2000)])
    qs = Team.objects.filter(pk__any=list(range(1, 50)))
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "Index" in plan, plan
    assert "int2" not in str(qs.query)
