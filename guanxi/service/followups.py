"""Follow-up visits (回访, DOMAIN §4 "Follow-up visit after service"; issue 6 item 7).

* Rules (administrators) schedule visits automatically: N days after an order is delivered or a
  complaint closes, one week after a key-account service event. When several active rules match, the
  one for the account's value tier wins over a general one, then the earliest.
* A visit is assigned to the account's owner (the relationship owner; the complaint's owner when
  the account has none), with outcome and satisfaction recorded when done (audited).
* Scheduling is idempotent: one visit per triggering order, complaint or event, however often the
  trigger fires (checked here, and by the unique constraint where a rule is set).
* The owner is notified once when a visit comes due (job ``service.follow_ups_due``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.audit import lifecycle
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, audited_update
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Account, AccountClassification
from guanxi.service.models import FollowUpOutcome, FollowUpRule, FollowUpTrigger, FollowUpVisit
from guanxi.users.models import Notification, User
from guanxi.users.visibility import can_see, editable_by, visible_to

RULE_FIELDS = ("trigger", "days_after", "value_tier", "active")
KEY_ACCOUNT_DEFAULT_DAYS = 7
MAX_DAYS_AFTER = 365
DUE_KIND = "service.follow_up_due"
DUE_LOOKBACK = timedelta(days=14)
BATCH = 500


# --- rules (administrators) ------------------------------------------------------------------------

def require_admin(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators manage follow-up rules."))


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    from guanxi.customers.models import ValueTier

    unknown = sorted(set(data) - set(RULE_FIELDS))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "trigger" in cleaned and cleaned["trigger"] not in FollowUpTrigger.values:
        errors["trigger"] = [_("Choose when the visit is due.")]
    if "days_after" in cleaned:
        days = cleaned["days_after"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS_AFTER:
            errors["days_after"] = [_("Enter a number of days from 0 to %(n)d.") % {"n": MAX_DAYS_AFTER}]
    if "value_tier" in cleaned:
        cleaned["value_tier"] = cleaned["value_tier"] or ""
        if cleaned["value_tier"] not in ("", *ValueTier.values):
            errors["value_tier"] = [_("Unknown value tier.")]
    if "active" in cleaned and not isinstance(cleaned["active"], bool):
        errors["active"] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def rule_create(*, actor: User, data: dict[str, Any]) -> FollowUpRule:
    require_admin(actor)
    cleaned = _clean_rule(data)
    if "trigger" not in cleaned:
        raise ValidationFailed({"trigger": [_("This field is required.")]})
    rule = FollowUpRule(**cleaned)
    rule.full_clean()
    rule.save()
    audit_record(actor=actor, obj=rule, action=Action.CREATE)
    return rule


@transaction.atomic
def rule_update(*, actor: User, rule: FollowUpRule, data: dict[str, Any]) -> FollowUpRule:
    require_admin(actor)
    current = FollowUpRule.objects.select_for_update().get(pk=rule.pk)
    return audited_update(actor=actor, obj=current, changes=_clean_rule(data), validate=True)


@transaction.atomic
def rule_delete(*, actor: User, rule: FollowUpRule) -> None:
    """Delete a rule; visits it scheduled stay (their ``rule`` becomes empty)."""
    require_admin(actor)
    audit_record(actor=actor, obj=rule, action=Action.DELETE, changes={})
    rule.delete()


# --- scheduling ----------------------------------------------------------------------------------

def _tier(account: Account) -> str:
    return AccountClassification.objects.filter(account_id=account.pk).values_list("value_tier", flat=True).first() or ""


def pick_rule(trigger: str, tier: str) -> FollowUpRule | None:
    """The active rule for ``trigger``: one for the account's tier beats a general one, then the earliest."""
    rules = [r for r in FollowUpRule.objects.filter(trigger=trigger, active=True) if r.value_tier in ("", tier)]
    if not rules:
        return None
    return min(rules, key=lambda r: (r.value_tier == "", r.days_after, r.pk))


def _existing(trigger: str, source_id: int) -> FollowUpVisit | None:
    return FollowUpVisit.all_objects.filter(trigger=trigger, source_id=source_id).order_by("pk").first()


def _schedule(*, account: Account, trigger: str, source_id: int, due_at: datetime, rule: FollowUpRule | None,
              contact_id: int | None = None, fallback_owner: User | None = None) -> FollowUpVisit | None:
    existing = _existing(trigger, source_id)
    if existing is not None:
        return existing
    owner = account.owner if account.owner_id else fallback_owner
    if owner is None:
        return None
    visit = FollowUpVisit(account=account, contact_id=contact_id, rule=rule, trigger=trigger, source_id=source_id,
                          due_at=due_at, owner=owner, department_id=owner.department_id,
                          team=owner.teams.order_by("pk").first())
    try:
        with transaction.atomic():
            visit.save()
            audit_record(actor=None, obj=visit, action=Action.CREATE)
    except IntegrityError:  # a concurrent call scheduled it first
        return _existing(trigger, source_id)
    from guanxi.dataio.webhooks import webhook_emit

    webhook_emit("follow_up.scheduled", {"follow_up_id": visit.pk, "account_id": account.pk, "trigger": trigger,
                                         "source_id": source_id, "due_at": due_at.isoformat()})
    return visit


