"""Compensation approval callbacks (审批, issue 6 item 8; registered in ``ServiceConfig.ready``).

Approved: the compensation is set and the move that waited for it is made. Rejected or returned:
the compensation is cleared (a complaint whose remedy depended on it goes back to "acknowledged")
and the approver's comment is kept as a ``ComplaintEvent``. Both run inside the deciding
transaction, so a failure here undoes the decision too."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from guanxi.approvals.models import ApprovalRequest
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.dataio.webhooks import webhook_emit
from guanxi.service import complaint_flow as flow
from guanxi.service.complaint_notify import UPDATED_KIND, people, tell
from guanxi.service.complaints import event, state_changes
from guanxi.service.complaints import payload as complaint_payload
from guanxi.service.models import Complaint
from guanxi.users.visibility import can_see


def _decided(request: ApprovalRequest) -> tuple[Complaint | None, Any, str]:
    complaint = Complaint._base_manager.select_for_update().filter(pk=request.object_id).first()
    decision = request.decisions.order_by("-at", "-id").select_related("approver").first()
    return complaint, (decision.approver if decision else None), (decision.comment if decision else "")


def on_compensation_approved(request: ApprovalRequest) -> None:
    complaint, approver, comment = _decided(request)
    if complaint is None:
        return
    payload = request.payload or {}
    before = snapshot(complaint)
    complaint.compensation = Decimal(str(payload.get("compensation")))
    complaint.compensation_currency = str(payload.get("currency") or complaint.compensation_currency)
    now = timezone.now()
    event(complaint, approver, "comp_approved", note=comment or f"{complaint.compensation} {complaint.compensation_currency}",
           from_state=complaint.state, to_state=complaint.state, at=now)
    target, from_state = str(payload.get("target") or ""), complaint.state
    if target and from_state == payload.get("from_state") and target in flow.allowed_targets(from_state):
        for name, value in state_changes(complaint, target, now).items():
            setattr(complaint, name, value)
        event(complaint, request.requester, "state", from_state=from_state, to_state=target, at=now)
    complaint.version += 1
    complaint.save()
    audit_record(actor=approver, obj=complaint, action=Action.UPDATE, before=before)
    tell(people(complaint, exclude=approver), complaint, kind=UPDATED_KIND,
         title=gettext_lazy("Compensation approved for complaint %(number)s"))
    if complaint.state != from_state:
        webhook_emit("complaint.state_changed", {**complaint_payload(complaint), "from_state": from_state})


def _on_declined(request: ApprovalRequest, kind: str, title: Any) -> None:
    complaint, approver, comment = _decided(request)
    if complaint is None:
        return
    before = snapshot(complaint)
    from_state = complaint.state
    complaint.compensation = None
    if complaint.state == flow.REMEDY_AGREED:  # the remedy is not agreed without its compensation
        complaint.state = flow.ACKNOWLEDGED
    complaint.version += 1
    complaint.save()
    audit_record(actor=approver, obj=complaint, action=Action.UPDATE, before=before)
    event(complaint, approver, kind, note=comment, from_state=from_state, to_state=complaint.state)
    tell(people(complaint, exclude=approver), complaint, kind=UPDATED_KIND, title=title, body="%(comment)s",
         params={"comment": comment})


def on_compensation_rejected(request: ApprovalRequest) -> None:
    _on_declined(request, "comp_rejected", gettext_lazy("Compensation rejected for complaint %(number)s"))


def on_compensation_returned(request: ApprovalRequest) -> None:
    _on_declined(request, "comp_returned", gettext_lazy("Compensation returned for changes on complaint %(number)s"))


def describe(complaint: Complaint) -> str:
    return f"{complaint.number} {complaint.title}"


def can_view_complaint(user: Any, complaint: Complaint) -> bool:
    return can_see(user, complaint)
