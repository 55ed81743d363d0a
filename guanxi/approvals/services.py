"""The approvals engine (审批, issue 6 item 8): submit, decide, cancel, who approves, inbox, reminders.

Rules (DOMAIN §4 — complaint compensation is the first user):
* ``flow_for`` picks the first active flow of the action (lowest priority number) whose condition
  holds for the payload; no flow → no approval needed and ``approval_submit`` returns None.
* A request runs through the flow's steps in order. A step names its approvers live (when someone
  looks), from the organisation as it is now:
    role ................ the active holders of the role (any one of them, or all of them);
    manager ............. the requester's manager;
    manager_chain ....... the requester's managers up to ``levels`` links: with the rule "all"
                          level by level, nearest first; with "any", whichever of them decides first.
  The requester never approves their own request. A submission whose flow names nobody for some
  step is refused (409 ``approval.no_approver``) rather than approved by default.
* Only an approver awaited at the current step decides (others: 403 if they may see the request,
  else 404). Approve advances or finishes (→ the action's ``on_approved``), reject ends it
  (→ ``on_rejected``), return sends it back (→ ``on_returned``; the requester changes the object and
  submits again, as a new request). Reject and return need a comment. Callbacks run in the same
  transaction: if one fails, the decision is undone too.
* The object is locked while a request on it is pending (``is_locked``); there is at most one
  pending request per object (a second submission is 409 ``approval.pending``).
* Every submission, decision and cancellation is written to the audit log (``guanxi.audit``) and
  notifies: the approvers when a step starts, the requester on each decision.

The flow administration services live in ``guanxi.approvals.flows`` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.approvals.approvers import (  # noqa: F401  (re-exported)
    approved_here_ids,
    approvers_for,
    awaited,
    current_step,
    inbox,
    level_by_level,
    manager_chain,
    step_approvers,
    steps_of,
)
from guanxi.approvals.flows import (  # noqa: F401  (re-exported: one import for the engine's users)
    MAX_LEVELS,
    flow_create,
    flow_delete,
    flow_update,
    require_admin,
    step_add,
    step_remove,
    step_reorder,
)
from guanxi.approvals.models import (
    ApprovalDecision,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    RequestState,
)
from guanxi.approvals.registry import ApprovalAction, get_action
from guanxi.approvals.rules import clean_payload, condition_matches, reminder_due
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, diff, snapshot
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.users.models import User
from guanxi.users.notifications import notify, register_kind
from guanxi.users.visibility import can_see

logger = logging.getLogger(__name__)

REQUESTED_KIND = "approvals.requested"
DECIDED_KIND = "approvals.decided"
REMINDER_KIND = "approvals.reminder"
register_kind(REQUESTED_KIND, gettext_lazy("Approvals waiting for me"), in_app=True, email=True)
register_kind(DECIDED_KIND, gettext_lazy("Decisions on my approval requests"), in_app=True, email=True)
register_kind(REMINDER_KIND, gettext_lazy("Approval reminders"), in_app=True, email=True)

MAX_COMMENT = 5000


# --- flows ------------------------------------------------------------------------------------------


def _action(code: str) -> ApprovalAction:
    spec = get_action(code)
    if spec is None:
        raise ValidationFailed({"action": [_("Unknown approval action.")]})
    return spec


def flow_for(action: str, payload: Mapping[str, Any]) -> ApprovalFlow | None:
    """The first active flow of ``action`` (by priority) whose condition holds for ``payload``."""
    spec = _action(action)
    has_steps = Exists(ApprovalStep.objects.filter(flow=OuterRef("pk")))
    for flow in ApprovalFlow.objects.filter(action=action, active=True).filter(has_steps).order_by("priority", "id"):
        if condition_matches(flow.condition or {}, payload, spec.fields):
            return flow
    return None


def needs_approval(action: str, payload: Mapping[str, Any]) -> bool:
    return flow_for(action, clean_payload(payload, _action(action).fields)) is not None


# --- the object under approval --------------------------------------------------------------------


def _object_key(obj: models.Model) -> tuple[ContentType, int]:
    if obj.pk is None:
        raise ValueError("approve a saved object")
    return ContentType.objects.get_for_model(type(obj)), int(obj.pk)


def pending_request_for(obj: models.Model) -> ApprovalRequest | None:
    content_type, object_id = _object_key(obj)
    return ApprovalRequest.objects.filter(content_type=content_type, object_id=object_id, state=RequestState.PENDING).first()


def is_locked(obj: models.Model) -> bool:
    """True while a request on ``obj`` is pending: its app must refuse changes to it meanwhile."""
    content_type, object_id = _object_key(obj)
    return ApprovalRequest.objects.filter(content_type=content_type, object_id=object_id, state=RequestState.PENDING).exists()


def target_of(request: ApprovalRequest) -> Any:
    """The object the request is about (soft-deleted ones included), or None if it is gone."""
    if "_gx_target" not in request.__dict__:
        model = ContentType.objects.get_for_id(request.content_type_id).model_class()
        request.__dict__["_gx_target"] = model._base_manager.filter(pk=request.object_id).first() if model else None
    return request.__dict__["_gx_target"]



def can_view_request(user: Any, request: ApprovalRequest) -> bool:
    """The requester, administrators, whoever decided on it or may decide it now, and those the
    action's ``can_view`` lets in. Nobody else learns that it exists."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin or request.requester_id == user.pk:
        return True
    if ApprovalDecision.objects.filter(request_id=request.pk, approver_id=user.pk).exists():
        return True
    if any(u.pk == user.pk for u in approvers_for(request)):
        return True
    spec = get_action(request.action)
    target = target_of(request) if spec and spec.can_view else None
    return bool(spec and spec.can_view and target is not None and spec.can_view(user, target))


