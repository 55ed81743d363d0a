"""Targets (目标管理 / 目标分层, DOMAIN §2; issue 5 item 7).

Who sets what: administrators set every target (company, team, rep); a sales manager sets the
targets of the teams they manage and of the reps below them (not their own); reps read their own.
Who reads what: company targets are read by everyone; a team target by its members and manager;
a rep's target by the rep, their managers up the chain and administrators.

Layering (目标分层), checked with ``targets_math.check_layering`` for the same period, period start
and measure: the reps' targets of a team may not add up to MORE than the team's target, nor the
teams' targets to more than the company's — such a write is refused (422 with the difference).
Under-allocation (children add up to less) is allowed while targets are being handed out and is
reported as a warning by ``target_overview``.

Attainment (达成率) — "actual" means:
* measure ``amount``: amounts of opportunities WON with ``closed_at`` in the period (owner / team of
  the opportunity), plus archive ORDERS dated in the period (not cancelled) that no won
  opportunity created (``Opportunity.won_order``), attributed to the account's owner / team — so an
  order made from a won deal is not counted twice;
* measure ``count``: the number of opportunities won in the period.
Amounts are summed as stored; the demo works in one currency (CNY).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.models import Order, OrderStatus
from guanxi.sales import targets_math as tm
from guanxi.sales.models import Opportunity, StageKind, Target, TargetMeasure, TargetPeriod, TargetScope
from guanxi.sales.targets_math import LayeringCheck, attainment, check_layering, period_end
from guanxi.users.models import Team, User
from guanxi.users.visibility import subordinate_ids

MAX_VALUE = Decimal("1e15")


# --- who may read and write ------------------------------------------------------------------------

def _managed_team_ids(actor: User) -> set[int]:
    return set(Team.objects.filter(manager_id=actor.pk).values_list("pk", flat=True))


def visible_targets(actor: Any) -> QuerySet[Target]:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Target.objects.none()
    if actor.is_admin:
        return Target.objects.all()
    teams = set(actor.teams.values_list("pk", flat=True)) | _managed_team_ids(actor)
    return Target.objects.filter(
        Q(scope=TargetScope.COMPANY) | Q(scope=TargetScope.TEAM, team_id__in=sorted(teams))
        | Q(scope=TargetScope.USER, user_id__in=sorted(subordinate_ids(actor)))
    )


def can_set(actor: User, *, scope: str, team: Team | None, user: User | None) -> bool:
    if actor.is_admin:
        return True
    if scope == TargetScope.TEAM and team is not None:
        return team.manager_id == actor.pk
    if scope == TargetScope.USER and user is not None and user.pk != actor.pk:
        return user.pk in subordinate_ids(actor) or user.teams.filter(manager_id=actor.pk).exists()
    return False


def get_target(actor: User, pk: Any) -> Target:
    try:
        return visible_targets(actor).get(pk=pk)
    except (Target.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


# --- layering ----------------------------------------------------------------------------------------

def _same_slot(target: Target) -> dict[str, Any]:
    return {"period": target.period, "period_start": target.period_start, "measure": target.measure}


def _children(parent: Target) -> QuerySet[Target]:
    if parent.scope == TargetScope.COMPANY:
        return Target.objects.filter(scope=TargetScope.TEAM, **_same_slot(parent))
    if parent.scope == TargetScope.TEAM:
        return Target.objects.filter(scope=TargetScope.USER, user__teams=parent.team_id, **_same_slot(parent)).distinct()
    return Target.objects.none()


def _parents(target: Target) -> QuerySet[Target]:
    if target.scope == TargetScope.TEAM:
        return Target.objects.filter(scope=TargetScope.COMPANY, **_same_slot(target))
    if target.scope == TargetScope.USER and target.user_id is not None:
        teams = list(User.teams.through.objects.filter(user_id=target.user_id).values_list("team_id", flat=True))
        return Target.objects.filter(scope=TargetScope.TEAM, team_id__in=teams, **_same_slot(target))
    return Target.objects.none()


def layering(parent: Target, *, replacing: Target | None = None) -> LayeringCheck:
    """The parent's children against it (``replacing``: a child's new value not yet saved)."""
    skip = replacing.pk if replacing is not None else None
    values = {str(c.pk): c.value for c in _children(parent) if skip is None or c.pk != skip}
    if replacing is not None:
        values["new"] = replacing.value
    return check_layering(parent.value, values)


def _check_over_allocation(target: Target) -> None:
    for parent in _parents(target):
        check = layering(parent, replacing=target)
        if check.difference > check.tolerance:
            raise ValidationFailed({"value": [
                _("The targets under %(parent)s would add up to %(total)s, %(over)s more than its target of %(value)s.")
                % {"parent": _subject_name(parent), "total": check.children_total, "over": check.difference, "value": parent.value}
            ]}, code="target.over_allocated")
    if target.scope in (TargetScope.COMPANY, TargetScope.TEAM):
        total = sum((c.value for c in _children(target)), Decimal(0))
        check = check_layering(target.value, {"children": total})
        if check.difference > check.tolerance:
            raise ValidationFailed({"value": [
                _("The targets already set under it add up to %(total)s, more than %(value)s.")
                % {"total": total, "value": target.value}
            ]}, code="target.over_allocated")


def _subject_name(target: Target) -> str:
    if target.scope == TargetScope.TEAM and target.team is not None:
        return str(target.team)
    if target.scope == TargetScope.USER and target.user is not None:
        return str(target.user)
    return str(_("the company"))


# --- services ------------------------------------------------------------------------------------

def _clean_value(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"value": [_("Enter an amount such as 1234.50.")]}) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_VALUE or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed({"value": [_("Enter a positive amount with at most two decimal places.")]})
    return amount


@transaction.atomic
def target_set(
    *,
    actor: User,
    scope: str,
    period: str,
    period_start: date,
    value: Any,
    measure: str = TargetMeasure.AMOUNT,
    team: Team | None = None,
    user: User | None = None,
    version: int | None = None,
) -> Target:
    """Create or change the target of a subject for a period (``period_start`` is normalised to the
    first day of its month / quarter / year). Refuses over-allocation (目标分层)."""
    errors: dict[str, list[str]] = {}
    if scope not in TargetScope.values:
        errors["scope"] = [_("Choose company, team or user.")]
    if period not in TargetPeriod.values:
        errors["period"] = [_("Choose month, quarter or year.")]
    if measure not in TargetMeasure.values:
        errors["measure"] = [_("Choose amount or count.")]
    if scope == TargetScope.TEAM and team is None:
        errors["team_id"] = [_("This field is required.")]
    if scope == TargetScope.USER and user is None:
        errors["user_id"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors)
    amount = _clean_value(value)
    team = team if scope == TargetScope.TEAM else None
    user = user if scope == TargetScope.USER else None
    if not can_set(actor, scope=scope, team=team, user=user):
        raise PermissionDenied(_("You may not set this target."))
    start = tm.period_start(period_start, period)  # type: ignore[arg-type]
    current = Target.objects.select_for_update().filter(
        scope=scope, team=team, user=user, period=period, period_start=start, measure=measure).first()
    if current is not None and version is not None and current.version != version:
        raise VersionConflict(current_version=current.version)
    target = current or Target(scope=scope, team=team, user=user, period=period, period_start=start, measure=measure,
                               created_by=actor)
    before = snapshot(target) if current else None
    target.value = amount
    _check_over_allocation(target)
    if current is not None:
        target.version += 1
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise VersionConflict(current_version=1) from None  # created meanwhile by someone else
    audit_record(actor=actor, obj=target, action=Action.UPDATE if current else Action.CREATE, before=before)
    return target


@transaction.atomic
def target_delete(*, actor: User, target: Target, version: int | None = None) -> None:
    if not can_set(actor, scope=target.scope, team=target.team, user=target.user):
        raise PermissionDenied(_("You may not change this target."))
    if version is not None and target.version != version:
        raise VersionConflict(current_version=target.version)
    audit_record(actor=actor, obj=target, action=Action.DELETE, changes={})
    target.delete()


# --- attainment and overview ---------------------------------------------------------------------

def _moment(day: date) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def actuals(*, start: date, end: date, measure: str, group: str) -> dict[Any, Decimal]:
    """Actual sales in ``[start, end]`` grouped by ``"owner"``, ``"team"`` or ``"company"`` (key None),
    in two aggregate queries (see the module docstring for what counts)."""
    since, until = _moment(start), _moment(end + timedelta(days=1))
    won = Opportunity.objects.filter(stage__kind=StageKind.WON, closed_at__gte=since, closed_at__lt=until)
    key = {"owner": "owner_id", "team": "team_id", "company": None}[group]
    totals: dict[Any, Decimal] = {}

    def add(rows: Any) -> None:
        for row in rows:
            k = row.get("k")
            totals[k] = totals.get(k, Decimal(0)) + Decimal(row["total"] or 0)

    value = Count("id") if measure == TargetMeasure.COUNT else Sum("amount")
    if key:
        add(won.values(k=F(key)).annotate(total=value).values("k", "total"))
    else:
        add([{"k": None, "total": won.aggregate(total=value)["total"]}])
    if measure == TargetMeasure.AMOUNT:
        orders = Order.objects.filter(order_date__gte=start, order_date__lte=end).exclude(status=OrderStatus.CANCELLED).exclude(
            pk__in=Opportunity.all_objects.filter(won_order__isnull=False).values("won_order_id"))
        if key:
            add(orders.values(k=F(f"account__{key}")).annotate(total=Sum("amount")).values("k", "total"))
        else:
            add([{"k": None, "total": orders.aggregate(total=Sum("amount"))["total"]}])
    return totals


@dataclass(frozen=True)
class TargetRow:
    target: Target
    subject: str
    actual: Decimal
    attainment: Decimal | None
    layering: LayeringCheck | None  # for company and team targets that have children
    under_allocated: bool


def target_overview(actor: User, *, period: str, period_start: date, measure: str = TargetMeasure.AMOUNT) -> list[TargetRow]:
    """Every target the actor may see for one period, with actual, attainment and the layering
    check: ``under_allocated`` flags a parent whose children add up to less than it (a warning)."""
    start = period_start_of(period, period_start)
    end = period_end(start, period)  # type: ignore[arg-type]
    targets = list(visible_targets(actor).filter(period=period, period_start=start, measure=measure)
                   .select_related("team", "user").order_by("scope", "team__name", "user__username", "id"))
    by_owner = actuals(start=start, end=end, measure=measure, group="owner")
    by_team = actuals(start=start, end=end, measure=measure, group="team")
    company = sum(actuals(start=start, end=end, measure=measure, group="company").values(), Decimal(0))
    rows = []
    for target in targets:
        if target.scope == TargetScope.USER:
            actual = by_owner.get(target.user_id, Decimal(0))
        elif target.scope == TargetScope.TEAM:
            actual = by_team.get(target.team_id, Decimal(0))
        else:
            actual = company
        check = None
        if target.scope != TargetScope.USER and _children(target).exists():
            check = layering(target)
        rows.append(TargetRow(target=target, subject=_subject_name(target), actual=actual,
                              attainment=attainment(actual, target.value), layering=check,
                              under_allocated=bool(check and check.difference < -check.tolerance)))
    return rows


def period_start_of(period: str, day: date) -> date:
    if period not in TargetPeriod.values:
        raise ValidationFailed({"period": [_("Choose month, quarter or year.")]})
    return tm.period_start(day, period)  # type: ignore[arg-type]
