"""Complaints (/api/v1/service/complaints…; issue 6 items 1–3 and 11); the taxonomy, SLA policies
and working calendars are in ``api_complaint_admin`` (mounted here).

Thin: parse, call a service or selector, return. Conventions as in ``customers/orders_api.py``:
schemas forbid unknown fields, problem+json errors, ``version`` for optimistic locking, 404 for
what the caller may not see, 403 for what they may see but not change, cursor pages.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.service import api_complaint_admin, complaints, sla
from guanxi.service.models import (
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintState,
    Severity,
)
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

router = Router(tags=["service: complaints"])
router.add_router("", api_complaint_admin.router)

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
StrictId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Version = Annotated[StrictInt, Field(ge=1, description="The version you read; a stale version is refused with 409.")]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]


def _text(n: int) -> Any:
    return Annotated[str, StringConstraints(max_length=n)]


# --- complaints ------------------------------------------------------------------------------------

class ComplaintBase(Schema):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=10000)] | None = None
    complaint_type_id: StrictId | None = None
    channel: Channel | None = None
    severity: Severity | None = None
    account_id: StrictId | None = None
    contact_id: StrictId | None = None
    order_id: StrictId | None = None
    product: _text(200) | None = None  # type: ignore[valid-type]
    submitter_name: _text(100) | None = None  # type: ignore[valid-type]
    submitter_email: _text(254) | None = None  # type: ignore[valid-type]
    submitter_phone: _text(20) | None = None  # type: ignore[valid-type]


class ComplaintCreate(ComplaintBase):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]  # type: ignore[assignment]
    description: Annotated[str, StringConstraints(min_length=1, max_length=10000)]  # type: ignore[assignment]
    complaint_type_id: StrictId  # type: ignore[assignment]
    channel: Channel  # type: ignore[assignment]


class Records(Schema):
    """The procedure's records (complaint_flow): E, L, A, remedy, responsibility, resolution, confirmation, follow-up."""

    model_config = ConfigDict(extra="forbid")
    empathy_note: _text(5000) | None = None  # type: ignore[valid-type]
    listening_note: _text(5000) | None = None  # type: ignore[valid-type]
    apology_note: _text(5000) | None = None  # type: ignore[valid-type]
    agreed_remedy: _text(5000) | None = None  # type: ignore[valid-type]
    responsible_department_id: StrictId | None = None
    responsible_person_id: StrictId | None = None
    root_cause: _text(5000) | None = None  # type: ignore[valid-type]
    compensation: Money | None = None
    compensation_currency: Currency | None = None
    resolution: _text(5000) | None = None  # type: ignore[valid-type]
    customer_confirmation: _text(2000) | None = None  # type: ignore[valid-type]
    follow_up_at: datetime | None = None


class ComplaintUpdate(ComplaintBase, Records):
    model_config = ConfigDict(extra="forbid")
    version: Version


class TransitionRecords(Records):
    reopen_reason: _text(2000) | None = None  # type: ignore[valid-type]


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    target: ComplaintState
    version: Version
    records: TransitionRecords = Field(default_factory=TransitionRecords)
    override_reason: _text(2000) = ""  # type: ignore[valid-type]


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    public: StrictBool = False


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    owner_id: StrictId
    version: Version | None = None


class ComplaintOut(Schema):
    id: int
    number: str
    title: str
    description: str
    complaint_type_id: int
    channel: str
    severity: str
    state: str
    account_id: int | None
    contact_id: int | None
    order_id: int | None
    product: str
    submitter_name: str
    submitter_email: str
    submitter_phone: str
    owner_id: int | None
    empathy_note: str
    listening_note: str
    apology_note: str
    agreed_remedy: str
    responsible_department_id: int | None
    responsible_person_id: int | None
    root_cause: str
    compensation: Decimal | None
    compensation_currency: str
    resolution: str
    customer_confirmation: str
    override_reason: str
    follow_up_at: datetime | None
    reopen_count: int
    sla_policy_id: int | None
    opened_at: datetime
    respond_by: datetime | None
    resolve_by: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ComplaintDetailOut(ComplaintOut):
    pending_approval_id: int | None = Field(None, description="The approval request the complaint waits for (it is locked meanwhile).")

    @staticmethod
    def resolve_pending_approval_id(obj: Any) -> int | None:
        request = complaints.pending_compensation(obj)
        return request.pk if request else None


class EventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    kind: str
    from_state: str
    to_state: str
    note: str


class TimerOut(Schema):
    due_at: datetime
    remaining_minutes: int
    breached: bool
    done: bool


class SlaOut(Schema):
    response: TimerOut | None
    resolution: TimerOut | None
    breached: bool


