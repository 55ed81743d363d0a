"""Survey designer pages at /service/surveys/ (满意度调查, DOMAIN §4 "Satisfaction"; issue 6 item 5):
the list, a survey with its items and response count, create / edit / deactivate, add / edit /
remove / reorder items, and inviting a contact through a single-use link.

Thin like ``api_surveys``: every change is one call to ``guanxi.service.surveys``. A questionnaire
is not customer data, so everyone signed in reads it; only designers (``surveys.can_design``:
managers and administrators) change or send one — for anyone else each page that exists to change
a survey answers 403, as the API does. The response count follows the responses' accounts
(``surveys.responses_for`` → ``visible_to``). An invitation's secret link is shown once, on the
response to the form that made it (only its sha256 is stored).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound, PermissionDenied
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Contact
from guanxi.customers.search_selectors import filter_by_query
from guanxi.service import surveys
from guanxi.service.forms_care import SERVICE_ELEMENTS, InviteForm, ItemForm, SurveyForm
from guanxi.service.models import Survey, SurveyInvitation, SurveyItem, SurveyResponse
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

PAGE_SIZE = 50
MAX_CONTACTS = 200
SCALE_FLAGS = (("ask_expectation", "expectation"), ("ask_desired", "desired"), ("ask_adequate", "adequate"),
               ("ask_importance", "importance"))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _require_designer(actor: User) -> None:
    """The services' own rule, checked before any input is read so that a refused person gets 403
    whatever they sent."""
    if not surveys.can_design(actor):
        raise PermissionDenied(_("Only managers and administrators may design surveys."))


def _survey(pk: int) -> Survey:
    return surveys.get_survey(pk)


def _item(pk: int) -> SurveyItem:
    item = SurveyItem.objects.select_related("survey").filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def _detail(survey_id: int) -> str:
    return reverse("service:survey_detail", args=[survey_id])


def _service_error(form: Any, exc: GuanxiError) -> None:
    if exc.status in (403, 404):
        raise exc
    add_service_errors(form, exc)


def scale_labels() -> dict[str, str]:
    return {"expectation": _("Expectation"), "desired": _("Desired level"), "adequate": _("Adequate level"),
            "experience": _("Experience"), "importance": _("Importance")}


# --- list and detail -------------------------------------------------------------------------------

@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    state = request.GET.get("state", "")
    qs = surveys.survey_list().annotate(item_count=Count("items"))
    if state in ("active", "inactive"):
        qs = qs.filter(active=state == "active")
    else:
        state = ""
    page = keyset_page_or_first(qs, order=("-id",), after=request.GET.get("after") or None, limit=PAGE_SIZE)
    return render(request, "service/surveys/list.html", {
        "page": page, "state": state, "can_design": surveys.can_design(actor),
        "query": f"state={state}&" if state else "",
    })


def _orders(items: list[SurveyItem]) -> list[dict[str, Any]]:
    """Each item with the order of ids that moving it up or down would give (the reorder form)."""
    ids = [i.pk for i in items]
    rows = []
    for n, item in enumerate(items):
        up = down = None
        if n > 0:
            swapped = ids[:]
            swapped[n - 1], swapped[n] = swapped[n], swapped[n - 1]
            up = ",".join(map(str, swapped))
        if n < len(ids) - 1:
            swapped = ids[:]
            swapped[n + 1], swapped[n] = swapped[n], swapped[n + 1]
            down = ",".join(map(str, swapped))
        asked = ["experience", *(scale for flag, scale in SCALE_FLAGS if getattr(item, flag))]
        rows.append({"item": item, "up": up, "down": down, "asked": asked})
    return rows


@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    survey = _survey(pk)
    items = list(survey.items.all())
    designer = surveys.can_design(actor)
    invitations: dict[str, int] = {}
    if designer:
        invitations = dict(SurveyInvitation.objects.filter(survey=survey).values_list("state").annotate(n=Count("id")).order_by())
    return render(request, "service/surveys/detail.html", {
        "survey": survey, "rows": _orders(items), "can_design": designer,
        "responses": surveys.responses_for(actor).filter(survey_id=survey.pk).count(),
        "answered": SurveyResponse.objects.filter(survey_id=survey.pk).exists(),
        "invitations": invitations, "scales": scale_labels(),
        "events": dict(SurveyForm.base_fields["trigger_events"].choices),  # type: ignore[attr-defined]
    })


# --- create, edit, deactivate ----------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    form = SurveyForm(request.POST or None)
    del form.fields["active"], form.fields["version"]
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.survey_create(actor=actor, data=form.service_data())
        except GuanxiError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Survey created. Add the items it rates."))
            return redirect("service:item_add", pk=survey.pk)
    return render(request, "service/surveys/form.html", {"form": form, "survey": None},
                  status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    survey = _survey(pk)
    initial = {name: getattr(survey, name) for name in surveys.SURVEY_FIELDS} | {"version": survey.version}
    form = SurveyForm(request.POST or None, initial=initial)
    form.fields["version"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_update(actor=actor, survey=survey, version=form.cleaned_data["version"], data=form.service_data())
        except GuanxiError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect(_detail(survey.pk))
    return render(request, "service/surveys/form.html", {"form": form, "survey": survey},
                  status=422 if request.method == "POST" else 200)


@require_POST
def survey_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    survey = _survey(pk)
    try:
        surveys.survey_deactivate(actor=actor, survey=survey, version=_int(request.POST.get("version")))
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Survey deactivated: it sends no more invitations; its responses stay for the analysis."))
    return redirect(_detail(survey.pk))


# --- items ---------------------------------------------------------------------------------------

def _item_page(request: HttpRequest, form: ItemForm, survey: Survey, item: SurveyItem | None) -> HttpResponse:
    return render(request, "service/surveys/item_form.html", {
        "form": form, "survey": survey, "item": item, "elements": [str(e) for e in SERVICE_ELEMENTS],
    }, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    survey = _survey(pk)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = surveys.item_add(actor=actor, survey=survey, data=form.service_data())
        except GuanxiError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Item “%(code)s” added.") % {"code": item.code})
            if request.POST.get("another"):
                return redirect("service:item_add", pk=survey.pk)
            return redirect(_detail(survey.pk))
    return _item_page(request, form, survey, None)


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    item = _item(pk)
    form = ItemForm(request.POST or None, initial={name: getattr(item, name) for name in surveys.ITEM_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            surveys.item_update(actor=actor, item=item, data=form.service_data())
        except GuanxiError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Item saved."))
            return redirect(_detail(item.survey_id))
    return _item_page(request, form, item.survey, item)


@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    _require_designer(actor)
    item = _item(pk)
    try:
        surveys.item_remove(actor=actor, item=item)
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Item removed."))
    return redirect(_detail(item.survey_id))


@require_POST
def item_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """``order``: the survey's item ids, comma-separated, in their new order (the ↑ / ↓ buttons)."""
    actor = _user(request)
    _require_designer(actor)
    survey = _survey(pk)
    raw = [part.strip() for part in str(request.POST.get("order", ""))[:2000].split(",")]
    ids = [_int(part) for part in raw]
    if not raw or any(i is None for i in ids):
        messages.error(request, _("List every item of this survey exactly once."))
        return redirect(_detail(survey.pk))
    try:
        surveys.item_reorder(actor=actor, survey=survey, item_ids=[i for i in ids if i is not None])
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, " ".join(e for errs in getattr(exc, "errors", {}).values() for e in errs) or exc.detail)
    return redirect(_detail(survey.pk))


