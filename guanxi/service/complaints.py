"""Complaint services (客户投诉, DOMAIN §4; issue 6 items 1–3): every write to a complaint goes
through here — web UI, API and the public form alike.

* Creating: the account, contact and order must be visible to the actor and belong together; the
  tracking number (``TS-2026-000123``) counts per year; the SLA policy and the deadlines come from
  ``guanxi.service.sla``.
* The handling procedure is ``guanxi.service.complaint_flow`` (E, L → A + remedy + 分清责任 →
  resolution → the customer's confirmation → closed with a follow-up): :func:`complaint_transition`
  saves the records given with the move, checks them, and refuses with one message per field.
  Closing without the customer's confirmation is a manager's override with a reason (the actor
  manages the owner, or is an administrator). Reopening is counted.
* Compensation (as money) above the condition of an approval flow for
  ``service.complaint.compensation`` (default: above ¥5,000, approved by the requester's manager)
  is not applied at once: the approval request carries the amount (and the move asked for, if any),
  and the complaint is locked — no edits, no moves — until the approver decides. Approved: the
  compensation is set and the move made. Rejected or returned: the compensation is cleared and
  the approver's comment is kept as a ``ComplaintEvent`` (留档分析). Withdrawn: nothing changed.
* Every write is audited through ``guanxi.audit.lifecycle`` with optimistic versions; each move
  writes a ``ComplaintEvent``; the owner and the responsible person are notified; webhooks
  ``complaint.created`` and ``complaint.closed`` fire on commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest
from guanxi.audit import lifecycle
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.dataio.webhooks import webhook_emit
from guanxi.service import complaint_flow as flow
from guanxi.service import sla
from guanxi.service.complaint_clean import (
    BASE_FIELDS,
    EDITABLE_FIELDS,
    FLOW_NAMES,
    RECORD_FIELDS,
    TEXT_LIMITS,
    clean_complaint_data,
)
from guanxi.service.complaint_notify import ASSIGNED_KIND, UPDATED_KIND, people, tell
from guanxi.service.models import Complaint, ComplaintEvent, ComplaintState
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, subordinate_ids

logger = logging.getLogger(__name__)

COMPENSATION_ACTION = "service.complaint.compensation"
NUMBER_PREFIX = "TS"
NUMBER_DIGITS = 6

# --- reading ---------------------------------------------------------------------------------------

def get_complaint(actor: Any, pk: Any) -> Complaint:
    return lifecycle.get_visible(actor, Complaint, pk)


def is_locked(complaint: Complaint) -> bool:
    return approvals.is_locked(complaint)


def pending_compensation(complaint: Complaint) -> ApprovalRequest | None:
    return approvals.pending_request_for(complaint)


# --- creating --------------------------------------------------------------------------------------

def next_number(now: datetime | None = None) -> str:
    """``TS-<year>-<6 digits>``: one more than the year's highest number."""
    year = timezone.localtime(now or timezone.now()).year
    prefix = f"{NUMBER_PREFIX}-{year}-"
    last = (Complaint._base_manager.filter(number__startswith=prefix).order_by(Length("number").desc(), "-number")
            .values_list("number", flat=True).first())
    seq = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{seq:0{NUMBER_DIGITS}d}"


def payload(complaint: Complaint) -> dict[str, Any]:
    return {"id": complaint.pk, "number": complaint.number, "state": complaint.state, "severity": complaint.severity,
            "channel": complaint.channel, "complaint_type": complaint.complaint_type.code, "account_id": complaint.account_id,
            "opened_at": complaint.opened_at, "closed_at": complaint.closed_at, "reopen_count": complaint.reopen_count}


def save_new(complaint: Complaint, *, save: Any) -> Complaint:
    """Give ``complaint`` the next tracking number and save it with ``save()``; two complaints filed
    at once race for a number, and the loser takes the next one."""
    for _attempt in range(5):
        complaint.number = next_number(complaint.opened_at)
        try:
            with transaction.atomic():
                save()
            return complaint
        except (IntegrityError, ValidationError) as exc:
            if isinstance(exc, ValidationError) and "number" not in getattr(exc, "message_dict", {}):
                raise
            complaint.pk = None
    raise Conflict(code="complaint.number_busy", detail=_("Please try again: many complaints are being filed right now."))


def apply_sla(complaint: Complaint) -> None:
    policy = sla.pick_policy(complaint.severity, sla.account_tier(complaint.account_id))
    complaint.sla_policy = policy
    complaint.respond_by, complaint.resolve_by = sla.deadlines(policy, complaint.opened_at)


