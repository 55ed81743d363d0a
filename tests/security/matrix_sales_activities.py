"""Authorisation matrix entries for the activity / SPIN / targets / forecast / notification routes
(guanxi/sales/api_activities.py, guanxi/users/notifications_api.py)."""

from __future__ import annotations

import itertools
from datetime import date
from enum import Enum
from typing import Any

from guanxi.sales.models import Activity, CallPlan
from tests.security.matrix_types import ALLOW, EXPECTED, READ_ONLY, Policy, Target
from tests.security.world import World

_n = itertools.count(1)


class SalesPolicy(Enum):
    """Two rules the shared vocabulary has no word for (added to ``EXPECTED`` below)."""

    CURATOR = "a SPIN library question: sales managers and administrators curate it, everyone else reads"
    TARGET = "carol's target, set by bob: carol reads it, her managers and administrators change it"


EXPECTED[SalesPolicy.CURATOR] = {"alice": ALLOW, "bob": ALLOW, "carol": 403, "dave": 403, "grace": 403}  # type: ignore[index]
EXPECTED[SalesPolicy.TARGET] = {"alice": ALLOW, "bob": ALLOW, "carol": READ_ONLY, "dave": 404, "grace": 404}  # type: ignore[index]


def _activity(w: World, kind: str = "visit") -> Activity:
    from guanxi.sales.activities import activity_create

    return activity_create(actor=w.user("carol"), data={"kind": kind, "subject": f"矩阵拜访{next(_n)}", "account_id": w.account().pk})


def _plan(w: World) -> CallPlan:
    from guanxi.sales.spin import call_plan_create

    return call_plan_create(actor=w.user("carol"), activity=_activity(w), objective="矩阵", questions=[{"kind": "S", "text": "背景？"}])


def _question(w: World) -> dict[str, Any]:
    from guanxi.sales.spin import question_create

    return {"question_id": question_create(actor=w.user("alice"), kind="P", text=f"难点{next(_n)}？").pk}


def _target(w: World) -> dict[str, Any]:
    from guanxi.sales.targets import target_set

    day = date(2030 + next(_n) % 50, 1, 1)
    return {"target_id": target_set(actor=w.user("bob"), scope="user", user=w.user("carol"), period="year",
                                    period_start=day, value="1000").pk}


def _notification(w: World) -> dict[str, Any]:
    from guanxi.users.notifications import notify

    return {"notification_id": notify(w.user("carol"), kind="general", title="矩阵通知").pk}  # type: ignore[union-attr]


def _version(model: type[Any], pk: int) -> int:
    return int(model._base_manager.get(pk=pk).version)


PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"activity_id"}): Target(Policy.RECORD, lambda w: {"activity_id": _activity(w).pk}),
    frozenset({"plan_id"}): Target(Policy.RECORD, lambda w: {"plan_id": _plan(w).pk}),
    frozenset({"question_id"}): Target(SalesPolicy.CURATOR, _question),  # type: ignore[arg-type]
    frozenset({"target_id"}): Target(SalesPolicy.TARGET, _target),  # type: ignore[arg-type]
    frozenset({"notification_id"}): Target(Policy.PERSONAL, _notification),
}

ROUTE_TARGETS: dict[str, Target] = {}

API_BODIES: dict[str, Any] = {
    "PATCH /api/v1/sales/activities/{activity_id}": lambda w, kw: {"version": _version(Activity, kw["activity_id"]), "subject": "改了"},
    "POST /api/v1/sales/activities/{activity_id}/complete": lambda w, kw: {"version": _version(Activity, kw["activity_id"])},
    "POST /api/v1/sales/activities/{activity_id}/reopen": lambda w, kw: {"version": _version(Activity, kw["activity_id"])},
    "PATCH /api/v1/sales/spin-questions/{question_id}": lambda w, kw: {"text": "改过的问题？"},
    "PATCH /api/v1/sales/call-plans/{plan_id}": lambda w, kw: {"version": _version(CallPlan, kw["plan_id"]), "objective": "改"},
    "POST /api/v1/sales/call-plans/{plan_id}/log": lambda w, kw: {"version": _version(CallPlan, kw["plan_id"]), "outcome": "advance"},
}