def schedule_for_complaint(complaint: Any) -> FollowUpVisit | None:
    """After a complaint closes: due at ``complaint.follow_up_at`` if the handler set one, else the
    rule's days after closing. None when the complaint has no account or nothing asks for a visit.
    Idempotent: one visit per complaint."""
    if not complaint.account_id:
        return None
    account = complaint.account
    rule = pick_rule(FollowUpTrigger.COMPLAINT_CLOSED, _tier(account))
    closed = complaint.closed_at or timezone.now()
    if complaint.follow_up_at is not None:
        due_at = complaint.follow_up_at
    elif rule is not None:
        due_at = closed + timedelta(days=rule.days_after)
    else:
        return None
    return _schedule(account=account, trigger=FollowUpTrigger.COMPLAINT_CLOSED, source_id=complaint.pk, due_at=due_at,
                     rule=rule, contact_id=complaint.contact_id,
                     fallback_owner=complaint.owner if complaint.owner_id else None)


def schedule_for_order_delivered(order: Any, *, delivered_at: datetime | None = None) -> FollowUpVisit | None:
    """N days (the rule's) after delivery; None without an active rule. Idempotent per order."""
    account = order.account
    rule = pick_rule(FollowUpTrigger.ORDER_DELIVERED, _tier(account))
    if rule is None:
        return None
    when = delivered_at or getattr(order, "updated_at", None) or timezone.now()
    return _schedule(account=account, trigger=FollowUpTrigger.ORDER_DELIVERED, source_id=order.pk,
                     due_at=when + timedelta(days=rule.days_after), rule=rule)


def schedule_for_key_account_event(account: Account, source_id: int, when: datetime) -> FollowUpVisit | None:
    """One week after a key-account service event by default (an active rule may say otherwise).
    Idempotent per event (``source_id``)."""
    rule = pick_rule(FollowUpTrigger.KEY_ACCOUNT_EVENT, _tier(account))
    days = rule.days_after if rule is not None else KEY_ACCOUNT_DEFAULT_DAYS
    return _schedule(account=account, trigger=FollowUpTrigger.KEY_ACCOUNT_EVENT, source_id=source_id,
                     due_at=when + timedelta(days=days), rule=rule)


# --- doing the visit -----------------------------------------------------------------------------

def followup_complete(*, actor: User, visit: FollowUpVisit, outcome: str, satisfaction: int | None, notes: str,
                      version: int | None) -> FollowUpVisit:
    """Record the visit's outcome and the customer's satisfaction (1–5); audited, once."""
    if not editable_by(actor, visit):
        raise PermissionDenied() if can_see(actor, visit) else NotFound()
    errors: dict[str, list[str]] = {}
    if outcome not in FollowUpOutcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    if satisfaction is not None and (isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5):
        errors["satisfaction"] = [_("Choose a whole number from %(low)d to %(high)d.") % {"low": 1, "high": 5}]
    notes = notes or ""
    if not isinstance(notes, str) or len(notes) > 5000:
        errors["notes"] = [_("At most %(n)d characters.") % {"n": 5000}]
    if errors:
        raise ValidationFailed(errors)
    if visit.done_at is not None:
        raise Conflict(_("This follow-up visit is already done."), code="follow_up.already_done")
    done = lifecycle.record_update(actor=actor, obj=visit, version=version, changes={
        "done_at": timezone.now(), "outcome": outcome, "satisfaction": satisfaction, "notes": notes.strip(),
    })
    from guanxi.dataio.webhooks import webhook_emit

    webhook_emit("follow_up.completed", {"follow_up_id": done.pk, "account_id": done.account_id, "outcome": done.outcome,
                                         "satisfaction": done.satisfaction})
    return done


# --- lists -----------------------------------------------------------------------------------------

def follow_ups_for(actor: Any) -> QuerySet[FollowUpVisit]:
    return visible_to(actor, FollowUpVisit.objects.all())


def overdue(actor: Any, *, now: datetime | None = None) -> QuerySet[FollowUpVisit]:
    """Visible visits not done whose due time has passed, the most overdue first."""
    return (follow_ups_for(actor).filter(done_at__isnull=True, due_at__lt=now or timezone.now())
            .select_related("account", "owner").order_by("due_at", "pk"))


def due_soon(actor: Any, *, within: timedelta = timedelta(days=7), now: datetime | None = None) -> QuerySet[FollowUpVisit]:
    """Visible visits not done that come due within ``within`` from now, soonest first."""
    now = now or timezone.now()
    return (follow_ups_for(actor).filter(done_at__isnull=True, due_at__gte=now, due_at__lt=now + within)
            .select_related("account", "owner").order_by("due_at", "pk"))


# --- notifications ---------------------------------------------------------------------------------

def _account_url(account_id: int) -> str | None:
    try:
        return reverse("customers:account_detail", kwargs={"pk": account_id})
    except NoReverseMatch:
        return None


def notify_due_visits(*, now: datetime | None = None) -> int:
    """Tell each owner once that a visit is due (the notification key makes it exactly once per
    visit, even when two runs race). Visits due more than two weeks ago are not announced late."""
    from guanxi.users.notifications import notify

    now = now or timezone.now()
    sent = 0
    last_id = 0
    while True:
        visits = list(FollowUpVisit.objects.filter(done_at__isnull=True, due_at__lte=now, due_at__gte=now - DUE_LOOKBACK,
                                                   owner__is_active=True, pk__gt=last_id)
                      .select_related("owner", "account").order_by("pk")[:BATCH])
        if not visits:
            return sent
        keys = {f"{DUE_KIND}:{v.pk}" for v in visits}
        done = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        for visit in visits:
            key = f"{DUE_KIND}:{visit.pk}"
            if key in done or visit.owner is None:
                continue
            if notify(visit.owner, kind=DUE_KIND, title=gettext_lazy("Follow-up visit due: %(account)s"),
                      body=gettext_lazy("Call or visit %(account)s and record the outcome."),
                      params={"account": visit.account.name}, url=_account_url(visit.account_id), key=key):
                sent += 1
        last_id = visits[-1].pk
