import pytest
from django.test import Client

from guanxi.customers.contacts import contact_create
from guanxi.sales.models import LossReason, Opportunity, Pipeline
from guanxi.sales.tests.factories import account_for, opportunity_for, stage
from guanxi.users.models import TokenScope
from guanxi.users.services import token_create

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sales"


def api(user) -> Client:
    _token, key = token_create(actor=user, name="t", scope=TokenScope.READ_WRITE, expires_at=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def test_dave_gets_404_on_carols_opportunity(carol, dave):
    opp = opportunity_for(carol)
    for method, path, body in (("get", "", None), ("patch", "", {"version": 1, "name": "x"}),
                               ("post", "/move", {"stage_id": stage("needs").pk, "version": 1}),
                               ("get", "/history", None), ("get", "/lines", None)):
        r = getattr(api(dave), method)(f"{BASE}/opportunities/{opp.pk}{path}", body, content_type="application/json")
        assert r.status_code == 404, (method, path, r.content)
        assert r["Content-Type"] == "application/problem+json"


def test_grace_reads_carols_opportunity_but_gets_403_on_writes(carol, grace):
    opp = opportunity_for(carol)
    assert api(grace).get(f"{BASE}/opportunities/{opp.pk}").status_code == 200
    r = api(grace).patch(f"{BASE}/opportunities/{opp.pk}", {"version": opp.version, "name": "x"}, content_type="application/json")
    assert r.status_code == 403


def test_create_and_list_opportunities_with_filters(carol):
    account = account_for(carol)
    client = api(carol)
    r = client.post(f"{BASE}/opportunities", {"account_id": account.pk, "name": "API 商机", "amount": "12000.50",
                                              "decision_type": "consensus", "expected_close": "2026-06-30"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["stage_id"] == stage("initial").pk and body["effective_probability"] == 10 and body["amount"] == "12000.50"
    opportunity_for(carol, amount="10")
    r = client.get(f"{BASE}/opportunities", {"amount__min": "1000", "decision_type": "consensus"})
    assert [o["id"] for o in r.json()["items"]] == [body["id"]]
    assert client.get(f"{BASE}/opportunities", {"owner__password": "x"}).status_code == 400


def test_owner_and_version_are_not_writable(carol, dave):
    opp = opportunity_for(carol)
    r = api(carol).patch(f"{BASE}/opportunities/{opp.pk}", {"version": opp.version, "owner_id": dave.pk},
                         content_type="application/json")
    assert r.status_code == 422
    assert Opportunity.objects.get(pk=opp.pk).owner == carol


def test_stale_board_move_is_refused_with_409(carol):
    opp = opportunity_for(carol)
    client = api(carol)
    r = client.post(f"{BASE}/opportunities/{opp.pk}/move", {"stage_id": stage("needs").pk, "version": opp.version},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == opp.version + 1
    r = client.post(f"{BASE}/opportunities/{opp.pk}/move", {"stage_id": stage("proposal").pk, "version": opp.version},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    assert Opportunity.objects.get(pk=opp.pk).stage.code == "needs"


def test_moving_to_lost_through_the_api_needs_the_lose_route(carol):
    opp = opportunity_for(carol)
    client = api(carol)
    r = client.post(f"{BASE}/opportunities/{opp.pk}/move", {"stage_id": stage("lost").pk, "version": opp.version},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "opportunity.loss_reason_required"
    r = client.post(f"{BASE}/opportunities/{opp.pk}/lose", {"loss_reason_id": LossReason.objects.first().pk, "version": opp.version},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["is_open"] is False


def test_win_with_order_through_the_api(carol):
    opp = opportunity_for(carol, amount="5000")
    r = api(carol).post(f"{BASE}/opportunities/{opp.pk}/win", {"version": opp.version, "create_order": True,
                                                              "order_date": "2026-04-01"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["won_order_id"] is not None


def test_board_and_column_pages(carol):
    for _ in range(5):
        opportunity_for(carol)
    pipeline = Pipeline.objects.get(is_default=True)
    client = api(carol)
    board = client.get(f"{BASE}/pipelines/{pipeline.pk}/board", {"per_column": 2}).json()
    first = board["columns"][0]
    assert first["total"] == 5 and len(first["cards"]) == 2 and first["next_cursor"]
    page = client.get(f"{BASE}/stages/{first['stage']['id']}/cards", {"after": first["next_cursor"], "limit": 10}).json()
    assert len(page["items"]) == 3
    assert client.get(f"{BASE}/pipelines/{pipeline.pk}/board", {"nonsense": "1"}).status_code == 400


def test_pipelines_are_read_by_all_and_written_by_admins(carol, alice):
    r = api(carol).get(f"{BASE}/pipelines")
    assert r.status_code == 200 and [s["name_zh"] for s in r.json()[0]["stages"]][:2] == ["初步接触", "需求确认"]
    assert api(carol).post(f"{BASE}/pipelines", {"name_zh": "渠道", "name_en": "Channel"}, content_type="application/json").status_code == 403
    r = api(alice).post(f"{BASE}/pipelines", {"name_zh": "渠道", "name_en": "Channel"}, content_type="application/json")
    assert r.status_code == 201 and {s["kind"] for s in r.json()["stages"]} == {"open", "won", "lost"}


def test_lead_flow_through_the_api(carol):
    client = api(carol)
    r = client.post(f"{BASE}/leads", {"name": "赵经理", "company": "杭州线索科技有限公司", "mobile": "13700137000"},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["mobile"] == "+8613700137000"
    lead_id = r.json()["id"]
    dup = client.get(f"{BASE}/leads/{lead_id}/duplicates").json()
    assert dup == {"accounts": [], "contacts": [], "hidden": [], "hidden_count": 0}
    r = client.post(f"{BASE}/leads/{lead_id}/convert", {"opportunity": {"name": "线索商机", "amount": "3000"},
                                                        "contact_role": "champion"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["lead"]["status"] == "converted" and r.json()["opportunity_id"]
    r = client.post(f"{BASE}/leads/{lead_id}/convert", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "lead.already_converted"


def test_contacts_of_an_opportunity_through_the_api(carol):
    account = account_for(carol)
    contact = contact_create(actor=carol, data={"name": "技术负责人"}, account_ids=[account.pk])
    opp = opportunity_for(carol, account=account)
    r = api(carol).put(f"{BASE}/opportunities/{opp.pk}/contacts", {"version": opp.version, "contacts": [
        {"contact_id": contact.pk, "role": "technical_buyer"}]}, content_type="application/json")
    assert r.status_code == 200 and r.json() == [{"contact_id": contact.pk, "role": "technical_buyer"}]
