"""Complaint types, SLA policies and working calendars (/api/v1/service/…; issue 6 items 1 and 3),
mounted through ``api_complaints.router``. Complaint types are read by everyone; everything else
here is administrators' business (403 for others, as for every admin object)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.core.api import ERROR_RESPONSES
from guanxi.core.errors import NotFound
from guanxi.service import calendars, complaint_admin
from guanxi.service.models import CalendarDayKind, ComplaintCategory, ComplaintType, Severity, SlaPolicy, WorkingCalendar

router = Router(tags=["service: complaint types, SLA policies, calendars"])

StrictId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Tier = Literal["", "key", "general", "scattered"]
Minutes = Annotated[StrictInt, Field(ge=1, le=complaint_admin.MAX_MINUTES)]
DayNote = Annotated[str, StringConstraints(max_length=calendars.MAX_DAY_NOTE)]


# --- complaint types -------------------------------------------------------------------------------

class ComplaintTypeOut(Schema):
    id: int
    code: str
    category: str
    name_zh: str
    name_en: str
    name: str
    built_in: bool
    active: bool
    position: int


class ComplaintTypeWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    code: Code | None = None
    category: ComplaintCategory | None = None
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    active: StrictBool | None = None
    position: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None


class ComplaintTypeCreate(ComplaintTypeWrite):
    code: Code  # type: ignore[assignment]
    category: ComplaintCategory  # type: ignore[assignment]
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]


@router.get("/complaint-types", response={200: list[ComplaintTypeOut], **ERROR_RESPONSES})
def list_complaint_types(request: HttpRequest, active: bool | None = None) -> Any:
    qs = complaint_admin.complaint_types()
    return list(qs.filter(active=active) if active is not None else qs)


@router.post("/complaint-types", response={201: ComplaintTypeOut, **ERROR_RESPONSES})
def create_complaint_type(request: HttpRequest, payload: ComplaintTypeCreate) -> Any:
    return Status(201, complaint_admin.complaint_type_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.patch("/complaint-types/{int:complaint_type_id}", response={200: ComplaintTypeOut, **ERROR_RESPONSES})
def update_complaint_type(request: HttpRequest, complaint_type_id: int, payload: ComplaintTypeWrite) -> Any:
    calendars.require_admin(request.user)
    kind = ComplaintType.objects.filter(pk=complaint_type_id).first()
    if kind is None:
        raise NotFound()
    return complaint_admin.complaint_type_update(actor=request.user, complaint_type=kind,  # type: ignore[arg-type]
                                                 data=payload.model_dump(exclude_unset=True))


# --- SLA policies ----------------------------------------------------------------------------------

class SlaPolicyOut(Schema):
    id: int
    severity: str
    value_tier: str
    response_minutes: int
    resolution_minutes: int
    calendar_id: int | None
    reassign_on_breach: bool


class SlaPolicyWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    severity: Severity | None = None
    value_tier: Tier | None = None
    response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    calendar_id: StrictId | None = None
    reassign_on_breach: StrictBool | None = None


class SlaPolicyCreate(SlaPolicyWrite):
    severity: Severity  # type: ignore[assignment]
    response_minutes: Minutes  # type: ignore[assignment]
    resolution_minutes: Minutes  # type: ignore[assignment]


def _policy(request: HttpRequest, policy_id: int) -> SlaPolicy:
    calendars.require_admin(request.user)
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


@router.get("/sla-policies", response={200: list[SlaPolicyOut], **ERROR_RESPONSES})
def list_sla_policies(request: HttpRequest) -> Any:
    calendars.require_admin(request.user)
    return list(SlaPolicy.objects.order_by("severity", "value_tier", "id"))


@router.post("/sla-policies", response={201: SlaPolicyOut, **ERROR_RESPONSES})
def create_sla_policy(request: HttpRequest, payload: SlaPolicyCreate) -> Any:
    return Status(201, complaint_admin.sla_policy_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/sla-policies/{int:sla_policy_id}", response={200: SlaPolicyOut, **ERROR_RESPONSES})
def get_sla_policy(request: HttpRequest, sla_policy_id: int) -> Any:
    return _policy(request, sla_policy_id)


@router.patch("/sla-policies/{int:sla_policy_id}", response={200: SlaPolicyOut, **ERROR_RESPONSES})
def update_sla_policy(request: HttpRequest, sla_policy_id: int, payload: SlaPolicyWrite) -> Any:
    policy = _policy(request, sla_policy_id)
    return complaint_admin.sla_policy_update(actor=request.user, policy=policy, data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


@router.delete("/sla-policies/{int:sla_policy_id}", response={204: None, **ERROR_RESPONSES})
def delete_sla_policy(request: HttpRequest, sla_policy_id: int) -> Any:
    complaint_admin.sla_policy_delete(actor=request.user, policy=_policy(request, sla_policy_id))  # type: ignore[arg-type]
    return Status(204, None)


# --- working calendars -----------------------------------------------------------------------------

class CalendarDayOut(Schema):
    day: date
    kind: str
    note: str


class CalendarOut(Schema):
    id: int
    name: str
    is_default: bool
    time_zone: str
    day_start: time
    day_end: time
    lunch_start: time | None
    lunch_end: time | None
    weekend: list[int]
    updated_at: datetime


class CalendarDetailOut(CalendarOut):
    days: list[CalendarDayOut]

    @staticmethod
    def resolve_days(obj: Any) -> list[Any]:
        return list(obj.days.all())


class CalendarWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    is_default: StrictBool | None = None
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    day_start: time | None = None
    day_end: time | None = None
    lunch_start: time | None = None
    lunch_end: time | None = None
    weekend: Annotated[list[Annotated[StrictInt, Field(ge=0, le=6)]], Field(max_length=7)] | None = None


class CalendarCreate(CalendarWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]


class CalendarDayIn(Schema):
    model_config = ConfigDict(extra="forbid")
    day: date
    kind: CalendarDayKind
    note: DayNote = ""


def _calendar(request: HttpRequest, calendar_id: int) -> WorkingCalendar:
    calendars.require_admin(request.user)
    calendar = WorkingCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound()
    return calendar


@router.get("/calendars", response={200: list[CalendarOut], **ERROR_RESPONSES})
def list_calendars(request: HttpRequest) -> Any:
    calendars.require_admin(request.user)
    return list(WorkingCalendar.objects.order_by("-is_default", "name", "id"))


@router.post("/calendars", response={201: CalendarDetailOut, **ERROR_RESPONSES})
def create_calendar(request: HttpRequest, payload: CalendarCreate) -> Any:
    return Status(201, calendars.calendar_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/calendars/{int:calendar_id}", response={200: CalendarDetailOut, **ERROR_RESPONSES})
def get_calendar(request: HttpRequest, calendar_id: int) -> Any:
    return _calendar(request, calendar_id)


@router.patch("/calendars/{int:calendar_id}", response={200: CalendarDetailOut, **ERROR_RESPONSES})
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarWrite) -> Any:
    calendar = _calendar(request, calendar_id)
    return calendars.calendar_update(actor=request.user, calendar=calendar, data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


@router.delete("/calendars/{int:calendar_id}", response={204: None, **ERROR_RESPONSES})
def delete_calendar(request: HttpRequest, calendar_id: int) -> Any:
    calendars.calendar_delete(actor=request.user, calendar=_calendar(request, calendar_id))  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/calendars/{int:calendar_id}/days", response={200: CalendarDetailOut, **ERROR_RESPONSES})
def set_calendar_day(request: HttpRequest, calendar_id: int, payload: CalendarDayIn) -> Any:
    calendar = _calendar(request, calendar_id)
    calendars.calendar_day_set(actor=request.user, calendar=calendar, day=payload.day, kind=payload.kind, note=payload.note)  # type: ignore[arg-type]
    return WorkingCalendar.objects.get(pk=calendar.pk)


@router.delete("/calendars/{int:calendar_id}/days/{day}", response={204: None, **ERROR_RESPONSES})
def remove_calendar_day(request: HttpRequest, calendar_id: int, day: date) -> Any:
    calendars.calendar_day_remove(actor=request.user, calendar=_calendar(request, calendar_id), day=day)  # type: ignore[arg-type]
    return Status(204, None)
