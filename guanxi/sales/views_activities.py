"""Activity pages (my day, calendar, create / edit / complete) and SPIN call planning and logging
(DOMAIN §2, visits and calls; issue 5 items 4–5). Dashboards, forecast and targets: ``views_dashboard``.

Thin like the API: parse a form, call a service (``activities``, ``spin``, ``feeds``), show its
errors on the form. Objects the user may not see are 404; visible but read-only ones are 403 —
also when a read-only user only opens a page that exists to change the object.
"""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound, PermissionDenied
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Account, Contact
from guanxi.sales import activities, feeds, spin
from guanxi.sales.dashboards import today_for
from guanxi.sales.forms_activities import ActivityForm, CallLogForm, CallPlanForm, CompleteForm, SpinQuestionForm, lines
from guanxi.sales.models import Activity, ActivityKind, CallPlan, Opportunity, SpinKind, SpinQuestion
from guanxi.users.models import User
from guanxi.users.visibility import can_create, editable_by, visible_to

MAX_CHOICES = 200


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _wall_clock(moment: datetime | None, actor: User) -> str:
    return moment.astimezone(activities.user_zone(actor)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _require_can_create(actor: User) -> None:
    if not can_create(actor, Activity):
        raise PermissionDenied(_("You may not create activities."))


# --- my day and calendar ---------------------------------------------------------------------------

def my_day(request: HttpRequest) -> HttpResponse:
    """Overdue and today's activities of the signed-in user, "today" in their time zone."""
    actor = _user(request)
    day = activities.my_day(actor)
    return render(request, "sales/activities/my_day.html", {"day": day, "can_create": can_create(actor, Activity)})


def _parse_day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def calendar(request: HttpRequest, *, feed_token: str | None = None) -> HttpResponse:
    """A month (default) or week grid of the activities the user may see; ``?date=`` moves it,
    ``?mine=0`` shows everyone visible (a manager's team)."""
    actor = _user(request)
    zone = activities.user_zone(actor)
    today = today_for(actor)
    day = _parse_day(request.GET.get("date"), today)
    mode = "week" if request.GET.get("view") == "week" else "month"
    mine = request.GET.get("mine") != "0"
    if mode == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        month_first = day.replace(day=1)
        month_last = month_first.replace(day=pycalendar.monthrange(day.year, day.month)[1])
        first = month_first - timedelta(days=month_first.weekday())
        last = month_last + timedelta(days=6 - month_last.weekday())
        previous = (month_first - timedelta(days=1)).replace(day=1)
        following = month_last + timedelta(days=1)
    start, _end = activities.day_bounds(first, zone)
    end, _end2 = activities.day_bounds(last + timedelta(days=1), zone)
    rows = list(activities.calendar_range(actor, start, end, owner_id=actor.pk if mine else None)[:2000])
    by_day: dict[date, list[Activity]] = {}
    for activity in rows:
        assert activity.due_at is not None
        by_day.setdefault(activity.due_at.astimezone(zone).date(), []).append(activity)
    weeks = []
    cursor = first
    while cursor <= last:
        weeks.append([{"day": d, "items": by_day.get(d, []), "other_month": mode == "month" and d.month != day.month,
                       "today": d == today} for d in (cursor + timedelta(days=i) for i in range(7))])
        cursor += timedelta(days=7)
    from guanxi.sales.models import CalendarFeed

    feed = CalendarFeed.objects.filter(user=actor).first()
    feed_url = request.build_absolute_uri(reverse("calendar:feed", kwargs={"token": feed_token})) if feed_token else None
    return render(request, "sales/activities/calendar.html", {
        "mode": mode, "day": day, "weeks": weeks, "first": first, "last": last, "mine": mine,
        "previous": previous, "following": following, "today": today, "feed": feed, "feed_url": feed_url,
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    })


@require_POST
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Create or rotate the user's secret iCalendar URL; it is shown on this one response only."""
    token = feeds.feed_create(actor=_user(request))
    messages.success(request, _("Your calendar feed is ready. Any old feed address stopped working."))
    return calendar(request, feed_token=token)


@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    if feeds.feed_revoke(actor=_user(request)):
        messages.success(request, _("Calendar feed revoked. Its address stopped working."))
    return redirect("sales:calendar")


# --- activities ------------------------------------------------------------------------------------

def _link_choices(actor: User, account_id: int | None, current: Activity | None) -> dict[str, list[tuple[int, str]]]:
    """Choices for the link selects: visible accounts (first 200 by name, plus the chosen one), the
    chosen account's contacts and opportunities (else the actor's own open deals)."""
    accounts_qs = visible_to(actor, Account.objects.all())
    accounts = list(accounts_qs.order_by("name_sort", "id").values_list("pk", "name")[:MAX_CHOICES])
    if account_id is not None and account_id not in {a for a, _n in accounts}:
        accounts += list(accounts_qs.filter(pk=account_id).values_list("pk", "name"))
    contacts_qs = visible_to(actor, Contact.objects.all())
    opportunities_qs = visible_to(actor, Opportunity.objects.all())
    if account_id is not None:
        contacts = list(contacts_qs.filter(account_links__account_id=account_id).order_by("name", "id").values_list("pk", "name")[:MAX_CHOICES])
        opportunities = list(opportunities_qs.filter(account_id=account_id).order_by("-is_open", "name", "id").values_list("pk", "name")[:MAX_CHOICES])
    else:
        contacts = []
        opportunities = list(opportunities_qs.filter(owner_id=actor.pk, is_open=True).order_by("name", "id").values_list("pk", "name")[:MAX_CHOICES])
    if current is not None:
        if current.contact_id and current.contact_id not in {c for c, _n in contacts}:
            contacts += list(Contact.objects.filter(pk=current.contact_id).values_list("pk", "name"))
        if current.opportunity_id and current.opportunity_id not in {o for o, _n in opportunities}:
            opportunities += list(Opportunity.objects.filter(pk=current.opportunity_id).values_list("pk", "name"))
    return {"accounts": accounts, "contacts": contacts, "opportunities": opportunities}


def _prefill(actor: User, request: HttpRequest) -> dict[str, Any]:
    """?account= ?contact= ?opportunity= (only links the actor may see; others are ignored)."""
    initial: dict[str, Any] = {}
    opportunity = visible_to(actor, Opportunity.objects.all()).filter(pk=_int(request.GET.get("opportunity")) or 0).first()
    if opportunity is not None:
        initial.update(opportunity_id=opportunity.pk, account_id=opportunity.account_id)
    account_id = _int(request.GET.get("account"))
    if "account_id" not in initial and account_id and visible_to(actor, Account.objects.filter(pk=account_id)).exists():
        initial["account_id"] = account_id
    contact = visible_to(actor, Contact.objects.all()).filter(pk=_int(request.GET.get("contact")) or 0).first()
    if contact is not None:
        initial["contact_id"] = contact.pk
        if "account_id" not in initial:
            initial["account_id"] = contact.account_links.order_by("-is_primary", "id").values_list("account_id", flat=True).first()
    kind = request.GET.get("kind")
    if kind in ActivityKind.values:
        initial["kind"] = kind
    return initial


@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    _require_can_create(actor)
    initial = _prefill(actor, request)
    account_id = _int(request.POST.get("account_id")) if request.method == "POST" else initial.get("account_id")
    form = ActivityForm(request.POST or None, initial=initial, **_link_choices(actor, account_id, None))
    if request.method == "POST" and form.is_valid():
        try:
            activity = activities.activity_create(actor=actor, data=form.service_data())
        except GuanxiError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Activity created."))
            return redirect("sales:activity_detail", pk=activity.pk)
    return render(request, "sales/activities/activity_form.html", {"form": form, "creating": True})


def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    activity = lifecycle.get_visible(actor, Activity, pk)
    plan = CallPlan.objects.filter(activity=activity).prefetch_related("questions", "needs").select_related("next_step").first()
    return render(request, "sales/activities/activity_detail.html", {
        "activity": activity, "plan": plan, "can_edit": editable_by(actor, activity),
        "plannable": activity.kind in spin.PLANNABLE_KINDS, "complete_form": CompleteForm(initial={"version": activity.version}),
    })


@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    activity = lifecycle.get_editable(actor, Activity, pk)
    initial = {
        "kind": activity.kind, "subject": activity.subject, "due_at": _wall_clock(activity.due_at, actor),
        "duration_minutes": activity.duration_minutes, "remind_minutes_before": activity.remind_minutes_before,
        "description": activity.description, "account_id": activity.account_id, "contact_id": activity.contact_id,
        "opportunity_id": activity.opportunity_id, "version": activity.version,
    }
    account_id = _int(request.POST.get("account_id")) if request.method == "POST" else activity.account_id
    form = ActivityForm(request.POST or None, initial=initial, **_link_choices(actor, account_id, activity))
    if request.method == "POST" and form.is_valid():
        try:
            activities.activity_update(actor=actor, activity=activity, version=form.cleaned_data["version"], data=form.service_data())
        except GuanxiError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:activity_detail", pk=activity.pk)
    return render(request, "sales/activities/activity_form.html", {"form": form, "activity": activity, "creating": False})


def _back(request: HttpRequest, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    activity = lifecycle.get_editable(actor, Activity, pk)
    form = CompleteForm(request.POST)
    version = form.cleaned_data.get("version") if form.is_valid() else None
    result = form.cleaned_data.get("result") if form.is_valid() else None
    try:
        activities.activity_complete(actor=actor, activity=activity, version=version, result=result or None)
    except GuanxiError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Marked as done: %(subject)s") % {"subject": activity.subject})
    return redirect(_back(request, reverse("sales:activity_detail", kwargs={"pk": activity.pk})))


@require_POST
def activity_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    activity = lifecycle.get_editable(actor, Activity, pk)
    try:
        activities.activity_reopen(actor=actor, activity=activity, version=_int(request.POST.get("version")))
    except GuanxiError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Reopened."))
    return redirect("sales:activity_detail", pk=activity.pk)


# --- SPIN call plans -------------------------------------------------------------------------------

def _grouped(questions: list[Any], bound_field: Any = None) -> list[dict[str, Any]]:
    """Questions grouped S, P, I, N for the template (with their checkbox widgets when given)."""
    widgets = {int(w.data["value"]): w for w in bound_field} if bound_field is not None else {}
    groups = []
    for kind in SpinKind:
        items = [{"question": q, "widget": widgets.get(q.pk)} for q in questions if q.kind == kind.value]
        groups.append({"kind": kind.value, "label": kind.label, "items": items})
    return groups


@require_http_methods(["GET", "POST"])
def call_plan_create(request: HttpRequest) -> HttpResponse:
    """Plan a SPIN call. ``?activity=`` plans an existing call or visit; otherwise the call or visit
    is created with its plan in one form, linked to ``?opportunity=`` (or ``?account=``). Library
    questions are those of the account's industry and those for every industry."""
    actor = _user(request)
    activity: Activity | None = None
    activity_id = request.GET.get("activity")
    if activity_id is not None:
        activity = lifecycle.get_editable(actor, Activity, _int(activity_id))
        if CallPlan.objects.filter(activity=activity).exists():
            messages.info(request, _("This activity already has a call plan."))
            return redirect("sales:activity_detail", pk=activity.pk)
        account = activity.account
        opportunity = activity.opportunity
    else:
        _require_can_create(actor)
        opportunity = None
        if request.GET.get("opportunity"):
            opportunity = lifecycle.get_visible(actor, Opportunity, _int(request.GET.get("opportunity")))
            if not editable_by(actor, opportunity):
                raise PermissionDenied()
        account = opportunity.account if opportunity else None
        if account is None and request.GET.get("account"):
            account = lifecycle.get_visible(actor, Account, _int(request.GET.get("account")))
    industry = (account.industry if account is not None else "") or ""
    library = list(spin.question_library(actor, industry if account is not None else None))
    initial: dict[str, Any] = {"kind": ActivityKind.VISIT}
    if opportunity is not None:
        initial["subject"] = _("Visit: %(name)s") % {"name": opportunity.name}
    form = CallPlanForm(request.POST or None, library=library, with_activity=activity is None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = _create_plan(actor, form, activity, account, opportunity)
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=lambda f: {"questions": "library_questions"}.get(f, f))
        else:
            messages.success(request, _("Call plan saved. After the call, log what happened."))
            return redirect("sales:activity_detail", pk=plan.activity_id)
    return render(request, "sales/activities/call_plan_form.html", {
        "form": form, "activity": activity, "account": account, "opportunity": opportunity, "industry": industry,
        "groups": _grouped(library, form["library_questions"]),
        "custom_fields": [form[f"custom_{k}"] for k in "SPIN"],
    })


def _create_plan(actor: User, form: CallPlanForm, activity: Activity | None, account: Account | None,
                 opportunity: Opportunity | None) -> CallPlan:
    from django.db import transaction

    with transaction.atomic():
        if activity is None:
            data = {"kind": form.cleaned_data["kind"], "subject": form.cleaned_data["subject"],
                    "due_at": form.cleaned_data.get("due_at") or None}
            if opportunity is not None:
                data["opportunity_id"] = opportunity.pk
            if account is not None:
                data["account_id"] = account.pk
            activity = activities.activity_create(actor=actor, data=data)
        return spin.call_plan_create(actor=actor, activity=activity, objective=form.cleaned_data.get("objective", ""),
                                     questions=form.questions())


@require_http_methods(["GET", "POST"])
def call_plan_log(request: HttpRequest, pk: int) -> HttpResponse:
    """After the call: questions asked, needs found, the outcome and the next step (DOMAIN §2)."""
    actor = _user(request)
    plan = CallPlan.objects.filter(pk=pk, activity__in=visible_to(actor, Activity.objects.all()).values("pk")).select_related(
        "activity", "activity__account", "activity__opportunity").first()
    if plan is None:
        raise NotFound()
    if not editable_by(actor, plan.activity):
        raise PermissionDenied()
    if plan.logged_at is not None:
        messages.info(request, _("This call has already been logged."))
        return redirect("sales:activity_detail", pk=plan.activity_id)
    planned = list(plan.questions.all())
    form = CallLogForm(request.POST or None, planned=planned, initial={"version": plan.version})
    if request.method == "POST" and form.is_valid():
        try:
            spin.call_log(
                actor=actor, plan=plan, version=form.cleaned_data["version"],
                asked_question_ids=form.cleaned_data["asked"], extra_asked=form.extra(),
                hidden_needs=lines(form.cleaned_data["hidden_needs"]), explicit_needs=lines(form.cleaned_data["explicit_needs"]),
                outcome=form.cleaned_data["outcome"], next_step=form.next_step(),
            )
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=_log_field)
        else:
            messages.success(request, _("Call logged."))
            return redirect("sales:activity_detail", pk=plan.activity_id)
    return render(request, "sales/activities/call_log_form.html", {
        "form": form, "plan": plan, "activity": plan.activity, "groups": _grouped(planned, form["asked"]),
        "extra_fields": [form[f"extra_{k}"] for k in "SPIN"],
    })


def _log_field(field: str) -> str:
    return {"asked_question_ids": "asked", "extra_asked": "extra_S", "next_step.kind": "next_kind",
            "next_step.subject": "next_subject", "next_step.due_at": "next_due_at"}.get(field, field)


# --- the SPIN question library ---------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def spin_library(request: HttpRequest) -> HttpResponse:
    """Everyone reads the library; sales managers and administrators add questions here."""
    actor = _user(request)
    curator = spin.can_curate(actor)
    industry = request.GET.get("industry", "").strip()
    form = SpinQuestionForm(request.POST or None, initial={"industry": industry, "active": True})
    if request.method == "POST":
        if not curator:
            raise PermissionDenied(_("Only sales managers and administrators may change the question library."))
        if form.is_valid():
            try:
                spin.question_create(actor=actor, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"],
                                     industry=form.cleaned_data["industry"])
            except GuanxiError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Question added."))
                return redirect(f"{reverse('sales:spin_library')}?industry={form.cleaned_data['industry']}")
    qs = spin.question_library(actor, include_inactive=curator)
    if industry:
        qs = qs.filter(Q(industry=industry) | Q(industry=""))
    questions = list(qs[:1000])
    industries = sorted(set(SpinQuestion.objects.exclude(industry="").values_list("industry", flat=True).distinct()))
    return render(request, "sales/activities/spin_library.html", {
        "form": form, "curator": curator, "groups": _grouped(questions), "industry": industry, "industries": industries,
    })


def _curated_question(actor: User, pk: int) -> SpinQuestion:
    if not spin.can_curate(actor):
        raise PermissionDenied(_("Only sales managers and administrators may change the question library."))
    question = SpinQuestion.objects.filter(pk=pk).first()
    if question is None:
        raise NotFound()
    return question


@require_http_methods(["GET", "POST"])
def spin_question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    question = _curated_question(actor, pk)
    form = SpinQuestionForm(request.POST or None, initial={"kind": question.kind, "text": question.text,
                                                           "industry": question.industry, "active": question.active})
    if request.method == "POST" and form.is_valid():
        try:
            spin.question_update(actor=actor, question=question, data=dict(form.cleaned_data))
        except GuanxiError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:spin_library")
    return render(request, "sales/activities/spin_question_form.html", {"form": form, "question": question})


@require_POST
def spin_question_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    question = _curated_question(actor, pk)
    spin.question_deactivate(actor=actor, question=question)
    messages.success(request, _("The question is no longer offered to reps."))
    return redirect("sales:spin_library")