class ComplaintListParams(Schema):
    state: list[ComplaintState] = Field(default_factory=list, description="Repeat for several states.")
    complaint_type_id: Id | None = None
    channel: list[Channel] = Field(default_factory=list)
    severity: list[Severity] = Field(default_factory=list)
    owner_id: Id | None = None
    account_id: Id | None = None
    unassigned: bool | None = Field(None, description="Only complaints nobody owns yet (the new-complaints queue).")
    breached: bool | None = Field(None, description="Past a response or resolution deadline not met.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/complaints", response={200: CursorPage[ComplaintOut], **ERROR_RESPONSES})
def list_complaints(request: HttpRequest, params: Query[ComplaintListParams]) -> Any:
    qs = visible_to(request.user, Complaint.objects.all())
    if params.state:
        qs = qs.filter(state__in=params.state)
    if params.channel:
        qs = qs.filter(channel__in=params.channel)
    if params.severity:
        qs = qs.filter(severity__in=params.severity)
    for name in ("complaint_type_id", "owner_id", "account_id"):
        if getattr(params, name) is not None:
            qs = qs.filter(**{name: getattr(params, name)})
    if params.unassigned is not None:
        qs = qs.filter(owner__isnull=params.unassigned)
    if params.breached is not None:
        condition = sla.breached_q(timezone.now())
        qs = qs.filter(condition) if params.breached else qs.exclude(condition)
    page = keyset_page(qs, order=("-opened_at", "-id"), after=params.after, limit=params.limit)
    return CursorPage[ComplaintOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/complaints", response={201: ComplaintDetailOut, **ERROR_RESPONSES})
def create_complaint(request: HttpRequest, payload: ComplaintCreate) -> Any:
    return Status(201, complaints.complaint_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/complaints/{int:complaint_id}", response={200: ComplaintDetailOut, **ERROR_RESPONSES})
def get_complaint(request: HttpRequest, complaint_id: int) -> Any:
    return complaints.get_complaint(request.user, complaint_id)


@router.patch("/complaints/{int:complaint_id}", response={200: ComplaintDetailOut, **ERROR_RESPONSES})
def update_complaint(request: HttpRequest, complaint_id: int, payload: ComplaintUpdate) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return complaints.complaint_update(actor=request.user, complaint=complaint, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/complaints/{int:complaint_id}", response={204: None, **ERROR_RESPONSES})
def delete_complaint(request: HttpRequest, complaint_id: int, version: int | None = Query(None, ge=1)) -> Any:  # type: ignore[type-arg]
    complaint = complaints.get_complaint(request.user, complaint_id)
    complaints.complaint_delete(actor=request.user, complaint=complaint, version=version)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/complaints/{int:complaint_id}/transition", response={200: ComplaintDetailOut, **ERROR_RESPONSES})
def transition_complaint(request: HttpRequest, complaint_id: int, payload: TransitionIn) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    return complaints.complaint_transition(actor=request.user, complaint=complaint, target=payload.target,  # type: ignore[arg-type]
                                           records=payload.records.model_dump(exclude_unset=True), version=payload.version,
                                           override_reason=payload.override_reason)


@router.post("/complaints/{int:complaint_id}/assign", response={200: ComplaintDetailOut, **ERROR_RESPONSES})
def assign_complaint(request: HttpRequest, complaint_id: int, payload: AssignIn) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    new_owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
    if new_owner is None:
        raise ValidationFailed({"owner_id": [_("No such active user.")]})
    return complaints.complaint_assign(actor=request.user, complaint=complaint, new_owner=new_owner, version=payload.version)  # type: ignore[arg-type]


@router.get("/complaints/{int:complaint_id}/events", response={200: list[EventOut], **ERROR_RESPONSES})
def complaint_events(request: HttpRequest, complaint_id: int) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("at", "id")[:1000])


@router.post("/complaints/{int:complaint_id}/notes", response={201: EventOut, **ERROR_RESPONSES})
def add_complaint_note(request: HttpRequest, complaint_id: int, payload: NoteIn) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    return Status(201, complaints.complaint_note_add(actor=request.user, complaint=complaint, text=payload.text,  # type: ignore[arg-type]
                                                     public=payload.public))


@router.get("/complaints/{int:complaint_id}/sla", response={200: SlaOut, **ERROR_RESPONSES})
def complaint_sla(request: HttpRequest, complaint_id: int) -> Any:
    complaint = complaints.get_complaint(request.user, complaint_id)
    state = sla.sla_state(complaint)
    return {"response": state.response, "resolution": state.resolution, "breached": state.breached}