def complaint_created(complaint: Complaint, *, actor: Any, note: str = "") -> None:
    """What follows every new complaint: its first event, the owner told, the webhook."""
    ComplaintEvent.objects.create(complaint=complaint, at=complaint.opened_at, actor=actor if getattr(actor, "pk", None) else None,
                                  kind="created", to_state=complaint.state, note=note)
    if complaint.owner_id and complaint.owner_id != getattr(actor, "pk", None):
        tell([complaint.owner], complaint, kind=ASSIGNED_KIND,  # type: ignore[list-item]
             title=gettext_lazy("New complaint for you: %(number)s %(title)s"), key=f"complaint:{complaint.pk}:assigned")
    webhook_emit("complaint.created", payload(complaint))


@transaction.atomic
def complaint_create(*, actor: User, data: dict[str, Any]) -> Complaint:
    """File a complaint (staff). Required: title, description, complaint_type_id, channel."""
    cleaned = clean_complaint_data(actor, data, allowed=BASE_FIELDS)
    missing = [name for name in ("title", "description", "complaint_type_id", "channel") if not cleaned.get(name)]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    complaint = Complaint(opened_at=timezone.now(), **cleaned)
    apply_sla(complaint)
    try:
        save_new(complaint, save=lambda: lifecycle.record_create(actor=actor, obj=complaint))
    except ValidationError as exc:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc
    complaint_created(complaint, actor=actor)
    return complaint


# --- changing --------------------------------------------------------------------------------------

def _locked_copy(actor: User, complaint: Complaint, version: int | None) -> Complaint:
    if not editable_by(actor, complaint):
        raise PermissionDenied() if can_see(actor, complaint) else NotFound()
    current = Complaint._base_manager.select_for_update().select_related("complaint_type").get(pk=complaint.pk)
    if current.deleted_at is not None:
        raise NotFound()
    if version is not None and current.version != version:
        raise VersionConflict(current_version=current.version)
    if approvals.is_locked(current):
        raise Conflict(code="complaint.locked", detail=_(
            "This complaint waits for the approval of its compensation; it cannot change until the approver decides."))
    return current


def is_manager(actor: User, complaint: Complaint) -> bool:
    """An administrator, or someone above the owner in the manager chain (not the owner)."""
    if actor.is_admin:
        return True
    return bool(complaint.owner_id and complaint.owner_id != actor.pk and complaint.owner_id in subordinate_ids(actor))


def _compensation_change(current: Complaint, changes: dict[str, Any]) -> bool:
    if "compensation" not in changes and "compensation_currency" not in changes:
        return False
    amount = changes.get("compensation", current.compensation)
    currency = changes.get("compensation_currency", current.compensation_currency)
    changed = amount != current.compensation or currency != current.compensation_currency
    if changed and current.state not in flow.OPEN_STATES:
        raise ValidationFailed({"compensation": [_("The compensation can only change before the complaint is resolved.")]})
    return changed and amount is not None


def _submit_compensation(actor: User, current: Complaint, changes: dict[str, Any], target: str) -> ApprovalRequest | None:
    amount = changes.get("compensation", current.compensation)
    currency = changes.get("compensation_currency", current.compensation_currency)
    payload = {"compensation": str(amount), "currency": currency, "target": target, "from_state": current.state}
    summary = _("Compensation %(amount)s %(currency)s for complaint %(number)s") % {
        "amount": amount, "currency": currency, "number": current.number}
    return approvals.approval_submit(actor=actor, action=COMPENSATION_ACTION, obj=current, payload=payload, summary=summary)


def state_changes(current: Complaint, target: str, now: datetime, *, override_reason: str = "") -> dict[str, Any]:
    """The fields a move sets besides the state (the SLA clock, the reopen count)."""
    changes: dict[str, Any] = {"state": target}
    if current.responded_at is None and target != flow.NEW:
        changes["responded_at"] = now
    if target == flow.RESOLVED:
        changes["resolved_at"] = now
    if target == flow.CLOSED:
        changes["closed_at"] = now
        if flow.is_override(current.state, target):
            changes["override_reason"] = override_reason.strip()
    if flow.is_reopen(current.state, target):
        changes.update(reopen_count=current.reopen_count + 1, resolved_at=None, closed_at=None, customer_confirmation="",
                       override_reason="")
    return changes


_PROBLEM_TEXT = {
    flow.UNKNOWN_STATE: gettext_lazy("Unknown state."),
    flow.SAME_STATE: gettext_lazy("The complaint is already in this state."),
    flow.MANAGER_REQUIRED: gettext_lazy("Only the owner's manager or an administrator may close a complaint without the customer's confirmation."),
}


