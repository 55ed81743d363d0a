"""Authorisation matrix entries for the approval routes (guanxi/approvals/api.py and urls.py).

A request is carol's (the requester), awaiting bob (her manager, the flow's one step): she, bob and
administrators read it; nobody else learns it exists (404). Only bob decides it (carol and alice see
it: 403); carol or an administrator cancels it (bob: 403). Flows are administrators' alone.
The requests are made for a security-test action on accounts, so this file needs no other app."""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any

from guanxi.approvals.models import ApprovalFlow, ApprovalStep
from guanxi.approvals.registry import register_action
from tests.security.matrix_types import ALLOW, EXPECTED, Policy, Target
from tests.security.world import World

ACTION = "security.account.discount"
register_action(ACTION, "Security test discount", fields={"discount": "percent"}, on_approved=lambda request: None)

_n = itertools.count(1)


class ApprovalPolicy(Enum):
    REQUEST = "carol's approval request awaiting bob: the requester, the approver and administrators read it"
    DECIDE = "deciding carol's request: only bob, its awaited approver; those who may see it get 403"
    CANCEL = "cancelling carol's request: carol or an administrator; bob sees it but may not"


EXPECTED[ApprovalPolicy.REQUEST] = {"carol": ALLOW, "bob": ALLOW, "alice": ALLOW, "dave": 404, "grace": 404}  # type: ignore[index]
EXPECTED[ApprovalPolicy.DECIDE] = {"bob": ALLOW, "carol": 403, "alice": 403, "dave": 404, "grace": 404}  # type: ignore[index]
EXPECTED[ApprovalPolicy.CANCEL] = {"carol": ALLOW, "alice": ALLOW, "bob": 403, "dave": 404, "grace": 404}  # type: ignore[index]


def _flow(w: World) -> ApprovalFlow:
    from guanxi.approvals.services import flow_create

    return flow_create(actor=w.user("alice"), action=ACTION, name=f"矩阵审批{next(_n)}",
                       steps=[{"approver_kind": "manager"}, {"approver_kind": "role", "role_code": "admin"}])


def _request(w: World) -> dict[str, Any]:
    from guanxi.approvals.services import approval_submit

    if not ApprovalFlow.objects.filter(action=ACTION, active=True).exists():
        _flow(w)
    request = approval_submit(actor=w.user("carol"), action=ACTION, obj=w.account(), payload={"discount": "30"})
    assert request is not None
    return {"request_id": request.pk}


def _request_pk(w: World) -> dict[str, Any]:
    return {"pk": _request(w)["request_id"]}


def _flow_and_step(w: World) -> dict[str, Any]:
    flow = _flow(w)
    return {"flow_id": flow.pk, "step_id": flow.steps.order_by("position").last().pk}  # type: ignore[union-attr]


PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"request_id"}): Target(ApprovalPolicy.REQUEST, _request),  # type: ignore[arg-type]
    frozenset({"flow_id"}): Target(Policy.ADMIN, lambda w: {"flow_id": _flow(w).pk}),
    frozenset({"flow_id", "step_id"}): Target(Policy.ADMIN, _flow_and_step),
}

ROUTE_TARGETS: dict[str, Target] = {
    "POST /api/v1/approvals/requests/{request_id}/decide": Target(ApprovalPolicy.DECIDE, _request),  # type: ignore[arg-type]
    "POST /api/v1/approvals/requests/{request_id}/cancel": Target(ApprovalPolicy.CANCEL, _request),  # type: ignore[arg-type]
    "approvals:request_detail": Target(ApprovalPolicy.REQUEST, _request_pk),  # type: ignore[arg-type]
    "approvals:request_decide": Target(ApprovalPolicy.DECIDE, _request_pk),  # type: ignore[arg-type]
    "approvals:request_cancel": Target(ApprovalPolicy.CANCEL, _request_pk),  # type: ignore[arg-type]
    "approvals:flow_toggle": Target(Policy.ADMIN, lambda w: {"pk": _flow(w).pk}),
    "approvals:flow_delete": Target(Policy.ADMIN, lambda w: {"pk": _flow(w).pk}),
}

API_BODIES: dict[str, Any] = {
    "PATCH /api/v1/approvals/flows/{flow_id}": lambda w, kw: {"name": "改过的流程"},
    "POST /api/v1/approvals/flows/{flow_id}/steps": lambda w, kw: {"approver_kind": "manager"},
    "PUT /api/v1/approvals/flows/{flow_id}/steps": lambda w, kw: {
        "step_ids": list(ApprovalStep.objects.filter(flow_id=kw["flow_id"]).order_by("-position").values_list("pk", flat=True))},
    "POST /api/v1/approvals/requests/{request_id}/decide": lambda w, kw: {"decision": "approve"},
}
