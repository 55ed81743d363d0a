"""Authorisation matrix entries for surveys, follow-up rules and visits (guanxi/service/api_surveys.py)."""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any

from django.utils import timezone

from guanxi.service.models import FollowUpVisit, Survey
from tests.security.matrix_types import ALLOW, EXPECTED, READ_ONLY, Policy, Target
from tests.security.world import World

_n = itertools.count(1)


class SurveyPolicy(Enum):
    DESIGNER = "a survey: managers and administrators design and send it, everyone else reads it"


EXPECTED[SurveyPolicy.DESIGNER] = {"alice": ALLOW, "bob": ALLOW, "carol": READ_ONLY, "dave": READ_ONLY, "grace": READ_ONLY}  # type: ignore[index]


def _survey(w: World) -> Survey:
    from guanxi.service import surveys

    survey = surveys.survey_create(actor=w.user("alice"), data={"name": f"矩阵问卷{next(_n)}"})
    for code, dimension in (("delivery", "service"), ("quality", "product")):
        surveys.item_add(actor=w.user("alice"), survey=survey, data={"code": code, "text": f"{code}?", "dimension": dimension})
    return survey


def _rule(w: World) -> dict[str, Any]:
    from guanxi.service.followups import rule_create

    return {"follow_up_rule_id": rule_create(actor=w.user("alice"), data={"trigger": "order_delivered", "days_after": 3}).pk}


def _visit(w: World) -> dict[str, Any]:
    from guanxi.service.followups import schedule_for_key_account_event

    visit = schedule_for_key_account_event(w.account(), next(_n), timezone.now())
    assert visit is not None
    return {"follow_up_id": visit.pk}


def _version(model: type[Any], pk: int) -> int:
    return int(model._base_manager.get(pk=pk).version)


PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"survey_id"}): Target(SurveyPolicy.DESIGNER, lambda w: {"survey_id": _survey(w).pk}),  # type: ignore[arg-type]
    frozenset({"survey_item_id"}): Target(SurveyPolicy.DESIGNER,  # type: ignore[arg-type]
                                          lambda w: {"survey_item_id": _survey(w).items.first().pk}),  # type: ignore[union-attr]
    frozenset({"follow_up_rule_id"}): Target(Policy.ADMIN, _rule),
    frozenset({"follow_up_id"}): Target(Policy.RECORD, _visit),
}

ROUTE_TARGETS: dict[str, Target] = {}

API_BODIES: dict[str, Any] = {
    "PATCH /api/v1/service/surveys/{survey_id}": lambda w, kw: {"version": _version(Survey, kw["survey_id"]), "name": "改过的问卷"},
    "POST /api/v1/service/surveys/{survey_id}/deactivate": lambda w, kw: {"version": _version(Survey, kw["survey_id"])},
    "POST /api/v1/service/surveys/{survey_id}/items": lambda w, kw: {"code": f"m{next(_n)}", "text": "便利吗？", "dimension": "convenience"},
    "POST /api/v1/service/surveys/{survey_id}/items/reorder": lambda w, kw: {
        "item_ids": list(Survey.objects.get(pk=kw["survey_id"]).items.order_by("-position").values_list("pk", flat=True))},
    "POST /api/v1/service/surveys/{survey_id}/invitations": lambda w, kw: {"contact_id": w.contact().pk, "send": False},
    "PATCH /api/v1/service/survey-items/{survey_item_id}": lambda w, kw: {"text": "改过的问题？"},
    "PATCH /api/v1/service/follow-up-rules/{follow_up_rule_id}": lambda w, kw: {"days_after": 5},
    "POST /api/v1/service/follow-ups/{follow_up_id}/complete": lambda w, kw: {
        "version": _version(FollowUpVisit, kw["follow_up_id"]), "outcome": "satisfied", "satisfaction": 5},
}
