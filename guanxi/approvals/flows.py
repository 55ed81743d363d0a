"""Approval flows, administered (issue 6 item 8): which action needs approval under which condition,
and its steps. Administrators only; every change is audited on the flow.

A flow always has at least one step (created with its steps; its last step cannot be removed —
delete or deactivate the flow instead). The steps of a flow with pending requests cannot change
underneath them (409 ``approval.flow_busy``); its name, condition, priority and activity can."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.approvals.models import ApprovalFlow, ApprovalStep, ApproverKind, RequestState, StepRule
from guanxi.approvals.registry import get_action
from guanxi.approvals.rules import clean_condition
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.users.models import Role, User

MAX_LEVELS = 5
MAX_STEPS = 10
MAX_REMIND_HOURS = 24 * 30
FLOW_WRITABLE = ("name", "condition", "priority", "active")
STEP_FIELDS = ("approver_kind", "role_code", "levels", "rule", "remind_after_hours")


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(code="approval.admin_only", detail=_("Only administrators manage approval flows."))


def _int(data: dict[str, Any], key: str, default: int, low: int, high: int, errors: dict[str, list[str]]) -> int:
    value = data.get(key, default)
    if value in (None, ""):
        value = default
    try:
        number = int(value)
        if isinstance(value, bool) or isinstance(value, float) or not low <= number <= high:
            raise ValueError
    except (TypeError, ValueError):
        errors[key] = [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
        return default
    return number


def clean_step(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(STEP_FIELDS))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    errors: dict[str, list[str]] = {}
    kind = data.get("approver_kind")
    if kind not in ApproverKind.values:
        errors["approver_kind"] = [_("Choose who approves: a role, the manager or the manager chain.")]
    role_code = str(data.get("role_code") or "").strip()
    if kind == ApproverKind.ROLE and not Role.objects.filter(code=role_code).exists():
        errors["role_code"] = [_("Choose an existing role.")]
    rule = data.get("rule") or StepRule.ANY
    if rule not in StepRule.values:
        errors["rule"] = [_("Choose any or all.")]
    levels = _int(data, "levels", 1, 1, MAX_LEVELS, errors)
    hours = _int(data, "remind_after_hours", 24, 0, MAX_REMIND_HOURS, errors)
    if errors:
        raise ValidationFailed(errors)
    return {"approver_kind": kind, "role_code": role_code if kind == ApproverKind.ROLE else "",
            "levels": levels if kind == ApproverKind.MANAGER_CHAIN else 1, "rule": rule, "remind_after_hours": hours}


def _clean_flow(data: dict[str, Any], action: str) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FLOW_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    spec = get_action(action)
    if spec is None:
        raise ValidationFailed({"action": [_("Unknown approval action.")]})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = [_("Enter a name of at most 200 characters.")]
        cleaned["name"] = name
    if "priority" in data:
        cleaned["priority"] = _int(data, "priority", 0, 0, 32767, errors)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Enter true or false.")]
        cleaned["active"] = bool(data["active"])
    if "condition" in data:
        try:
            cleaned["condition"] = clean_condition(data["condition"], spec.fields)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _steps_state(flow: ApprovalFlow) -> list[dict[str, Any]]:
    return [{k: getattr(s, k) for k in ("position", *STEP_FIELDS)} for s in flow.steps.order_by("position")]


def _audit_steps(actor: User, flow: ApprovalFlow, before: list[dict[str, Any]]) -> None:
    audit_record(actor=actor, obj=flow, action=Action.UPDATE, changes={"steps": [before, _steps_state(flow)]})


def _refuse_if_busy(flow: ApprovalFlow) -> None:
    if flow.requests.filter(state=RequestState.PENDING).exists():
        raise Conflict(code="approval.flow_busy", detail=_("Requests are pending on this flow: its steps cannot change until they are decided."))


@transaction.atomic
def flow_create(*, actor: User, action: str, name: str, condition: Any = None, priority: int = 0, active: bool = True,
                steps: list[dict[str, Any]]) -> ApprovalFlow:
    require_admin(actor)
    cleaned = _clean_flow({"name": name, "condition": condition, "priority": priority, "active": active}, action)
    if not steps or len(steps) > MAX_STEPS:
        raise ValidationFailed({"steps": [_("A flow has 1 to %(max)d steps.") % {"max": MAX_STEPS}]})
    step_rows = []
    for index, step in enumerate(steps):
        try:
            step_rows.append(clean_step(dict(step)))
        except ValidationFailed as exc:
            raise ValidationFailed({f"steps.{index}.{k}": v for k, v in exc.errors.items()}) from exc
    flow = ApprovalFlow.objects.create(action=action, created_by=actor, **cleaned)
    ApprovalStep.objects.bulk_create([ApprovalStep(flow=flow, position=i, **row) for i, row in enumerate(step_rows, start=1)])
    audit_record(actor=actor, obj=flow, action=Action.CREATE)
    audit_record(actor=actor, obj=flow, action=Action.UPDATE, changes={"steps": [[], _steps_state(flow)]})
    return flow


@transaction.atomic
def flow_update(*, actor: User, flow: ApprovalFlow, data: dict[str, Any]) -> ApprovalFlow:
    require_admin(actor)
    cleaned = _clean_flow(data, flow.action)
    current = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    before = snapshot(current)
    for key, value in cleaned.items():
        setattr(current, key, value)
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return current


@transaction.atomic
def flow_delete(*, actor: User, flow: ApprovalFlow) -> None:
    """Delete a flow never used; one with requests keeps its history: deactivate it instead."""
    require_admin(actor)
    if flow.requests.exists():
        raise Conflict(code="approval.flow_in_use", detail=_("This flow has requests on record; deactivate it instead."))
    audit_record(actor=actor, obj=flow, action=Action.DELETE, changes={})
    flow.delete()


@transaction.atomic
def step_add(*, actor: User, flow: ApprovalFlow, data: dict[str, Any]) -> ApprovalStep:
    require_admin(actor)
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    _refuse_if_busy(flow)
    row = clean_step(data)
    before = _steps_state(flow)
    if len(before) >= MAX_STEPS:
        raise ValidationFailed({"steps": [_("A flow has 1 to %(max)d steps.") % {"max": MAX_STEPS}]})
    step = ApprovalStep.objects.create(flow=flow, position=(before[-1]["position"] + 1) if before else 1, **row)
    _audit_steps(actor, flow, before)
    return step


def _renumber(flow: ApprovalFlow, ordered: list[ApprovalStep]) -> None:
    # Two passes keep (flow, position) unique at every statement.
    for offset, step in enumerate(ordered, start=1):
        ApprovalStep.objects.filter(pk=step.pk).update(position=1000 + offset)
    for offset, step in enumerate(ordered, start=1):
        ApprovalStep.objects.filter(pk=step.pk).update(position=offset)


@transaction.atomic
def step_remove(*, actor: User, flow: ApprovalFlow, step: ApprovalStep) -> None:
    require_admin(actor)
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    _refuse_if_busy(flow)
    steps = list(flow.steps.order_by("position"))
    if step.pk not in {s.pk for s in steps}:
        raise ValidationFailed({"step_id": [_("This step is not part of the flow.")]})
    if len(steps) == 1:
        raise ValidationFailed({"steps": [_("A flow needs at least one step; delete or deactivate the flow instead.")]})
    before = _steps_state(flow)
    ApprovalStep.objects.filter(pk=step.pk).delete()
    _renumber(flow, [s for s in steps if s.pk != step.pk])
    _audit_steps(actor, flow, before)


@transaction.atomic
def step_reorder(*, actor: User, flow: ApprovalFlow, step_ids: list[int]) -> list[ApprovalStep]:
    require_admin(actor)
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    _refuse_if_busy(flow)
    steps = {s.pk: s for s in flow.steps.all()}
    if sorted(step_ids) != sorted(steps):
        raise ValidationFailed({"step_ids": [_("List every step of the flow exactly once.")]})
    before = _steps_state(flow)
    _renumber(flow, [steps[pk] for pk in step_ids])
    _audit_steps(actor, flow, before)
    return list(flow.steps.order_by("position"))
