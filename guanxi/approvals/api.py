"""Approvals API (/api/v1/approvals/): thin — parse, call a service, return.

Flows and the registered actions are administrators' (others 403). A request is visible to its
requester, the approvers who decided it or must decide it now, and administrators (others 404);
only an awaited approver decides, only the requester or an administrator cancels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.approvals import services
from guanxi.approvals.flows import require_admin
from guanxi.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalStep, ApproverKind, Decision, RequestState, StepRule
from guanxi.approvals.registry import get_action, registered_actions
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound
from guanxi.core.pagination import keyset_page

router = Router(tags=["approvals"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Number = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=20, decimal_places=4)]


class ConditionTest(Schema):
    model_config = ConfigDict(extra="forbid")
    field: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    op: Literal["gt", "gte", "lt", "lte", "eq"]
    value: StrictInt | Number | Text200


class ConditionAll(Schema):
    model_config = ConfigDict(extra="forbid")
    all: list[ConditionTest] = Field(..., min_length=1, max_length=10)


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid")
    approver_kind: ApproverKind
    role_code: Annotated[str, StringConstraints(max_length=30)] = ""
    levels: StrictInt = Field(1, ge=1, le=5, description="manager_chain: how many managers up.")
    rule: StepRule = StepRule.ANY
    remind_after_hours: StrictInt = Field(24, ge=0, le=720, description="0: never remind.")


class FlowWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    condition: ConditionTest | ConditionAll | None = Field(None, description="Empty: the flow always applies.")
    priority: StrictInt | None = Field(None, ge=0, le=32767, description="The first matching flow (lowest number) applies.")
    active: StrictBool | None = None


class FlowCreate(FlowWrite):
    action: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]  # type: ignore[assignment]
    steps: list[StepIn] = Field(..., min_length=1, max_length=10)


class StepOrder(Schema):
    model_config = ConfigDict(extra="forbid")
    step_ids: list[Id] = Field(..., min_length=1, max_length=10)


class StepOut(Schema):
    id: int
    position: int
    approver_kind: str
    role_code: str
    levels: int
    rule: str
    remind_after_hours: int


class FlowOut(Schema):
    id: int
    action: str
    name: str
    condition: dict[str, Any]
    priority: int
    active: bool
    steps: list[StepOut]
    created_at: datetime
    updated_at: datetime


class ActionOut(Schema):
    code: str
    label: str
    fields: dict[str, str]


class UserRef(Schema):
    id: int
    name: str


class DecisionOut(Schema):
    step_position: int
    approver: UserRef
    decision: str
    comment: str
    at: datetime


class RequestOut(Schema):
    id: int
    action: str
    flow_id: int
    flow_name: str
    object_type: str
    object_id: int
    requester: UserRef
    state: str
    step_position: int
    payload: dict[str, Any]
    summary: str
    created_at: datetime
    step_started_at: datetime | None
    decided_at: datetime | None


class RequestDetailOut(RequestOut):
    description: str
    awaiting: list[UserRef]
    decisions: list[DecisionOut]


class DecideIn(Schema):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class PageParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class MineParams(PageParams):
    state: list[RequestState] = Field(default_factory=list, description="Repeat for several states.")


# --- output ---------------------------------------------------------------------------------------


def _user(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": str(user)}


def _flow_out(flow: ApprovalFlow) -> dict[str, Any]:
    steps = list(ApprovalStep.objects.filter(flow=flow).order_by("position"))
    return {**{k: getattr(flow, k) for k in ("id", "action", "name", "priority", "active", "created_at", "updated_at")},
            "condition": flow.condition or {}, "steps": steps}


def _request_out(req: ApprovalRequest) -> dict[str, Any]:
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_id(req.content_type_id)
    return {**{k: getattr(req, k) for k in ("id", "action", "flow_id", "object_id", "state", "step_position", "payload",
                                           "summary", "created_at", "step_started_at", "decided_at")},
            "flow_name": req.flow.name, "object_type": f"{ct.app_label}.{ct.model}", "requester": _user(req.requester)}


def _request_detail(req: ApprovalRequest) -> dict[str, Any]:
    spec = get_action(req.action)
    decisions = req.decisions.select_related("approver")
    return {**_request_out(req), "description": spec.description(services.target_of(req)) if spec else "",
            "awaiting": [_user(u) for u in services.approvers_for(req)],
            "decisions": [{"step_position": d.step_position, "approver": _user(d.approver), "decision": d.decision,
                           "comment": d.comment, "at": d.at} for d in decisions]}


def _admin(request: HttpRequest) -> None:
    require_admin(request.user)  # type: ignore[arg-type]


def _flow(request: HttpRequest, flow_id: int) -> ApprovalFlow:
    _admin(request)
    flow = ApprovalFlow.objects.filter(pk=flow_id).first()
    if flow is None:
        raise NotFound()
    return flow


# --- flows (administrators) -----------------------------------------------------------------------


@router.get("/actions", response={200: list[ActionOut], **ERROR_RESPONSES})
def list_actions(request: HttpRequest) -> Any:
    """The actions apps registered, with the fields a flow's condition may test."""
    _admin(request)
    return [{"code": a.code, "label": str(a.label), "fields": a.fields} for a in registered_actions()]


