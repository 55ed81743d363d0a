import pytest
from django.contrib.contenttypes.models import ContentType

from guanxi.customers.models import Account
from guanxi.customers.services import account_create
from guanxi.users.models import Share
from guanxi.users.visibility import editable_by, visible_to

pytestmark = pytest.mark.django_db


def names(user):
    return set(visible_to(user, Account.objects.all()).values_list("name", flat=True))


@pytest.fixture
def accounts(carol, dave, bob, erin):
    return {
        "carol": account_create(actor=carol, data={"name": "卡罗的客户"}),
        "dave": account_create(actor=dave, data={"name": "戴夫的客户"}),
        "bob": account_create(actor=bob, data={"name": "鲍勃的客户"}),
    }


def test_rep_sees_only_own_accounts(carol, accounts):
    assert names(carol) == {"卡罗的客户"}


def test_rep_cannot_see_other_teams_accounts(dave, accounts):
    assert "卡罗的客户" not in names(dave)


def test_manager_sees_subordinates_accounts_but_not_other_teams(bob, accounts):
    assert names(bob) == {"卡罗的客户", "鲍勃的客户"}


def test_admin_sees_everything(alice, accounts):
    assert names(alice) == {"卡罗的客户", "戴夫的客户", "鲍勃的客户"}


def test_read_only_user_sees_department_tree_but_edits_nothing(grace, accounts):
    assert names(grace) == {"卡罗的客户", "戴夫的客户", "鲍勃的客户"}
    assert not editable_by(grace, accounts["carol"])


def test_department_scope_sees_same_department_only(org, carol, dave, accounts):
    from guanxi.users.models import Scope

    carol.role.default_read_scope = Scope.DEPARTMENT
    carol.role.save()
    carol = type(carol).objects.get(pk=carol.pk)  # a fresh request's user: scopes are read once per request
    assert names(carol) == {"卡罗的客户", "鲍勃的客户"}


def test_share_read_only_makes_record_visible_not_editable(carol, dave, accounts):
    Share.objects.create(content_type=ContentType.objects.get_for_model(Account), object_id=accounts["dave"].pk, user=carol)
    assert "戴夫的客户" in names(carol)
    assert not editable_by(carol, accounts["dave"])


def test_editable_share_with_team_lets_members_edit(org, carol, dave, accounts):
    Share.objects.create(
        content_type=ContentType.objects.get_for_model(Account), object_id=accounts["dave"].pk, team=org.team_east, can_edit=True
    )
    assert editable_by(carol, accounts["dave"])


def test_deactivated_user_sees_nothing(carol, accounts):
    carol.is_active = False
    carol.save()
    assert names(carol) == set()


def test_manager_edits_subordinates_record(bob, accounts):
    assert editable_by(bob, accounts["carol"])
    assert not editable_by(bob, accounts["dave"])
