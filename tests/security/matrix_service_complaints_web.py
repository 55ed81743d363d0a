"""Authorisation matrix entries for the staff complaint pages of guanxi/service/urls_complaints.py.

A complaint is a record carol owns: data scopes decide (dave 404 on every page and form, grace reads
the complaint page but every form that changes it — edit, transition, note, assign, delete —
answers 403). The list, the create form and the contact/order choices of the create form take no
object (each person sees and links only what their scope allows)."""

from __future__ import annotations

from typing import Any

from tests.security.matrix_service_complaints import _complaint
from tests.security.matrix_types import Policy, Target
from tests.security.world import World


def _complaint_pk(w: World) -> dict[str, Any]:
    return {"pk": _complaint(w)["complaint_id"]}


ROUTE_TARGETS: dict[str, Target] = {
    f"service:{name}": Target(Policy.RECORD, _complaint_pk)
    for name in ("complaint_detail", "complaint_edit", "complaint_transition", "complaint_note", "complaint_assign",
                 "complaint_delete")
}