@router.get("/flows", response={200: list[FlowOut], **ERROR_RESPONSES})
def list_flows(request: HttpRequest) -> Any:
    _admin(request)
    flows = list(ApprovalFlow.objects.prefetch_related("steps").order_by("action", "priority", "id"))
    return [{**{k: getattr(f, k) for k in ("id", "action", "name", "priority", "active", "created_at", "updated_at")},
             "condition": f.condition or {}, "steps": sorted(f.steps.all(), key=lambda s: s.position)} for f in flows]


@router.post("/flows", response={201: FlowOut, **ERROR_RESPONSES})
def create_flow(request: HttpRequest, payload: FlowCreate) -> Any:
    data = payload.model_dump(mode="json", exclude_unset=True)
    steps = data.pop("steps")
    flow = services.flow_create(actor=request.user, steps=steps, **data)  # type: ignore[arg-type]
    return Status(201, _flow_out(flow))


@router.get("/flows/{int:flow_id}", response={200: FlowOut, **ERROR_RESPONSES})
def get_flow(request: HttpRequest, flow_id: int) -> Any:
    return _flow_out(_flow(request, flow_id))


@router.patch("/flows/{int:flow_id}", response={200: FlowOut, **ERROR_RESPONSES})
def update_flow(request: HttpRequest, flow_id: int, payload: FlowWrite) -> Any:
    flow = _flow(request, flow_id)
    data = payload.model_dump(mode="json", exclude_unset=True)
    return _flow_out(services.flow_update(actor=request.user, flow=flow, data=data))  # type: ignore[arg-type]


@router.delete("/flows/{int:flow_id}", response={204: None, **ERROR_RESPONSES})
def delete_flow(request: HttpRequest, flow_id: int) -> Any:
    services.flow_delete(actor=request.user, flow=_flow(request, flow_id))  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/flows/{int:flow_id}/steps", response={201: FlowOut, **ERROR_RESPONSES})
def add_step(request: HttpRequest, flow_id: int, payload: StepIn) -> Any:
    flow = _flow(request, flow_id)
    services.step_add(actor=request.user, flow=flow, data=payload.model_dump(mode="json"))  # type: ignore[arg-type]
    return Status(201, _flow_out(flow))


@router.put("/flows/{int:flow_id}/steps", response={200: FlowOut, **ERROR_RESPONSES})
def reorder_steps(request: HttpRequest, flow_id: int, payload: StepOrder) -> Any:
    flow = _flow(request, flow_id)
    services.step_reorder(actor=request.user, flow=flow, step_ids=payload.step_ids)  # type: ignore[arg-type]
    return _flow_out(flow)


@router.delete("/flows/{int:flow_id}/steps/{int:step_id}", response={200: FlowOut, **ERROR_RESPONSES})
def remove_step(request: HttpRequest, flow_id: int, step_id: int) -> Any:
    flow = _flow(request, flow_id)
    step = ApprovalStep.objects.filter(flow=flow, pk=step_id).first()
    if step is None:
        raise NotFound()
    services.step_remove(actor=request.user, flow=flow, step=step)  # type: ignore[arg-type]
    return _flow_out(flow)


# --- requests -------------------------------------------------------------------------------------


@router.get("/inbox", response={200: CursorPage[RequestOut], **ERROR_RESPONSES})
def my_inbox(request: HttpRequest, params: Query[PageParams]) -> Any:
    """Requests waiting for my decision now, newest first."""
    page = keyset_page(services.inbox(request.user), order=("-id",), after=params.after, limit=params.limit)  # type: ignore[arg-type]
    return {"items": [_request_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get("/requests", response={200: CursorPage[RequestOut], **ERROR_RESPONSES})
def my_requests(request: HttpRequest, params: Query[MineParams]) -> Any:
    """Requests I submitted, newest first."""
    qs = services.my_requests(request.user)  # type: ignore[arg-type]
    if params.state:
        qs = qs.filter(state__in=[s.value for s in params.state])
    page = keyset_page(qs, order=("-id",), after=params.after, limit=params.limit)
    return {"items": [_request_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get("/requests/{int:request_id}", response={200: RequestDetailOut, **ERROR_RESPONSES})
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _request_detail(services.get_request(request.user, request_id))


@router.post("/requests/{int:request_id}/decide", response={200: RequestDetailOut, **ERROR_RESPONSES})
def decide(request: HttpRequest, request_id: int, payload: DecideIn) -> Any:
    req = services.get_request(request.user, request_id)
    done = services.approval_decide(actor=request.user, request=req, decision=payload.decision.value,  # type: ignore[arg-type]
                                    comment=payload.comment)
    return _request_detail(done)


@router.post("/requests/{int:request_id}/cancel", response={200: RequestDetailOut, **ERROR_RESPONSES})
def cancel(request: HttpRequest, request_id: int) -> Any:
    req = services.get_request(request.user, request_id)
    return _request_detail(services.approval_cancel(actor=request.user, request=req))  # type: ignore[arg-type]
