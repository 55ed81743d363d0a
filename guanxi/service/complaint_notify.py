"""Who hears about a complaint (issue 6 item 9): its owner and the responsible person (分清责任), in
their own language through the one notification centre; breaches also reach the owner's manager."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from guanxi.service.models import Complaint
from guanxi.users.models import User
from guanxi.users.notifications import notify

ASSIGNED_KIND = "service.complaint_assigned"
UPDATED_KIND = "service.complaint_updated"
BREACH_KIND = "service.sla_breach"

KINDS = (
    (ASSIGNED_KIND, _("Complaints assigned to me"), True, True),
    (UPDATED_KIND, _("Changes to complaints I handle"), True, False),
    (BREACH_KIND, _("Complaint SLA breaches"), True, True),
)


def complaint_url(pk: int) -> str | None:
    """The staff page of a complaint (None while the web UI is not mounted)."""
    try:
        return reverse("service:complaint_detail", args=[pk])
    except NoReverseMatch:
        return None


def people(complaint: Complaint, *, exclude: Any = None) -> list[User]:
    """The owner and the responsible person, each once, without ``exclude`` (who acted)."""
    found: dict[int, User] = {}
    for user in (complaint.owner if complaint.owner_id else None,
                 complaint.responsible_person if complaint.responsible_person_id else None):
        if user is not None and user.pk != getattr(exclude, "pk", None):
            found.setdefault(user.pk, user)
    return list(found.values())


def tell(users: Iterable[User], complaint: Complaint, *, kind: str, title: Any, body: Any = "",
         params: dict[str, Any] | None = None, key: str | None = None) -> int:
    sent = 0
    values = {"number": complaint.number, "title": complaint.title, **(params or {})}
    for user in users:
        sent += notify(user, kind=kind, title=title, body=body, params=values, url=complaint_url(complaint.pk),
                       key=f"{key}:{user.pk}" if key else None) is not None
    return sent
