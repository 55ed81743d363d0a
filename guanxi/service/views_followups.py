"""Follow-up visit pages at /service/followups/ (回访, DOMAIN §4 "Follow-up visit after service"; issue
6 item 7): the list (mine by default; due, overdue, open, done; by owner and reason), a visit with
the form that records its outcome and the customer's satisfaction, and the administrators' page of
the rules that schedule visits.

Thin like ``api_surveys``: the list starts from ``followups.follow_ups_for`` / ``followups.overdue``
/ ``followups.due_soon`` (``visible_to``), a visit is fetched with ``lifecycle.get_visible`` (not
visible → 404), and recording the outcome is one call to ``followups.followup_complete`` (visible
but not editable → 403). Rules are administrators' business (``followups.require_admin``: 403 for
anyone else).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound, PermissionDenied
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Order, ValueTier
from guanxi.service import followups
from guanxi.service.forms_care import CompleteForm, RuleForm
from guanxi.service.models import Complaint, FollowUpRule, FollowUpTrigger, FollowUpVisit
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, visible_to

PAGE_SIZE = 50
STATUSES = {
    "open": gettext_lazy("Not done"),
    "due": gettext_lazy("Due in the next 7 days"),
    "overdue": gettext_lazy("Overdue"),
    "done": gettext_lazy("Done"),
    "all": gettext_lazy("All"),
}
ORDERS: dict[str, tuple[str, ...]] = {
    "open": ("due_at", "id"), "due": ("due_at", "id"), "overdue": ("due_at", "id"),
    "done": ("-done_at", "-id"), "all": ("-due_at", "-id"),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


# --- the list ------------------------------------------------------------------------------------

def followups_filtered(actor: User, *, status: str, owner: str, trigger: str) -> QuerySet[FollowUpVisit]:
    """Visible visits of one status, owner ("me", "all" or a user id) and reason, with what a row
    shows (no query per row)."""
    now = timezone.now()
    if status == "overdue":
        qs = followups.overdue(actor, now=now)
    elif status == "due":
        qs = followups.due_soon(actor, now=now)
    else:
        qs = followups.follow_ups_for(actor)
        if status == "open":
            qs = qs.filter(done_at__isnull=True)
        elif status == "done":
            qs = qs.filter(done_at__isnull=False)
    if owner == "me":
        qs = qs.filter(owner_id=actor.pk)
    elif owner != "all":
        qs = qs.filter(owner_id=int(owner))
    if trigger:
        qs = qs.filter(trigger=trigger)
    return qs.select_related("account", "owner", "contact")


def _params(request: HttpRequest) -> tuple[str, str, str]:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    owner = request.GET.get("owner", "me")
    owner = owner if owner in ("me", "all") or _int(owner) is not None else "me"
    trigger = request.GET.get("trigger", "")
    trigger = trigger if trigger in FollowUpTrigger.values else ""
    return status, owner, trigger


@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    status, owner, trigger = _params(request)
    qs = followups_filtered(actor, status=status, owner=owner, trigger=trigger)
    page = keyset_page_or_first(qs, order=ORDERS[status], after=request.GET.get("after") or None, limit=PAGE_SIZE)
    overdue = followups_filtered(actor, status="overdue", owner=owner, trigger=trigger).count() if status != "overdue" else None
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("owner", owner), ("trigger", trigger)) if v)
    return render(request, "service/followups/list.html", {
        "page": page, "status": status, "owner": owner, "trigger": trigger, "now": timezone.now(),
        "statuses": list(STATUSES.items()), "triggers": FollowUpTrigger.choices, "users": users, "query": query,
        "overdue_count": overdue, "is_admin": bool(actor.is_admin),
    })


# --- one visit -----------------------------------------------------------------------------------

def _source(actor: User, visit: FollowUpVisit) -> dict[str, Any] | None:
    """What triggered the visit, linked when the actor may see it."""
    if visit.source_id is None:
        return None
    if visit.trigger == FollowUpTrigger.COMPLAINT_CLOSED:
        complaint = visible_to(actor, Complaint.objects.filter(pk=visit.source_id)).only("pk", "number", "title").first()
        if complaint is not None:
            return {"label": f"{complaint.number} {complaint.title}", "url": reverse("service:complaint_detail", args=[complaint.pk])}
    elif visit.trigger == FollowUpTrigger.ORDER_DELIVERED:
        order = visible_to(actor, Order.objects.filter(pk=visit.source_id)).first()
        if order is not None:
            return {"label": str(order), "url": f"{reverse('customers:order_list')}?account={visit.account_id}"}
    return None


def _detail_page(request: HttpRequest, visit: FollowUpVisit, form: CompleteForm | None, *, status: int = 200) -> HttpResponse:
    actor = _user(request)
    editable = editable_by(actor, visit)
    if form is None and editable and visit.done_at is None:
        form = CompleteForm(initial={"version": visit.version})
    return render(request, "service/followups/detail.html", {
        "visit": visit, "form": form if editable and visit.done_at is None else None, "editable": editable,
        "source": _source(actor, visit), "contact_visible": visit.contact is not None and can_see(actor, visit.contact),
        "overdue": visit.done_at is None and visit.due_at < timezone.now(),
    }, status=status)


def _visit(request: HttpRequest, pk: int) -> FollowUpVisit:
    visit = lifecycle.get_visible(_user(request), FollowUpVisit, pk)
    return FollowUpVisit.objects.select_related("account", "contact", "owner", "rule").get(pk=visit.pk)


@require_GET
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _visit(request, pk), None)


@require_POST
def followup_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the outcome and the customer's satisfaction; errors come back onto the form."""
    actor = _user(request)
    visit = _visit(request, pk)
    if not editable_by(actor, visit):
        raise PermissionDenied(_("You can read this follow-up visit but not record its outcome."))
    form = CompleteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            followups.followup_complete(actor=actor, visit=visit, outcome=data["outcome"], satisfaction=data["satisfaction"],
                                        notes=data["notes"], version=data["version"])
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
            visit.refresh_from_db()
        else:
            messages.success(request, _("Outcome recorded. It shows on the account's timeline."))
            return redirect("service:followup_detail", pk=visit.pk)
    return _detail_page(request, visit, form, status=422)