# --- invitations ---------------------------------------------------------------------------------

def _contact_choices(actor: User, q: str, chosen: int | None) -> list[tuple[int, str]]:
    """Visible contacts (the first 200 by name, narrowed by the search ``q``), plus the chosen one if visible."""
    qs = visible_to(actor, Contact.objects.all())
    shown = filter_by_query(qs, q) if q else qs  # the archive's search: names, pinyin, phones, e-mails
    rows = list(shown.order_by("name_sort", "id").values_list("pk", "name", "email")[:MAX_CONTACTS])
    if chosen is not None and chosen not in {pk for pk, _n, _e in rows}:
        rows += list(qs.filter(pk=chosen).values_list("pk", "name", "email"))
    return [(pk, f"{name} <{email}>" if email else name) for pk, name, email in rows]


@require_http_methods(["GET", "POST"])
def survey_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite one contact: the single-use link is shown on this response only (not stored)."""
    actor = _user(request)
    _require_designer(actor)
    survey = _survey(pk)
    q = str(request.GET.get("q", ""))[:100].strip()
    chosen = _int(request.POST.get("contact_id")) if request.method == "POST" else _int(request.GET.get("contact"))
    form = InviteForm(request.POST or None, contacts=_contact_choices(actor, q, chosen),
                      initial={"contact_id": chosen} if chosen else None)
    link = None
    emailed = False
    invitation = None
    if request.method == "POST" and form.is_valid():
        try:
            contact = lifecycle.get_visible(actor, Contact, form.cleaned_data["contact_id"])
            invitation, token = surveys.invite(survey=survey, contact=contact, expires_in_days=form.cleaned_data["expires_in_days"])
            if form.cleaned_data["send"]:
                emailed = surveys.send_invitation(invitation=invitation, token=token)
            link = surveys.survey_link(token)
            if link.startswith("/"):  # no SITE_URL: the address this request came to
                link = request.build_absolute_uri(link)
        except GuanxiError as exc:
            _service_error(form, exc)
    status = 200 if request.method == "GET" or link else 422
    response = render(request, "service/surveys/invite.html", {
        "survey": survey, "form": form, "q": q, "link": link, "emailed": emailed, "invitation": invitation,
        "contact_count": len(form.fields["contact_id"].choices) - 1,  # type: ignore[attr-defined]
        "max_contacts": MAX_CONTACTS,
    }, status=status)
    if link:
        response["Cache-Control"] = "no-store"  # the secret link must not stay in a cache
    return response
