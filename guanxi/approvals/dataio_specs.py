"""Loaded by the dataio app (``autodiscover_modules("dataio_specs")`` in its ``ready``): the periodic
approval reminder job and the approval webhooks.

Approvals sit below dataio in INSTALLED_APPS, so the engine (``services``) never imports dataio:
``send_reminders`` is a plain function. Only this plug-in module, which dataio itself loads, knows
the job machinery — the same way every app hands its import/export specs to dataio."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.approvals.models import ApprovalRequest
from guanxi.approvals.services import listen, send_reminders
from guanxi.dataio import webhooks
from guanxi.dataio.jobs import JobContext, job_handler


@job_handler("approvals.send_reminders", every=timedelta(minutes=15))
def reminders_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"sent": send_reminders()}


webhooks.register_event("approval.requested", _("Approval requested"))
webhooks.register_event("approval.decided", _("Approval step decided"))
webhooks.register_event("approval.cancelled", _("Approval request cancelled"))


def _send_webhook(event: str, request: ApprovalRequest) -> None:
    last = request.decisions.order_by("-at", "-id").first() if event == "approval.decided" else None
    webhooks.webhook_emit(event, {
        "request_id": request.pk, "action": request.action, "state": request.state,
        "object_type": f"{request.content_type.app_label}.{request.content_type.model}", "object_id": request.object_id,
        "requester_id": request.requester_id, "step": request.step_position,
        "decision": last.decision if last else None, "decided_by": last.approver_id if last else None,
    })


listen(_send_webhook)
