"""Complaint SLAs (DOMAIN §4 principle 及时处理 "handle in time"; issue 6 item 3).

* A complaint's policy is picked by severity and the account's value tier; a policy for the exact
  tier beats the one for any tier (empty ``value_tier``). 主力 (``ValueTier.KEY``) customers get
  shorter targets by default (data migration 0002).
* ``respond_by`` / ``resolve_by`` are computed once, at creation (and again if severity or account
  change), in business time on the policy's calendar (else the default calendar).
* :func:`sla_state` gives the timers shown on a complaint (remaining business minutes, breached).
* :func:`escalate_breaches` (the periodic job ``service.sla_escalation``) handles each breach once:
  a conditional update claims it (``*_breach_notified_at``) in the same transaction that notifies
  the owner's manager (else the team's manager, else the administrators when nobody owns it) and the
  owner, and — with ``policy.reassign_on_breach`` — hands the complaint to that manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.customers.models import AccountClassification
from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.service import business_hours as bh
from guanxi.service import complaint_flow as flow
from guanxi.service.calendars import CalendarCache
from guanxi.service.complaint_notify import BREACH_KIND, tell
from guanxi.service.models import Complaint, ComplaintEvent, SlaPolicy
from guanxi.users.models import User

ESCALATION_JOB = "service.sla_escalation"
BATCH = 200
RESPONSE, RESOLUTION = "response", "resolution"


def account_tier(account_id: int | None) -> str:
    if account_id is None:
        return ""
    return AccountClassification.objects.filter(account_id=account_id).values_list("value_tier", flat=True).first() or ""


def pick_policy(severity: str, tier: str) -> SlaPolicy | None:
    """The policy for this severity and value tier; the exact tier beats "any tier"."""
    rows = list(SlaPolicy.objects.filter(severity=severity, value_tier__in={tier, ""}))
    return next((p for p in rows if p.value_tier == tier and tier), None) or next((p for p in rows if not p.value_tier), None)


def deadlines(policy: SlaPolicy | None, opened_at: datetime, *, cache: CalendarCache | None = None) -> tuple[datetime | None, datetime | None]:
    """(respond_by, resolve_by) in business time from ``opened_at``."""
    if policy is None:
        return None, None
    cal = (cache or CalendarCache()).get(policy.calendar_id)
    start = timezone.localtime(opened_at)
    return (bh.add_business_minutes(cal, start, policy.response_minutes),
            bh.add_business_minutes(cal, start, policy.resolution_minutes))


@dataclass(frozen=True)
class SlaState:
    """Both timers of a complaint; a timer is None when no policy applies."""

    response: bh.SlaStatus | None
    resolution: bh.SlaStatus | None

    @property
    def breached(self) -> bool:
        return bool((self.response and self.response.breached) or (self.resolution and self.resolution.breached))


def sla_state(complaint: Complaint, now: datetime | None = None, *, cache: CalendarCache | None = None) -> SlaState:
    """Where the complaint's timers stand: remaining business minutes (negative once breached)."""
    policy = complaint.sla_policy if complaint.sla_policy_id else None
    if policy is None:
        return SlaState(None, None)
    now = now or timezone.now()
    cal = (cache or CalendarCache()).get(policy.calendar_id)
    opened = timezone.localtime(complaint.opened_at)
    return SlaState(
        response=bh.sla_status(cal, opened, policy.response_minutes, now, complaint.responded_at),
        resolution=bh.sla_status(cal, opened, policy.resolution_minutes, now, complaint.resolved_at),
    )


def breached_q(now: datetime) -> Q:
    """Complaints past a deadline they have not met (for lists: ``?breached=true``)."""
    return (Q(responded_at__isnull=True, respond_by__lt=now)
            | Q(resolved_at__isnull=True, resolve_by__lt=now, state__in=sorted(flow.OPEN_STATES)))


# --- escalation ------------------------------------------------------------------------------------

def _escalate_to(complaint: Complaint) -> list[User]:
    owner = complaint.owner if complaint.owner_id else None
    if owner is not None and owner.manager_id and owner.manager and owner.manager.is_active:
        return [owner.manager]
    if complaint.team_id and complaint.team and complaint.team.manager_id and complaint.team.manager_id != complaint.owner_id:
        return [complaint.team.manager]  # type: ignore[list-item]
    if owner is None:
        return list(User.objects.filter(is_active=True, role__is_admin=True).order_by("pk"))
    return []


_TITLES = {
    RESPONSE: _("SLA breached: complaint %(number)s was not answered in time"),
    RESOLUTION: _("SLA breached: complaint %(number)s was not resolved in time"),
}


def _escalate_one(pk: int, which: str, now: datetime) -> int | None:
    """Notifications sent, or None when another run had claimed this breach."""
    stamp = f"{which}_breach_notified_at"
    with transaction.atomic():
        claim = Complaint.objects.filter(pk=pk, **{f"{stamp}__isnull": True})
        if not claim.update(**{stamp: now}):
            return None  # another run escalated it already
        complaint = Complaint.objects.select_related("owner__manager", "team__manager", "sla_policy", "responsible_person").get(pk=pk)
        managers = _escalate_to(complaint)
        sent = tell(managers + ([complaint.owner] if complaint.owner_id and complaint.owner not in managers else []),  # type: ignore[list-item]
                    complaint, kind=BREACH_KIND, title=_TITLES[which],
                    body=_("%(title)s — escalated to the manager."), key=f"sla:{pk}:{which}")
        ComplaintEvent.objects.create(complaint=complaint, at=now, kind="escalated", note=which,
                                      from_state=complaint.state, to_state=complaint.state)
        policy = complaint.sla_policy
        target = managers[0] if managers and len(managers) == 1 else None
        if policy is not None and policy.reassign_on_breach and target is not None and target.pk != complaint.owner_id:
            before = snapshot(complaint)
            complaint.owner = target
            complaint.department_id = target.department_id
            complaint.team = target.teams.order_by("pk").first()
            complaint.version += 1
            complaint.save(update_fields=["owner", "department", "team", "version", "updated_at"])
            audit_record(actor=None, obj=complaint, action=Action.OWNERSHIP, before=before, source="task")
            ComplaintEvent.objects.create(complaint=complaint, at=now, kind="reassigned", note=str(target),
                                          from_state=complaint.state, to_state=complaint.state)
        return sent


def escalate_breaches(now: datetime | None = None) -> dict[str, int]:
    """Escalate every breach not escalated yet (see the module docstring); returns counts."""
    now = now or timezone.now()
    counts = {"response": 0, "resolution": 0, "notified": 0}
    live = Complaint.objects.filter(deleted_at__isnull=True)
    queries = {
        RESPONSE: live.filter(responded_at__isnull=True, respond_by__lt=now, response_breach_notified_at__isnull=True,
                              state=flow.NEW),
        RESOLUTION: live.filter(resolved_at__isnull=True, resolve_by__lt=now, resolution_breach_notified_at__isnull=True,
                                state__in=sorted(flow.OPEN_STATES)),
    }
    for which, qs in queries.items():
        last = 0
        while True:
            ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            for pk in ids:
                sent = _escalate_one(pk, which, now)
                if sent is not None:
                    counts[which] += 1
                    counts["notified"] += sent
            last = ids[-1]
    return counts


@job_handler(ESCALATION_JOB, every=timedelta(minutes=5))
def sla_escalation_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return escalate_breaches()
