"""Authorisation matrix entries for the staff pages of guanxi/service/urls_care.py: the survey
designer, follow-up visits and follow-up rules (the dashboard, the analysis and the lists take no
object: each person sees only the figures and rows of their own scope).

* A survey is not customer data: everyone reads its page; managers and administrators design and
  send it, so every page or form that changes a survey (edit, deactivate, items, reorder, invite)
  answers 403 to anyone else (``SurveyPolicy.DESIGNER``, as the API).
* A follow-up visit is a record carol owns: data scopes decide (dave 404 on its page and its form,
  grace reads it but recording the outcome answers 403).
* Follow-up rules are administrators' business: 403 for everyone else."""

from __future__ import annotations

from typing import Any

from tests.security.matrix_service_surveys import SurveyPolicy, _rule, _survey, _visit
from tests.security.matrix_types import Policy, Target
from tests.security.world import World


def _survey_pk(w: World) -> dict[str, Any]:
    return {"pk": _survey(w).pk}


def _item_pk(w: World) -> dict[str, Any]:
    return {"pk": _survey(w).items.first().pk}  # type: ignore[union-attr]


def _visit_pk(w: World) -> dict[str, Any]:
    return {"pk": _visit(w)["follow_up_id"]}


def _rule_pk(w: World) -> dict[str, Any]:
    return {"pk": _rule(w)["follow_up_rule_id"]}


ROUTE_TARGETS: dict[str, Target] = {
    **{f"service:{name}": Target(SurveyPolicy.DESIGNER, _survey_pk)  # type: ignore[arg-type]
       for name in ("survey_detail", "survey_edit", "survey_deactivate", "item_add", "item_reorder", "survey_invite")},
    **{f"service:{name}": Target(SurveyPolicy.DESIGNER, _item_pk) for name in ("item_edit", "item_remove")},  # type: ignore[arg-type]
    **{f"service:{name}": Target(Policy.RECORD, _visit_pk) for name in ("followup_detail", "followup_complete")},
    **{f"service:{name}": Target(Policy.ADMIN, _rule_pk) for name in ("followup_rule_edit", "followup_rule_delete")},
}
