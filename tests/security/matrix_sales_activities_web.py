"""Authorisation matrix entries for the activity / SPIN / target web pages
(guanxi/sales/urls_activities.py). Routes without an object in the path (my day, calendar, create
pages, dashboards, the notification centre) are checked for anonymous access by the matrix and
persona by persona in guanxi/sales/tests/test_*_web.py and guanxi/web/tests/test_notifications_web.py."""

from __future__ import annotations

from tests.security.matrix_sales_activities import SalesPolicy, _activity, _plan, _question, _target
from tests.security.matrix_types import Policy, Target

PARAM_TARGETS: dict[frozenset[str], Target] = {}

ROUTE_TARGETS: dict[str, Target] = {
    "sales:activity_detail": Target(Policy.RECORD, lambda w: {"pk": _activity(w).pk}),
    "sales:activity_edit": Target(Policy.RECORD, lambda w: {"pk": _activity(w).pk}),
    "sales:activity_complete": Target(Policy.RECORD, lambda w: {"pk": _activity(w).pk}),
    "sales:activity_reopen": Target(Policy.RECORD, lambda w: {"pk": _activity(w).pk}),
    "sales:call_plan_log": Target(Policy.RECORD, lambda w: {"pk": _plan(w).pk}),
    "sales:spin_question_edit": Target(SalesPolicy.CURATOR, lambda w: {"pk": _question(w)["question_id"]}),  # type: ignore[arg-type]
    "sales:spin_question_deactivate": Target(SalesPolicy.CURATOR, lambda w: {"pk": _question(w)["question_id"]}),  # type: ignore[arg-type]
    "sales:target_delete": Target(SalesPolicy.TARGET, _target),  # type: ignore[arg-type]
}
