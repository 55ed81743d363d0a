"""Keeping the call-quality rollup (``CallQualityMonth``; DOMAIN §2 SPIN, issue 5 item 12).

* ``record_call`` adds a call when its outcome is logged (``spin.call_log``, in the same
  transaction): one UPDATE of the row of its month, rep and team, or an INSERT when there is none.
* ``activity_moved`` recomputes, from the calls themselves, the rows an activity with a logged call
  leaves and enters when it is deleted, restored, or moved to another owner or team
  (``audit.lifecycle.watch_placement``, in the same transaction): one rep-month each.
* ``rebuild`` recomputes every row from the call plans in one transaction and records the zone of
  the months (``CallRollupState``). The nightly job ``sales.call_quality_rollup`` runs it; it also
  brings in what passes by the services (raw SQL, data repairs).
* Until the first rebuild there is no state row, and ``quality`` reads the raw rows.

Concurrency: the rebuild deletes before it sums, so a call logged meanwhile is either summed by the
rebuild (committed before the sum) or added by its own increment afterwards (its UPDATE waits for
the rebuild, finds the old row gone, and its INSERT meets the rebuilt row and turns into an UPDATE).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.sales.activities import day_bounds
from guanxi.sales.metrics import SUCCESS_OUTCOMES
from guanxi.sales.models import Activity, CallPlan
from guanxi.sales.rollup_models import CallQualityMonth, CallRollupState
from guanxi.sales.targets_math import add_months

ROLLUP = "call_quality"
ATTEMPTS = 3


def rollup_zone() -> str | None:
    """The zone of the rollup's months once it has been built; None before the first rebuild."""
    return CallRollupState.objects.filter(name=ROLLUP).values_list("zone", flat=True).first()


def _month(moment: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return moment.astimezone(zone).date().replace(day=1)


def record_call(plan: CallPlan, *, activity: Activity | None = None) -> None:
    """Add the just-logged ``plan`` to its month, rep and team (called by ``spin.call_log``, which
    passes the plan's activity it has already read)."""
    activity = activity or plan.activity
    if plan.logged_at is None or activity.owner_id is None or activity.deleted_at is not None:
        return
    zone = zoneinfo.ZoneInfo(rollup_zone() or settings.TIME_ZONE)
    key = {"month": _month(plan.logged_at, zone), "rep_id": activity.owner_id, "team_id": activity.team_id or 0}
    values = {"calls": 1, "logged": 1 if plan.outcome else 0, "successes": 1 if plan.outcome in SUCCESS_OUTCOMES else 0,
              "s": plan.s_asked, "p": plan.p_asked, "i": plan.i_asked, "n": plan.n_asked,
              "explicit_needs": plan.explicit_needs, "hidden_needs": plan.hidden_needs}
    increments: dict[str, Any] = {name: F(name) + value for name, value in values.items()}
    increments["last_logged_at"] = Greatest(F("last_logged_at"), Value(plan.logged_at, output_field=DateTimeField()))
    rows = CallQualityMonth.objects.filter(**key)
    if rows.update(**increments):
        return
    try:
        with transaction.atomic():
            CallQualityMonth.objects.create(**key, **values, last_logged_at=plan.logged_at)
    except IntegrityError:  # created meanwhile (another call, or a rebuild): add to it
        rows.update(**increments)


def _rows_for(plans: Any, zone: zoneinfo.ZoneInfo) -> list[CallQualityMonth]:
    from guanxi.sales.quality import raw_totals

    return [CallQualityMonth(month=t.month, rep_id=t.rep_id, team_id=t.team_id or 0, calls=t.calls, logged=t.logged,
                             successes=t.successes, s=t.s, p=t.p, i=t.i, n=t.n, explicit_needs=t.explicit_needs,
                             hidden_needs=t.hidden_needs, last_logged_at=t.last_logged_at)
            for t in raw_totals(plans, zone)]


def activity_moved(activity: Activity, before: dict[str, Any]) -> None:
    """The activity was deleted, restored, or changed owner or team: recompute the rows (month,
    rep, team) of its logged calls before and after, from the calls themselves. Same ordering as
    ``rebuild`` (delete, then sum), so a call logged meanwhile is counted once."""
    zone_key = rollup_zone()
    if zone_key is None:  # no rollup yet: readers use the raw rows
        return
    zone = zoneinfo.ZoneInfo(zone_key)
    logged = list(CallPlan.objects.filter(activity=activity, logged_at__isnull=False).values_list("logged_at", flat=True))
    cells = {(_month(at, zone), owner, team or 0)
             for at in logged if at is not None
             for owner, team in ((before["owner_id"], before["team_id"]), (activity.owner_id, activity.team_id))
             if owner is not None}
    for month, rep_id, team_id in sorted(cells):
        start, _ = day_bounds(month, zone)
        end, _ = day_bounds(add_months(month, 1), zone)
        with transaction.atomic():
            CallQualityMonth.objects.filter(month=month, rep_id=rep_id, team_id=team_id).delete()
            plans = CallPlan.objects.filter(logged_at__gte=start, logged_at__lt=end, activity__deleted_at__isnull=True,
                                            activity__owner_id=rep_id)
            plans = plans.filter(activity__team_id=team_id) if team_id else plans.filter(activity__team_id__isnull=True)
            CallQualityMonth.objects.bulk_create(_rows_for(plans, zone))


def _rebuild_once(zone: zoneinfo.ZoneInfo) -> dict[str, int]:
    with transaction.atomic():
        CallQualityMonth.objects.all().delete()
        rows = _rows_for(CallPlan.objects.filter(logged_at__isnull=False, activity__deleted_at__isnull=True), zone)
        CallQualityMonth.objects.bulk_create(rows, batch_size=2000)
        CallRollupState.objects.update_or_create(name=ROLLUP, defaults={"zone": zone.key, "built_at": timezone.now()})
    return {"rows": len(rows), "calls": sum(r.calls for r in rows)}


def rebuild() -> dict[str, int]:
    """Recompute the whole rollup from the logged calls (months in settings.TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    for attempt in range(ATTEMPTS):
        try:
            return _rebuild_once(zone)
        except IntegrityError:  # a call logged between the sum and the insert created its row: start again
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@job_handler("sales.call_quality_rollup", every=timedelta(days=1))
def rebuild_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return rebuild()
