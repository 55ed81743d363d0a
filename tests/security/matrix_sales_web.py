"""Authorisation matrix entries for the sales web pages of guanxi/sales/urls.py (the board, the
opportunity and lead pages; the activity pages are in ``matrix_sales_activities``).

Opportunities and leads are records carol owns: data scopes decide (dave 404, grace reads but every
form that changes them answers 403). The board of a pipeline and the cards of a column are open to
everyone signed in; each sees only the cards of their own scope. Saved list views are personal."""

from __future__ import annotations

from typing import Any

from guanxi.customers.models import SavedView
from tests.security.matrix_sales import _lead, _n, _opportunity, _pipeline, _stage
from tests.security.matrix_types import Policy, Target
from tests.security.world import World


def _opportunity_pk(w: World) -> dict[str, Any]:
    return {"pk": _opportunity(w)["opportunity_id"]}


def _lead_pk(w: World) -> dict[str, Any]:
    return {"pk": _lead(w)["lead_id"]}


def _opportunity_view(w: World) -> dict[str, Any]:
    view = SavedView.objects.create(owner=w.user("carol"), object_type="opportunity", name=f"商机视图{next(_n)}", params={})
    return {"view_id": view.pk}


ROUTE_TARGETS: dict[str, Target] = {
    "sales:board_pipeline": Target(Policy.OPEN, _pipeline),
    "sales:board_column": Target(Policy.OPEN, _stage),
    "sales:opportunity_detail": Target(Policy.RECORD, _opportunity_pk),
    "sales:opportunity_edit": Target(Policy.RECORD, _opportunity_pk),
    "sales:opportunity_move": Target(Policy.RECORD, _opportunity_pk),
    "sales:opportunity_win": Target(Policy.RECORD, _opportunity_pk),
    "sales:opportunity_lose": Target(Policy.RECORD, _opportunity_pk),
    "sales:opportunity_view_delete": Target(Policy.PERSONAL, _opportunity_view),
    "sales:lead_detail": Target(Policy.RECORD, _lead_pk),
    "sales:lead_edit": Target(Policy.RECORD, _lead_pk),
    "sales:lead_convert": Target(Policy.RECORD, _lead_pk),
}
