"""The public survey answer page (no login): the secret single-use token in the URL is the
credential. Whatever the customer sends is hostile input: ``surveys.answer`` validates every number
and size, and the templates escape all text (the survey's own texts included)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed
from guanxi.service import surveys
from guanxi.service.models import Survey, SurveyItem

SCALE_LABELS = {
    "expectation": _("What you expected"),
    "desired": _("The level you would wish for (desired)"),
    "adequate": _("The lowest level you would still accept (adequate)"),
    "experience": _("What you experienced"),
    "importance": _("How important this is to you"),
}
MAX_FIELDS = 1000  # a survey has at most 100 items × 5 numbers, plus NPS, CSAT and the comment


def _scales_of(item: SurveyItem) -> list[str]:
    return [s for s in surveys.SCALES if s == "experience" or getattr(item, surveys.ASKED_BY[s])]


def _data_from(post: QueryDict, items: list[SurveyItem]) -> dict[str, Any]:
    answers = {str(i.pk): {s: post.get(f"item-{i.pk}-{s}", "") for s in _scales_of(i)} for i in items}
    return {"answers": answers, "nps": post.get("nps", ""), "csat": post.get("csat", ""), "comment": post.get("comment", "")}


def _form(survey: Survey, items: list[SurveyItem], data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    choices = [str(n) for n in range(1, survey.scale_max + 1)]
    rows = []
    for item in items:
        given = data.get("answers", {}).get(str(item.pk), {})
        scales = [{"name": f"item-{item.pk}-{s}", "code": s, "label": SCALE_LABELS[s], "choices": choices,
                   "value": str(given.get(s, "")), "required": s == "experience",
                   "errors": errors.get(f"answers.{item.pk}.{s}", [])} for s in _scales_of(item)]
        rows.append({"item": item, "scales": scales, "errors": errors.get(f"answers.{item.pk}", [])})
    return {
        "survey": survey, "rows": rows, "scale_max": survey.scale_max,
        "nps": {"choices": [str(n) for n in range(0, 11)], "value": str(data.get("nps", "")), "errors": errors.get("nps", [])},
        "csat": {"choices": [str(n) for n in range(1, 6)], "value": str(data.get("csat", "")), "errors": errors.get("csat", [])},
        "comment": {"value": data.get("comment", ""), "errors": errors.get("comment", [])},
        "has_errors": bool(errors), "max_comment": surveys.MAX_COMMENT,
    }


@login_not_required
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = surveys.invitation_for(token)
    except NotFound as exc:
        raise Http404() from exc
    except GuanxiError as exc:  # used, expired or closed: say so plainly
        return render(request, "service/public/survey_closed.html", {"message": exc.detail}, status=410)
    survey = invitation.survey
    items = list(survey.items.all())
    if request.method == "POST":
        if len(request.POST) > MAX_FIELDS:
            return render(request, "service/public/survey_closed.html", {"message": _("Too many fields.")}, status=400)
        data = _data_from(request.POST, items)
        try:
            surveys.answer(token, data)
        except ValidationFailed as exc:
            return render(request, "service/public/survey_answer.html", _form(survey, items, data, exc.errors), status=422)
        except NotFound as exc:
            raise Http404() from exc
        except GuanxiError as exc:  # answered in another tab meanwhile
            return render(request, "service/public/survey_closed.html", {"message": exc.detail}, status=410)
        return render(request, "service/public/survey_thanks.html", {"survey": survey})
    return render(request, "service/public/survey_answer.html", _form(survey, items, {}, {}))
