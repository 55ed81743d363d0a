import pytest

from guanxi.customers.models import Account
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def carols(carol):
    return account_create(actor=carol, data={"name": "共享测试客户"})


def test_owner_shares_read_only_with_a_user_who_then_sees_but_cannot_edit(client, carol, dave, carols):
    client.force_login(carol)
    r = client.post(f"/api/v1/accounts/{carols.pk}/shares", {"user_id": dave.pk}, content_type="application/json")
    assert r.status_code == 201
    client.force_login(dave)
    assert client.get(f"/api/v1/accounts/{carols.pk}").status_code == 200
    r = client.patch(f"/api/v1/accounts/{carols.pk}", {"version": carols.version, "city": "北京"}, content_type="application/json")
    assert r.status_code == 403
    assert Account.objects.get(pk=carols.pk).city == ""


def test_editable_team_share_lets_team_members_edit(client, org, carol, dave, carols):
    client.force_login(carol)
    client.post(f"/accounts/{carols.pk}/shares/", {"target": f"team:{org.team_west.pk}", "can_edit": "on"})
    client.force_login(dave)
    r = client.patch(f"/api/v1/accounts/{carols.pk}", {"version": carols.version, "city": "北京"}, content_type="application/json")
    assert r.status_code == 200


def test_only_editors_can_share_and_stopping_a_share_hides_the_record_again(client, carol, dave, grace, carols):
    client.force_login(grace)  # read-only role: sees, cannot share
    assert client.post(f"/api/v1/accounts/{carols.pk}/shares", {"user_id": dave.pk}, content_type="application/json").status_code == 403
    client.force_login(dave)  # cannot see: 404
    assert client.post(f"/api/v1/accounts/{carols.pk}/shares", {"user_id": dave.pk}, content_type="application/json").status_code == 404
    client.force_login(carol)
    share_id = client.post(f"/api/v1/accounts/{carols.pk}/shares", {"user_id": dave.pk}, content_type="application/json").json()["id"]
    assert client.delete(f"/api/v1/accounts/{carols.pk}/shares/{share_id}").status_code == 204
    client.force_login(dave)
    assert client.get(f"/api/v1/accounts/{carols.pk}").status_code == 404


def test_sharing_tab_lists_shares(client, carol, dave, carols):
    client.force_login(carol)
    client.post(f"/accounts/{carols.pk}/shares/", {"target": f"user:{dave.pk}"})
    html = client.get(f"/accounts/{carols.pk}/tab/sharing/").content.decode()
    assert str(dave) in html
