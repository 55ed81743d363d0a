"""What follow-up visits and survey responses add to the account's 360° timeline (one query each)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.customers.models import Account
from guanxi.customers.timeline import TimelineItem
from guanxi.service.models import FollowUpVisit, SurveyResponse
from guanxi.users.visibility import visible_to


def _visible(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if actor is None else visible_to(actor, qs)


def follow_up_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    """The account's follow-up visits the viewer may see: done ones with their outcome at the time
    they were done, open ones at their due time (newest first, one query)."""
    rows = (_visible(actor, FollowUpVisit.objects.filter(account_id=account.pk)).select_related("owner")
            .annotate(moment=Coalesce(F("done_at"), F("due_at"))).order_by("-moment", "-id")[:limit])
    items = []
    for v in rows:
        if v.done_at is not None:
            title = _("Follow-up visit: %(outcome)s") % {"outcome": v.get_outcome_display()}
            detail = " · ".join(filter(None, [
                _("satisfaction %(n)d/5") % {"n": v.satisfaction} if v.satisfaction is not None else "", v.notes[:200]]))
        else:
            title = _("Follow-up visit due %(date)s") % {"date": date_format(v.due_at, "SHORT_DATE_FORMAT")}
            detail = v.get_trigger_display() if v.trigger else ""
        items.append(TimelineItem(at=v.done_at or v.due_at, kind="follow_up", title=title, detail=detail,
                                  actor=str(v.owner) if v.owner else ""))
    return items


def survey_response_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    """Survey answers of the account (they follow the account's visibility), newest first, one query."""
    rows = (_visible(actor, SurveyResponse.objects.filter(account_id=account.pk)).select_related("survey", "contact")
            .order_by("-answered_at", "-id")[:limit])
    items = []
    for r in rows:
        scores = [f"NPS {r.nps}" if r.nps is not None else "", f"CSAT {r.csat}/5" if r.csat is not None else "",
                  r.comment[:200]]
        items.append(TimelineItem(at=r.answered_at, kind="survey_response",
                                  title=_("Survey answered: %(survey)s") % {"survey": r.survey.name},
                                  detail=" · ".join(filter(None, scores)), actor=r.contact.name if r.contact else ""))
    return items