def _problems_to_errors(problems: list[flow.Problem], current: str, target: str) -> dict[str, list[str]]:
    labels = dict(ComplaintState.choices)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = {v: k for k, v in FLOW_NAMES.items()}.get(problem.field, problem.field)
        if problem.code == flow.NOT_ALLOWED:
            text = _("A complaint cannot move from “%(from)s” to “%(to)s”.") % {"from": labels.get(current, current),
                                                                               "to": labels.get(target, target)}
        elif problem.code == flow.REQUIRED and problem.field == "override_reason":
            text = _("Give the reason for closing without the customer's confirmation.")
        elif problem.code == flow.REQUIRED and problem.field == "reopen_reason":
            text = _("Say why the complaint is reopened.")
        elif problem.code == flow.REQUIRED:
            text = _("Fill this in before moving the complaint to “%(state)s”.") % {"state": labels.get(target, target)}
        else:
            text = str(_PROBLEM_TEXT.get(problem.code, problem.code))
        errors.setdefault(field, []).append(text)
    return errors


def event(complaint: Complaint, actor: Any, kind: str, *, note: str = "", from_state: str = "", to_state: str = "",
           at: datetime | None = None) -> ComplaintEvent:
    return ComplaintEvent.objects.create(complaint=complaint, at=at or timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
                                         kind=kind, from_state=from_state, to_state=to_state, note=note[:5000])


def _after_close(complaint: Complaint) -> None:
    """回访: schedule the follow-up visit and invite to the surveys sent after a complaint closes."""
    from guanxi.service import followups, surveys

    schedule = getattr(followups, "schedule_for_complaint", None)
    if schedule is not None:
        schedule(complaint)
    invite = getattr(surveys, "on_complaint_closed", None)
    if invite is not None:
        invite(complaint)
    webhook_emit("complaint.closed", payload(complaint))


def _tell_move(complaint: Complaint, actor: Any, from_state: str) -> None:
    webhook_emit("complaint.state_changed", {**payload(complaint), "from_state": from_state})
    tell(people(complaint, exclude=actor), complaint, kind=UPDATED_KIND,
         title=gettext_lazy("Complaint %(number)s is now “%(state)s”"),
         params={"state": ComplaintState(complaint.state).label})


def customer_answered(complaint: Complaint, from_state: str) -> None:
    """The customer confirmed or reopened the complaint on the status page: tell its people."""
    _tell_move(complaint, None, from_state)


def _tell_responsible(complaint: Complaint, actor: Any, before_id: int | None) -> None:
    person = complaint.responsible_person if complaint.responsible_person_id else None
    if person is not None and complaint.responsible_person_id != before_id and person.pk != getattr(actor, "pk", None):
        tell([person], complaint, kind=ASSIGNED_KIND, title=gettext_lazy("You are responsible for complaint %(number)s %(title)s"))


def _save(actor: User, current: Complaint, version: int | None, changes: dict[str, Any]) -> Complaint:
    try:
        return lifecycle.record_update(actor=actor, obj=current, version=version, changes=changes)
    except ValidationError as exc:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc


def _request_compensation(actor: User, current: Complaint, version: int | None, changes: dict[str, Any],
                          target: str) -> Complaint | None:
    """Submit the compensation for approval if a flow asks for it: then only the other records are
    saved (the move waits too) and the complaint is returned locked; None = no approval needed."""
    if not _compensation_change(current, changes):
        return None
    request = _submit_compensation(actor, current, changes, target)
    if request is None:
        return None
    rest = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS and k not in ("compensation", "compensation_currency")}
    saved = _save(actor, current, version, rest)
    event(saved, actor, "comp_requested", from_state=saved.state, to_state=target or saved.state,
           note=f"{request.payload.get('compensation')} {request.payload.get('currency')}")
    tell(people(saved, exclude=actor), saved, kind=UPDATED_KIND,
         title=gettext_lazy("Compensation for complaint %(number)s waits for approval"))
    return saved


