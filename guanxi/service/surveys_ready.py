"""Ready-time registrations of surveys and follow-up visits (imported by ``ServiceConfig.ready``):
visibility delegates, 360° timeline providers, notification kinds, webhook events and the periodic
jobs. Importing it twice is harmless (every registry is keyed by name)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Order, OrderStatus
from guanxi.customers.timeline import register_timeline_provider
from guanxi.dataio import webhooks
from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.dataio.models import Job, JobState
from guanxi.service import followups, survey_timeline, surveys
from guanxi.service.models import SurveyAnswer, SurveyResponse
from guanxi.users.notifications import register_kind
from guanxi.users.visibility import register_delegate

ORDER_SCAN_JOB = "service.survey_order_scan"
ORDER_SCAN_OVERLAP = timedelta(hours=1)
ORDER_SCAN_FIRST_RUN = timedelta(days=7)
ORDER_BATCH = 500

# Responses follow their account (DOMAIN §4: stored per contact and account); answers their response.
register_delegate(SurveyResponse, via="account")
register_delegate(SurveyAnswer, via="response")

register_timeline_provider("follow_up", survey_timeline.follow_up_items)
register_timeline_provider("survey_response", survey_timeline.survey_response_items)

register_kind(followups.DUE_KIND, _("Follow-up visit due"), in_app=True, email=True)

webhooks.register_event("survey.answered", _("Survey answered"))
webhooks.register_event("follow_up.scheduled", _("Follow-up visit scheduled"))
webhooks.register_event("follow_up.completed", _("Follow-up visit done"))


def _last_scan_start(exclude: Any = None) -> datetime | None:
    qs = Job.objects.filter(kind=ORDER_SCAN_JOB, state=JobState.SUCCEEDED, started_at__isnull=False)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-started_at").values_list("started_at", flat=True).first()


def scan_delivered_orders(*, since: datetime, now: datetime | None = None) -> dict[str, int]:
    """Orders delivered (changed to, or edited while, "delivered") since ``since``: invite to the
    surveys sent after delivery and schedule the follow-up visit. Both are idempotent, so the
    overlap between runs and an order edited again later do nothing twice."""
    now = now or timezone.now()
    invited = scheduled = orders = 0
    last_id = 0
    while True:
        batch = list(Order.objects.filter(status=OrderStatus.DELIVERED, updated_at__gte=since, updated_at__lte=now, pk__gt=last_id)
                     .select_related("account", "account__owner").order_by("pk")[:ORDER_BATCH])
        if not batch:
            return {"orders": orders, "invited": invited, "scheduled": scheduled}
        for order in batch:
            with transaction.atomic():
                invited += len(surveys.on_order_delivered(order))
                visit = followups.schedule_for_order_delivered(order, delivered_at=order.updated_at)
                scheduled += int(visit is not None)
            orders += 1
        last_id = batch[-1].pk


@job_handler(ORDER_SCAN_JOB, every=timedelta(minutes=15))
def order_scan_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    last = _last_scan_start(exclude=ctx.job.pk)
    since = last - ORDER_SCAN_OVERLAP if last else timezone.now() - ORDER_SCAN_FIRST_RUN
    return scan_delivered_orders(since=since)


@job_handler("service.follow_ups_due", every=timedelta(minutes=15))
def follow_ups_due_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"notified": followups.notify_due_visits()}


@job_handler("service.survey_invitations_expire", every=timedelta(days=1))
def expire_invitations_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"expired": surveys.expire_old_invitations()}