def get_request(user: Any, pk: Any) -> ApprovalRequest:
    """One request the user may see, else NotFound."""
    try:
        request = ApprovalRequest.objects.select_related("requester", "flow").get(pk=pk)
    except (ApprovalRequest.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if not can_view_request(user, request):
        raise NotFound()
    return request


# --- lists ----------------------------------------------------------------------------------------


def my_requests(user: User) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(requester=user.pk).select_related("requester", "flow")


# --- notifications --------------------------------------------------------------------------------


def request_url(request: ApprovalRequest) -> str | None:
    try:
        return reverse("approvals:request_detail", args=[request.pk])
    except NoReverseMatch:
        return None


def _notify_awaited(request: ApprovalRequest, users: list[User]) -> None:
    count = len(approved_here_ids(request))
    for user in users:
        notify(user, kind=REQUESTED_KIND, title=gettext_lazy("Approval requested: %(summary)s"),
               body=gettext_lazy("%(requester)s asks for your approval."),
               params={"summary": request.summary, "requester": str(request.requester)}, url=request_url(request),
               key=f"approval:{request.pk}:step:{request.step_position}:{count}")


_DECIDED_TITLES = {
    RequestState.APPROVED: gettext_lazy("Approved: %(summary)s"),
    RequestState.REJECTED: gettext_lazy("Rejected: %(summary)s"),
    RequestState.RETURNED: gettext_lazy("Returned for changes: %(summary)s"),
    RequestState.CANCELLED: gettext_lazy("Cancelled: %(summary)s"),
    RequestState.PENDING: gettext_lazy("Step approved, now waiting for the next approver: %(summary)s"),
}


def _notify_requester(request: ApprovalRequest, actor: User, comment: str) -> None:
    if request.requester_id == actor.pk:
        return
    notify(request.requester, kind=DECIDED_KIND, title=_DECIDED_TITLES[RequestState(request.state)],
           body=gettext_lazy("%(approver)s: %(comment)s") if comment else "",
           params={"summary": request.summary, "approver": str(actor), "comment": comment}, url=request_url(request))


# --- submit, decide, cancel -----------------------------------------------------------------------


def _no_approver(flow: ApprovalFlow, step: ApprovalStep) -> Conflict:
    return Conflict(code="approval.no_approver", detail=_(
        "Nobody can approve step %(step)d of the flow “%(flow)s” for you (no holder of the role, or no manager). "
        "Ask an administrator to change the flow."
    ) % {"step": step.position, "flow": flow.name})


# --- listeners: apps above the engine (webhooks in dataio) hear what happens to requests -------------

_listeners: list[Callable[[str, ApprovalRequest], None]] = []


def listen(callback: Callable[[str, ApprovalRequest], None]) -> None:
    """Call ``callback(event, request)`` after each submission ("approval.requested"), decision
    ("approval.decided") and cancellation ("approval.cancelled"). The engine imports nothing above
    it; dataio's plug-in module registers the webhook sender here."""
    if callback not in _listeners:
        _listeners.append(callback)


def _announce(event: str, request: ApprovalRequest) -> None:
    for callback in list(_listeners):
        callback(event, request)


def _pending_conflict() -> Conflict:
    return Conflict(code="approval.pending", detail=_("An approval request for this record is already pending."))


@transaction.atomic
def approval_submit(*, actor: User, action: str, obj: models.Model, payload: Mapping[str, Any],
                    summary: str = "") -> ApprovalRequest | None:
    """Start the approval ``action`` needs for ``obj`` with these values, or return None if no flow
    applies (go ahead). The caller has checked that ``actor`` may change ``obj``."""
    spec = _action(action)
    if not can_see(actor, obj):
        raise NotFound()
    cleaned = clean_payload(payload, spec.fields)
    flow = flow_for(action, cleaned)
    if flow is None:
        return None
    content_type, object_id = _object_key(obj)
    if ApprovalRequest.objects.filter(content_type=content_type, object_id=object_id, state=RequestState.PENDING).exists():
        raise _pending_conflict()
    steps = list(flow.steps.order_by("position"))
    for step in steps:
        if level_by_level(step):
            chain = manager_chain(actor, step.levels)
            runnable = bool(chain) and all(u.is_active for u in chain)
        else:
            runnable = bool(step_approvers(step, actor))
        if not runnable:
            raise _no_approver(flow, step)
    now = timezone.now()
    text = (summary or "").strip() or f"{spec.label}: {spec.description(obj)}"
    request = ApprovalRequest(flow=flow, action=action, content_type=content_type, object_id=object_id, requester=actor,
                              state=RequestState.PENDING, step_position=steps[0].position, payload=cleaned,
                              summary=text[:300], step_started_at=now)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # another submission won the race (one pending per object)
        raise _pending_conflict() from exc
    request.__dict__["_gx_steps"] = steps
    request.__dict__["_gx_target"] = obj
    audit_record(actor=actor, obj=request, action=Action.CREATE)
    _notify_awaited(request, approvers_for(request))
    _announce("approval.requested", request)
    return request


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    try:
        return ApprovalRequest.objects.select_for_update().select_related("requester").get(pk=request.pk)
    except ApprovalRequest.DoesNotExist as exc:
        raise NotFound() from exc


def _callback(request: ApprovalRequest, name: str) -> None:
    spec = get_action(request.action)
    fn = getattr(spec, name, None) if spec else None
    if fn is not None:
        fn(request)


def _audit(actor: User, request: ApprovalRequest, before: dict[str, Any], **extra: Any) -> None:
    changes = diff(before, snapshot(request))
    changes.update({key: [None, value] for key, value in extra.items()})
    audit_record(actor=actor, obj=request, action=Action.UPDATE, changes=changes)


@transaction.atomic
def approval_decide(*, actor: User, request: ApprovalRequest, decision: str, comment: str = "") -> ApprovalRequest:
    """Approve, reject or return the request at its current step (see the module docstring)."""
    req = _locked(request)
    if not can_view_request(actor, req):
        raise NotFound()
    if req.state != RequestState.PENDING:
        raise Conflict(code="approval.not_pending", detail=_("This request has already been decided or cancelled."))
    step = current_step(req)
    if step is None or actor.pk not in {u.pk for u in approvers_for(req)}:
        raise PermissionDenied(code="approval.not_your_turn", detail=_("Only the approvers of the current step can decide."))
    if decision not in Decision.values:
        raise ValidationFailed({"decision": [_("Choose approve, reject or return.")]})
    comment = str(comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed({"comment": [_("At most %(max)d characters.") % {"max": MAX_COMMENT}]})
    if decision != Decision.APPROVE and not comment:
        raise ValidationFailed({"comment": [_("Say why: a comment is required to reject or to return a request.")]})
    before = snapshot(req)
    now = timezone.now()
    ApprovalDecision.objects.create(request=req, step_position=req.step_position, approver=actor, decision=decision,
                                    comment=comment, at=now)
    callback = None
    if decision == Decision.APPROVE:
        _still, done = awaited(req, step)
        if done:
            nxt = next((s for s in steps_of(req) if s.position > step.position), None)
            if nxt is None:
                req.state, req.decided_at, callback = RequestState.APPROVED, now, "on_approved"
            else:
                req.step_position, req.step_started_at, req.reminded_at = nxt.position, now, None
        elif level_by_level(step):
            req.step_started_at, req.reminded_at = now, None  # the next manager up gets a fresh reminder clock
    else:
        req.state, req.decided_at = (RequestState.REJECTED if decision == Decision.REJECT else RequestState.RETURNED), now
        callback = "on_rejected" if decision == Decision.REJECT else "on_returned"
    req.save()
    _audit(actor, req, before, decision=decision, comment=comment)
    if callback:
        _callback(req, callback)
    elif decision == Decision.APPROVE:
        _notify_awaited(req, approvers_for(req))
    _notify_requester(req, actor, comment)
    _announce("approval.decided", req)
    return req


@transaction.atomic
def approval_cancel(*, actor: User, request: ApprovalRequest) -> ApprovalRequest:
    """The requester withdraws a pending request (or an administrator ends it); the object unlocks."""
    req = _locked(request)
    if not can_view_request(actor, req):
        raise NotFound()
    if not (actor.is_admin or req.requester_id == actor.pk):
        raise PermissionDenied(code="approval.cancel_forbidden", detail=_("Only the requester or an administrator can cancel a request."))
    if req.state != RequestState.PENDING:
        raise Conflict(code="approval.not_pending", detail=_("This request has already been decided or cancelled."))
    before = snapshot(req)
    req.state, req.decided_at = RequestState.CANCELLED, timezone.now()
    req.save()
    _audit(actor, req, before)
    _notify_requester(req, actor, "")
    _announce("approval.cancelled", req)
    return req


# --- reminders ------------------------------------------------------------------------------------


def _remind_one(request_id: int, reminded: datetime | None, window: int, now: datetime) -> int:
    with transaction.atomic():
        claim = ApprovalRequest.objects.filter(pk=request_id, state=RequestState.PENDING)
        claim = claim.filter(reminded_at__isnull=True) if reminded is None else claim.filter(reminded_at=reminded)
        if not claim.update(reminded_at=now):
            return 0  # another run took this window
        request = ApprovalRequest.objects.select_related("requester").get(pk=request_id)
        sent = 0
        for user in approvers_for(request):
            started = request.step_started_at.isoformat() if request.step_started_at else ""
            sent += notify(user, kind=REMINDER_KIND, title=gettext_lazy("Reminder: approval waiting for you: %(summary)s"),
                           body=gettext_lazy("%(requester)s is waiting for your decision."),
                           params={"summary": request.summary, "requester": str(request.requester)},
                           url=request_url(request),
                           key=f"approval-reminder:{request.pk}:{request.step_position}:{started}:{window}") is not None
        return sent


def send_reminders(now: datetime | None = None) -> int:
    """Remind the awaited approvers of every pending request whose step has waited longer than its
    ``remind_after_hours``: once in each such window (a claim on ``reminded_at`` plus a dedupe key
    make two overlapping runs send it once). Returns the number of notifications sent."""
    now = now or timezone.now()
    hours = Subquery(ApprovalStep.objects.filter(flow=OuterRef("flow_id"), position=OuterRef("step_position"))
                     .values("remind_after_hours")[:1])
    rows = (ApprovalRequest.objects.filter(state=RequestState.PENDING, step_started_at__lte=now - timedelta(hours=1))
            .annotate(gx_hours=hours).filter(gx_hours__gt=0)
            .values_list("pk", "step_started_at", "reminded_at", "gx_hours").order_by("pk"))
    sent = 0
    for pk, started, reminded, every in rows:
        window = reminder_due(started, reminded, now, every) if started else None
        if window is not None:
            sent += _remind_one(pk, reminded, window, now)
    return sent
