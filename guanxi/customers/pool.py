"""The public customer pool (公海): accounts without an owner, claimable by reps up to a cap.

Accounts fall back into the pool when their owner releases them or, automatically, after N days
without activity or orders (N per team, default 30; owners are reminded 3 days before).
Claiming is race-safe: the claim is one conditional UPDATE (… WHERE owner IS NULL), so of two
reps claiming the same account at once exactly one wins and the other is told it is gone.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, NotFound, PermissionDenied
from guanxi.customers.models import Account, PoolPolicy
from guanxi.users.models import Scope, User
from guanxi.users.visibility import _scopes, can_see, editable_by

logger = logging.getLogger(__name__)

DEFAULT_RECLAIM_DAYS = 30
DEFAULT_CLAIM_CAP = 200
REMIND_DAYS_BEFORE = 3


class AlreadyClaimed(Conflict):
    code = "pool.already_claimed"
    default_detail = _("Someone else claimed this account a moment ago.")


class ClaimCapReached(Conflict):
    code = "pool.cap_reached"


def may_use_pool(actor: User) -> bool:
    if not actor.is_active:
        return False
    if actor.is_admin:
        return True
    return _scopes(actor, Account)[1] != Scope.NONE


def pool_queryset(*, actor: User) -> QuerySet[Account]:
    if not may_use_pool(actor):
        return Account.objects.none()
    return Account.objects.filter(owner__isnull=True).select_related("classification")


def policy_for(user: User) -> tuple[int, int]:
    """(reclaim_days, claim_cap) of the user's first team, or the defaults."""
    team_ids = list(user.teams.values_list("pk", flat=True))
    policy = PoolPolicy.objects.filter(team_id__in=team_ids).order_by("team_id").first() if team_ids else None
    if policy is None:
        return DEFAULT_RECLAIM_DAYS, DEFAULT_CLAIM_CAP
    return policy.reclaim_days, policy.claim_cap


@transaction.atomic
def pool_claim(*, actor: User, account_id: int) -> Account:
    if not may_use_pool(actor):
        raise NotFound()
    # Serialise one rep's claims so two parallel claims cannot both slip under the cap.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    _reclaim_days, cap = policy_for(actor)
    owned = Account.objects.filter(owner_id=actor.pk).count()
    if owned >= cap:
        raise ClaimCapReached(_("You already own %(n)d accounts, the most your team allows (%(cap)d).") % {"n": owned, "cap": cap})
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFound()
    before = snapshot(account)
    now = timezone.now()
    team = actor.teams.order_by("pk").first()
    won = Account.objects.filter(pk=account_id, owner__isnull=True, deleted_at__isnull=True).update(
        owner_id=actor.pk, team=team, department_id=actor.department_id, pool_entered_at=None,
        last_activity_at=now, version=account.version + 1, updated_at=now,
    )
    if not won:
        raise AlreadyClaimed()
    account.refresh_from_db()
    audit_record(actor=actor, obj=account, action=Action.OWNERSHIP, before=before)
    return account


@transaction.atomic
def pool_release(*, actor: User | None, account: Account, reason: str = "") -> Account:
    """Put an account back into the pool (its owner, a manager above them, an admin, or the system)."""
    if actor is not None and not editable_by(actor, account):
        raise PermissionDenied() if can_see(actor, account) else NotFound()
    current = Account.objects.select_for_update().get(pk=account.pk)
    if current.owner_id is None:
        return current
    before = snapshot(current)
    current.owner = None
    current.team = None
    current.pool_entered_at = timezone.now()
    current.version += 1
    current.save(update_fields=["owner", "team", "pool_entered_at", "version", "updated_at"])
    changes: dict[str, list[Any]] = {"owner_id": [before["owner_id"], None]}
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=actor, obj=current, action=Action.OWNERSHIP, changes=changes)
    return current


def _idle_since(days: int, now: Any) -> Q:
    cutoff = now - timedelta(days=days)
    active_recent = Q(last_activity_at__gte=cutoff) | Q(last_activity_at__isnull=True, created_at__gte=cutoff)
    return ~active_recent & ~Q(orders__order_date__gte=cutoff.date())


def reclaim_idle_accounts(*, now: Any = None) -> dict[str, int]:
    """Daily: release accounts idle for their team's N days; remind owners 3 days before."""
    now = now or timezone.now()
    policies = {p.team_id: p.reclaim_days for p in PoolPolicy.objects.all()}
    released = reminded = 0
    owners = Account.objects.filter(owner__isnull=False).values_list("team_id", flat=True).distinct()
    for team_id in set(owners):
        days = policies.get(team_id, DEFAULT_RECLAIM_DAYS)
        base = Account.objects.filter(owner__isnull=False, team_id=team_id)
        for account in base.filter(_idle_since(days, now)).distinct().iterator():
            pool_release(actor=None, account=account, reason=f"idle {days} days")
            released += 1
        # Reminder window: idle for exactly days-3 … days-2 (the job runs daily, so once per account).
        window_start = now - timedelta(days=days - REMIND_DAYS_BEFORE + 1)
        window_end = now - timedelta(days=days - REMIND_DAYS_BEFORE)
        due = base.filter(
            Q(last_activity_at__gte=window_start, last_activity_at__lt=window_end)
            | Q(last_activity_at__isnull=True, created_at__gte=window_start, created_at__lt=window_end)
        ).select_related("owner")
        for account in due.iterator():
            _remind(account, days)
            reminded += 1
    return {"released": released, "reminded": reminded}


def _remind(account: Account, days: int) -> None:
    owner = account.owner
    if owner is None or not owner.email:
        return
    send_mail(
        subject=_("%(name)s returns to the public pool in 3 days") % {"name": account.name},
        message=_("Record an activity or an order for %(name)s within 3 days to keep it; after %(days)d idle days it returns to the public pool.")
        % {"name": account.name, "days": days},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
        fail_silently=True,
    )
    logger.info("pool reminder sent", extra={"account": account.pk, "owner": owner.pk})
