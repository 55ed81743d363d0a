import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from guanxi.audit.models import Action, AuditEntry
from guanxi.customers.models import Account, PoolPolicy
from guanxi.customers.pool import AlreadyClaimed, ClaimCapReached, pool_claim, pool_release, reclaim_idle_accounts
from guanxi.customers.services import account_create


@pytest.fixture
def pooled(carol):
    account = account_create(actor=carol, data={"name": "深圳前海微众贸易有限公司"})
    return pool_release(actor=carol, account=account, reason="no longer mine")


@pytest.mark.django_db
def test_released_account_leaves_the_owner_and_enters_the_pool(carol, pooled):
    assert pooled.owner_id is None and pooled.pool_entered_at is not None
    entry = AuditEntry.objects.filter(object_id=pooled.pk, action=Action.OWNERSHIP).latest("id")
    assert entry.changes["owner_id"] == [carol.pk, None]


@pytest.mark.django_db
def test_rep_claims_from_the_pool_and_the_claim_is_audited(dave, pooled):
    account = pool_claim(actor=dave, account_id=pooled.pk)
    assert account.owner_id == dave.pk and account.pool_entered_at is None
    assert AuditEntry.objects.filter(object_id=pooled.pk, action=Action.OWNERSHIP, actor=dave).exists()


@pytest.mark.django_db
def test_second_claim_of_the_same_account_is_refused_clearly(dave, bob, pooled):
    pool_claim(actor=dave, account_id=pooled.pk)
    with pytest.raises(AlreadyClaimed) as exc:
        pool_claim(actor=bob, account_id=pooled.pk)
    assert exc.value.code == "pool.already_claimed"


@pytest.mark.django_db
def test_claim_cap_per_rep_is_enforced(org, dave, carol):
    PoolPolicy.objects.create(team=org.team_west, claim_cap=1)
    account_create(actor=dave, data={"name": "戴夫已有客户"})
    other = pool_release(actor=carol, account=account_create(actor=carol, data={"name": "公海客户"}))
    with pytest.raises(ClaimCapReached):
        pool_claim(actor=dave, account_id=other.pk)
    assert Account.objects.get(pk=other.pk).owner_id is None


@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_once_exactly_one_wins(org):
    carol, dave, bob = org.users["carol"], org.users["dave"], org.users["bob"]
    target = pool_release(actor=carol, account=account_create(actor=carol, data={"name": "并发争抢客户"}))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(user):
        try:
            barrier.wait(timeout=5)
            pool_claim(actor=user, account_id=target.pk)
            outcomes.append("won")
        except AlreadyClaimed:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (dave, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(outcomes) == ["lost", "won"]
    assert Account.objects.get(pk=target.pk).owner_id in {dave.pk, bob.pk}


@pytest.mark.django_db
def test_idle_accounts_return_to_the_pool_and_owners_are_reminded_first(org, carol):
    now = timezone.now()
    idle = account_create(actor=carol, data={"name": "沉睡客户"})
    soon = account_create(actor=carol, data={"name": "快到期客户"})
    fresh = account_create(actor=carol, data={"name": "活跃客户"})
    Account.objects.filter(pk=idle.pk).update(last_activity_at=now - timedelta(days=31))
    Account.objects.filter(pk=soon.pk).update(last_activity_at=now - timedelta(days=27, hours=12))
    Account.objects.filter(pk=fresh.pk).update(last_activity_at=now - timedelta(days=2))
    result = reclaim_idle_accounts(now=now)
    assert result == {"released": 1, "reminded": 1}
    assert Account.objects.get(pk=idle.pk).owner_id is None
    assert Account.objects.get(pk=soon.pk).owner_id == carol.pk
    assert len(mail.outbox) == 1 and "快到期客户" in mail.outbox[0].subject


@pytest.mark.django_db
def test_pool_page_lists_pooled_accounts_and_claim_button_works(client, dave, pooled):
    client.force_login(dave)
    page = client.get("/accounts/pool/")
    assert "深圳前海微众贸易有限公司" in page.content.decode()
    response = client.post(f"/accounts/pool/{pooled.pk}/claim/")
    assert response.status_code == 302
    assert Account.objects.get(pk=pooled.pk).owner_id == dave.pk


@pytest.mark.django_db
def test_api_claim_race_loser_gets_409(client, dave, bob, pooled):
    client.force_login(dave)
    assert client.post(f"/api/v1/accounts/pool/{pooled.pk}/claim").status_code == 200
    client.force_login(bob)
    r = client.post(f"/api/v1/accounts/pool/{pooled.pk}/claim")
    assert r.status_code == 409 and r.json()["code"] == "pool.already_claimed"