@transaction.atomic
def complaint_update(*, actor: User, complaint: Complaint, version: int | None, data: dict[str, Any]) -> Complaint:
    """Edit fields and records. A change of severity or account recomputes the SLA deadlines."""
    current = _locked_copy(actor, complaint, version)
    changes = clean_complaint_data(actor, data, current=current)
    held = _request_compensation(actor, current, version, changes, "")
    if held is not None:
        return held
    if ("severity" in changes and changes["severity"] != current.severity) or \
            ("account_id" in changes and changes["account_id"] != current.account_id):
        probe = Complaint(severity=changes.get("severity", current.severity), account_id=changes.get("account_id", current.account_id),
                          opened_at=current.opened_at)
        apply_sla(probe)
        changes.update(sla_policy=probe.sla_policy, respond_by=probe.respond_by, resolve_by=probe.resolve_by)
    before_person = current.responsible_person_id
    saved = _save(actor, current, version, changes)
    _tell_responsible(saved, actor, before_person)
    return saved


@transaction.atomic
def complaint_transition(*, actor: User, complaint: Complaint, target: str, records: dict[str, Any], version: int | None,
                         override_reason: str = "") -> Complaint:
    """Move the complaint to ``target`` saving ``records`` (procedure fields, plus ``reopen_reason``
    for a reopen). Refused with one translated message per missing record (422)."""
    current = _locked_copy(actor, complaint, version)
    records = dict(records or {})
    reopen_reason = str(records.pop("reopen_reason", "") or "").strip()
    override_reason = str(override_reason or "").strip()
    if len(reopen_reason) > TEXT_LIMITS["reopen_reason"] or len(override_reason) > TEXT_LIMITS["override_reason"]:
        key = "reopen_reason" if len(reopen_reason) > TEXT_LIMITS["reopen_reason"] else "override_reason"
        raise ValidationFailed({key: [_("At most %(max)d characters.") % {"max": TEXT_LIMITS[key]}]})
    changes = clean_complaint_data(actor, records, current=current, allowed=RECORD_FIELDS)
    merged = {FLOW_NAMES.get(name, name): changes.get(name, getattr(current, name)) for name in RECORD_FIELDS}
    merged["reopen_reason"] = reopen_reason
    problems = flow.check_transition(current.state, str(target), merged, is_manager=is_manager(actor, current),
                                     override_reason=override_reason)
    if problems:
        raise ValidationFailed(_problems_to_errors(problems, current.state, str(target)))
    held = _request_compensation(actor, current, version, changes, target)
    if held is not None:
        return held
    from_state = current.state
    changes.update(state_changes(current, target, timezone.now(), override_reason=override_reason))
    before_person = current.responsible_person_id
    saved = _save(actor, current, version, changes)
    event(saved, actor, "state", from_state=from_state, to_state=target,
           note=reopen_reason if flow.is_reopen(from_state, target) else override_reason if flow.is_override(from_state, target) else "")
    _tell_move(saved, actor, from_state)
    _tell_responsible(saved, actor, before_person)
    if target == flow.CLOSED:
        _after_close(saved)
    return saved


@transaction.atomic
def complaint_note_add(*, actor: User, complaint: Complaint, text: str, public: bool = False) -> ComplaintEvent:
    """A note in the complaint's history. ``public`` notes are messages to the customer, shown on
    the private status page; other notes never leave the staff side."""
    if not editable_by(actor, complaint):
        raise PermissionDenied() if can_see(actor, complaint) else NotFound()
    text = str(text or "").strip()
    if not text or len(text) > 5000:
        raise ValidationFailed({"text": [_("Write 1 to 5000 characters.")]})
    return event(complaint, actor, "public_message" if public else "note", note=text,
                  from_state=complaint.state, to_state=complaint.state)


@transaction.atomic
def complaint_assign(*, actor: User, complaint: Complaint, new_owner: User, version: int | None = None) -> Complaint:
    """Hand the complaint to someone else (e.g. from the new-complaints queue); audited transfer."""
    if approvals.is_locked(complaint):
        raise Conflict(code="complaint.locked", detail=_(
            "This complaint waits for the approval of its compensation; it cannot change until the approver decides."))
    saved = lifecycle.record_transfer(actor=actor, obj=complaint, new_owner=new_owner, version=version)
    event(saved, actor, "reassigned", note=str(new_owner), from_state=saved.state, to_state=saved.state)
    if new_owner.pk != actor.pk:
        tell([new_owner], saved, kind=ASSIGNED_KIND, title=gettext_lazy("New complaint for you: %(number)s %(title)s"))
    return saved


@transaction.atomic
def complaint_delete(*, actor: User, complaint: Complaint, version: int | None = None) -> Complaint:
    """Soft delete; refused while compensation waits for approval (the approver decides on a live record)."""
    _locked_copy(actor, complaint, version)
    return lifecycle.record_delete(actor=actor, obj=complaint, version=version)
