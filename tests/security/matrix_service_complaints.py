"""Authorisation matrix entries for complaints, complaint types, SLA policies and working calendars
(guanxi/service/api_complaints.py). The public feedback pages are in PUBLIC_ROUTES of
test_authorization_matrix.py."""

from __future__ import annotations

import itertools
from typing import Any

from guanxi.service.models import Complaint, ComplaintType, SlaPolicy, WorkingCalendar
from tests.security.matrix_types import Policy, Target
from tests.security.world import World

_n = itertools.count(1)


def _complaint(w: World) -> dict[str, Any]:
    from guanxi.service.complaints import complaint_create

    complaint = complaint_create(actor=w.user("carol"), data={
        "title": f"矩阵投诉{next(_n)}", "description": "货物破损", "channel": "phone", "account_id": w.account().pk,
        "complaint_type_id": ComplaintType.objects.get(code="quality").pk})
    return {"complaint_id": complaint.pk}


def _complaint_type(w: World) -> dict[str, Any]:
    from guanxi.service.complaint_admin import complaint_type_create

    n = next(_n)
    kind = complaint_type_create(actor=w.user("alice"), data={"code": f"matrix-{n}", "category": "service",
                                                               "name_zh": f"矩阵类型{n}", "name_en": f"Matrix type {n}"})
    return {"complaint_type_id": kind.pk}


def _sla_policy(w: World) -> dict[str, Any]:
    from guanxi.service.complaint_admin import sla_policy_create

    taken = set(SlaPolicy.objects.values_list("severity", "value_tier"))
    severity, tier = next((s, t) for t in ("general", "scattered") for s in ("low", "medium", "high", "critical") if (s, t) not in taken)
    policy = sla_policy_create(actor=w.user("alice"), data={"severity": severity, "value_tier": tier, "response_minutes": 60,
                                                            "resolution_minutes": 600})
    return {"sla_policy_id": policy.pk}


def _calendar(w: World) -> WorkingCalendar:
    from guanxi.service.calendars import calendar_create

    return calendar_create(actor=w.user("alice"), data={"name": f"矩阵日历{next(_n)}", "is_default": False})


def _calendar_day(w: World) -> dict[str, Any]:
    from guanxi.service.calendars import calendar_day_set

    calendar = _calendar(w)
    calendar_day_set(actor=w.user("alice"), calendar=calendar, day="2026-10-01", kind="holiday")
    return {"calendar_id": calendar.pk, "day": "2026-10-01"}


def _version(pk: int) -> int:
    return int(Complaint._base_manager.get(pk=pk).version)


PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"complaint_id"}): Target(Policy.RECORD, _complaint),
    frozenset({"complaint_type_id"}): Target(Policy.ADMIN, _complaint_type),
    frozenset({"sla_policy_id"}): Target(Policy.ADMIN, _sla_policy),
    frozenset({"calendar_id"}): Target(Policy.ADMIN, lambda w: {"calendar_id": _calendar(w).pk}),
    frozenset({"calendar_id", "day"}): Target(Policy.ADMIN, _calendar_day),
}

ROUTE_TARGETS: dict[str, Target] = {}

API_BODIES: dict[str, Any] = {
    "PATCH /api/v1/service/complaints/{complaint_id}": lambda w, kw: {"version": _version(kw["complaint_id"]), "title": "改过的标题"},
    "POST /api/v1/service/complaints/{complaint_id}/transition": lambda w, kw: {
        "target": "acknowledged", "version": _version(kw["complaint_id"]),
        "records": {"empathy_note": "理解您的心情", "listening_note": "记录了要点"}},
    "POST /api/v1/service/complaints/{complaint_id}/assign": lambda w, kw: {"owner_id": w.user("carol").pk},
    "POST /api/v1/service/complaints/{complaint_id}/notes": lambda w, kw: {"text": "矩阵备注"},
    "PATCH /api/v1/service/complaint-types/{complaint_type_id}": lambda w, kw: {"name_en": "Renamed"},
    "PATCH /api/v1/service/sla-policies/{sla_policy_id}": lambda w, kw: {"reassign_on_breach": True},
    "PATCH /api/v1/service/calendars/{calendar_id}": lambda w, kw: {"name": "改名的日历"},
    "POST /api/v1/service/calendars/{calendar_id}/days": lambda w, kw: {"day": "2026-10-02", "kind": "holiday", "note": "国庆"},
}