# --- rules (administrators) ------------------------------------------------------------------------

def _rule(pk: int) -> FollowUpRule:
    rule = FollowUpRule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFound()
    return rule


@require_http_methods(["GET", "POST"])
def rule_list(request: HttpRequest) -> HttpResponse:
    """The rules and a form to add one."""
    actor = _user(request)
    followups.require_admin(actor)
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            followups.rule_create(actor=actor, data=form.cleaned_data)
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rule added."))
            return redirect("service:followup_rules")
    tiers = {value: str(label) for value, label in ValueTier.choices}
    return render(request, "service/followups/rules.html", {
        "rules": [(r, tiers.get(r.value_tier, r.value_tier) if r.value_tier else _("Any tier"))
                  for r in FollowUpRule.objects.order_by("trigger", "value_tier", "days_after", "id")],
        "form": form,
    }, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    followups.require_admin(actor)
    rule = _rule(pk)
    form = RuleForm(request.POST or None, initial={name: getattr(rule, name) for name in followups.RULE_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            followups.rule_update(actor=actor, rule=rule, data=form.cleaned_data)
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("service:followup_rules")
    return render(request, "service/followups/rule_form.html", {"form": form, "rule": rule},
                  status=422 if request.method == "POST" else 200)


@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    followups.require_admin(actor)
    followups.rule_delete(actor=actor, rule=_rule(pk))
    messages.success(request, _("Rule deleted. The visits it scheduled stay."))
    return redirect("service:followup_rules")
