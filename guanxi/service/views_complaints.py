"""Complaint pages for staff at /service/complaints/ (客户投诉, DOMAIN §4 "Complaints"; issue 6 items
1–3): the list with its filters and SLA timers, the complaint page that walks the handling procedure
(E, L → A, remedy and 分清责任 → resolution → the customer's confirmation or a manager's override →
follow-up visit 回访 → closed; reopen), notes, assigning and deleting. Creating and editing are in
``views_complaints_edit``.

Thin, like the API in ``api_complaints``: every read starts from ``visible_to`` (not visible → 404,
visible but not editable → 403) and every write is one call to ``guanxi.service.complaints``, whose
errors come back onto the forms. A complaint whose compensation waits for approval is locked: its
forms are disabled and the page links to the approval request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guanxi.approvals import services as approvals
from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, ValidationFailed, VersionConflict
from guanxi.core.listing import ListParamError, ListParams
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Account
from guanxi.service import complaint_flow as flow
from guanxi.service import complaints as services
from guanxi.service import sla
from guanxi.service.business_hours import SlaStatus
from guanxi.service.calendars import CalendarCache
from guanxi.service.forms_complaints import COMPLAINT_LIST, AssignForm, NoteForm, TransitionForm, label
from guanxi.service.models import Complaint, ComplaintEvent, ComplaintState, ComplaintType, FollowUpTrigger, FollowUpVisit
from guanxi.users.models import Department, User
from guanxi.users.visibility import can_see, editable_by, visible_to

PAGE_SIZE = 50
STALE_MESSAGE = gettext_lazy("Someone else changed this complaint after you opened it, so nothing was saved. The page now "
                             "shows the complaint as it is; check it and submit again.")


# --- SLA timers -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timer:
    """One SLA timer as the page shows it: what is due, by when, and how it stands in business time."""

    name: str
    due_at: datetime
    text: str
    css: str  # ok / overdue / met / late


def _business(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    return _("%(minutes)d min") % {"minutes": rest}


def timer(name: str, status: SlaStatus | None) -> Timer | None:
    if status is None:
        return None
    span = _business(status.remaining_minutes)
    if status.done:
        text, css = (_("met late, %(time)s over") % {"time": span}, "late") if status.breached else (_("met"), "met")
    elif status.breached:
        text, css = _("overdue by %(time)s") % {"time": span}, "overdue"
    else:
        text, css = _("%(time)s left") % {"time": span}, "ok"
    if status.paused:
        text += " " + _("(paused)")
    return Timer(name=name, due_at=status.due_at, text=text, css=css)


def timers(complaint: Complaint, *, now: datetime, cache: CalendarCache) -> tuple[Timer | None, Timer | None]:
    state = sla.sla_state(complaint, now, cache=cache)
    return timer(_("Response"), state.response), timer(_("Resolution"), state.resolution)


def current_timer(pair: tuple[Timer | None, Timer | None], complaint: Complaint) -> Timer | None:
    """The timer that matters now: the response until someone answered, then the resolution."""
    response, resolution = pair
    return response if complaint.responded_at is None and response is not None else resolution


# --- list -------------------------------------------------------------------------------------------

def complaints_filtered(actor: User, params: ListParams) -> QuerySet[Complaint]:
    """Visible complaints matching the list parameters, with what a row shows (no query per row)."""
    qs = COMPLAINT_LIST.apply(visible_to(actor, Complaint.objects.all()), params, actor)
    q = params.filters.get("q", [""])[0].strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(account__name__icontains=q)
                       | Q(submitter_name__icontains=q))
    return qs.select_related("complaint_type", "account", "owner", "sla_policy")


def _filter_widgets(params: ListParams, users: list[User]) -> list[dict[str, object]]:
    active = params.filters
    filters = COMPLAINT_LIST.all_filters()
    types = [(str(t.pk), f"{t.get_category_display()} · {t.name}") for t in ComplaintType.objects.all()]
    widgets: list[dict[str, object]] = []
    for name in ("state", "category", "type", "channel", "severity", "owner", "breached"):
        chosen = set(active.get(name, []))
        if name == "type":
            options = [(v, text, v in chosen) for v, text in types]
        elif name == "owner":
            options = [("me", _("Me"), "me" in chosen), ("none", _("Nobody (new-complaints queue)"), "none" in chosen)]
            options += [(str(u.pk), str(u), str(u.pk) in chosen) for u in users]
        else:
            options = [(v, text, v in chosen) for v, text in filters[name].choices]
        widgets.append({"name": name, "label": filters[name].label, "kind": "choice", "options": options})
    widgets.append({"name": "opened", "label": filters["opened"].label, "kind": "date", "lo": "from", "hi": "to",
                    "from": active.get("opened__from", [""])[0], "to": active.get("opened__to", [""])[0]})
    return widgets


@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    error = ""
    after = request.GET.get("after") or None
    try:
        params = COMPLAINT_LIST.parse(request.GET)
        page = keyset_page_or_first(complaints_filtered(request.user, params), order=COMPLAINT_LIST.order(params),  # type: ignore[arg-type]
                                    after=after, limit=PAGE_SIZE)
    except ListParamError as exc:
        error, params = exc.detail, COMPLAINT_LIST.parse({})
        page = keyset_page_or_first(complaints_filtered(request.user, params), order=COMPLAINT_LIST.order(params),  # type: ignore[arg-type]
                                    limit=PAGE_SIZE)
    now, cache = timezone.now(), CalendarCache()
    rows = [(c, current_timer(timers(c, now=now, cache=cache), c)) for c in page.items]
    account_id = params.filters.get("account", [""])[0]
    account = None
    if account_id.isdigit() and int(account_id) < 2**63:
        account = visible_to(request.user, Account.objects.filter(pk=int(account_id))).only("pk", "name").first()
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    without_account = urlencode({k: v for k, v in params.as_querydict().items() if k != "account"}, doseq=True)
    context = {
        "page": page, "rows": rows, "columns": COMPLAINT_LIST.visible_columns(params), "params": params, "sort": params.sort,
        "q": params.filters.get("q", [""])[0], "query": urlencode(params.as_querydict(), doseq=True), "error": error,
        "filter_widgets": _filter_widgets(params, users), "active": any(k != "q" for k in params.filters),
        "account_filter": account, "account_id": account_id, "without_account": without_account,
    }
    template = "service/complaints/partials/rows.html" if request.htmx else "service/complaints/list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


# --- the complaint page -----------------------------------------------------------------------------

STEPS = (
    (flow.NEW, gettext_lazy("Complaint received")),
    (flow.ACKNOWLEDGED, gettext_lazy("Empathy and listening (E, L)")),
    (flow.REMEDY_AGREED, gettext_lazy("Apology and remedy (A), responsibility (分清责任)")),
    (flow.RESOLVED, gettext_lazy("Resolution")),
    (flow.CONFIRMED, gettext_lazy("The customer's confirmation")),
    (flow.CLOSED, gettext_lazy("Follow-up visit (回访) and closing")),
)
MOVE_LABELS = {
    flow.ACKNOWLEDGED: gettext_lazy("Acknowledge: record empathy and listening"),
    flow.REMEDY_AGREED: gettext_lazy("Record the apology, the remedy and who is responsible"),
    flow.RESOLVED: gettext_lazy("Mark as resolved"),
    flow.CONFIRMED: gettext_lazy("Record the customer's confirmation"),
    flow.CLOSED: gettext_lazy("Close and schedule the follow-up visit"),
}
EVENT_LABELS = {
    "created": gettext_lazy("Filed"), "state": gettext_lazy("Moved"), "note": gettext_lazy("Internal note"),
    "public_message": gettext_lazy("Message to the customer"), "escalated": gettext_lazy("SLA breach escalated"),
    "reassigned": gettext_lazy("Reassigned"), "comp_requested": gettext_lazy("Compensation sent for approval"),
    "comp_approved": gettext_lazy("Compensation approved"), "comp_rejected": gettext_lazy("Compensation rejected"),
    "comp_returned": gettext_lazy("Compensation returned for changes"),
}


def _people() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("username")
            .only("pk", "username", "display_name", "first_name", "last_name")]


def _departments() -> list[tuple[int, str]]:
    return [(d.pk, d.name) for d in Department.objects.order_by("name").only("pk", "name")]


def _move_label(current: str, target: str) -> str:
    if flow.is_reopen(current, target):
        return _("Reopen")
    if flow.is_override(current, target):
        return _("Close without the customer's confirmation (manager)")
    return str(MOVE_LABELS.get(target, target))


def _moves(actor: User, c: Complaint, *, people: list[tuple[int, str]], departments: list[tuple[int, str]],
           bound: TransitionForm | None) -> list[dict[str, Any]]:
    """One form per move the procedure allows from here; an override only for those who may make it."""
    order = {s: i for i, s in enumerate(flow.STATES)}
    targets = sorted(flow.allowed_targets(c.state), key=lambda t: (flow.is_reopen(c.state, t), order[t]))
    manager = services.is_manager(actor, c)
    moves = []
    for target in targets:
        if flow.is_override(c.state, target) and not manager:
            continue
        form = bound if bound is not None and bound.target == target else TransitionForm(
            complaint=c, target=target, departments=departments, people=people)
        needs = [label(n) for n in form.names if n not in ("compensation_currency", "reopen_reason", "override_reason")]
        moves.append({"target": target, "label": _move_label(c.state, target), "form": form, "needs": needs,
                      "reopen": flow.is_reopen(c.state, target), "override": flow.is_override(c.state, target)})
    return moves


def _value(c: Complaint, name: str) -> Any:
    if name in ("responsible_department", "responsible_person"):
        return getattr(c, name) if getattr(c, f"{name}_id") else None
    return getattr(c, name)


def _steps(c: Complaint) -> list[dict[str, Any]]:
    here = flow.STATES.index(c.state)
    overridden = c.state == flow.CLOSED and bool(c.override_reason) and not c.customer_confirmation
    steps = []
    for i, (state, title) in enumerate(STEPS):
        names = flow.required_records(state)
        records = [{"name": n, "label": label(n), "value": _value(c, n), "filled": not flow.is_blank(_value(c, n))} for n in names]
        status = "done" if i <= here else "next" if i == here + 1 else "todo"
        steps.append({"state": state, "title": title, "records": records, "status": status,
                      "skipped": overridden and state == flow.CONFIRMED})
    return steps


def _follow_up(actor: User, c: Complaint) -> dict[str, Any] | None:
    """The follow-up visit closing scheduled (the account's owner does it; the link only if visible)."""
    if c.state != flow.CLOSED:
        return None
    visit = (FollowUpVisit.objects.filter(trigger=FollowUpTrigger.COMPLAINT_CLOSED, source_id=c.pk).select_related("owner")
             .order_by("-id").first())
    if visit is None:
        return None
    url = ""
    if can_see(actor, visit):
        try:
            url = reverse("service:followup_detail", args=[visit.pk])
        except NoReverseMatch:
            url = ""
    return {"visit": visit, "url": url}


def _page(request: HttpRequest, pk: int, *, bound: TransitionForm | None = None, note_form: NoteForm | None = None,
          assign_form: AssignForm | None = None, problem: str = "", status: int = 200) -> HttpResponse:
    found = services.get_complaint(request.user, pk)
    c = (Complaint.objects.select_related("complaint_type", "account", "contact", "order", "owner", "team", "sla_policy",
                                          "responsible_department", "responsible_person").get(pk=found.pk))
    can_edit = editable_by(request.user, c)
    pending = services.pending_compensation(c)
    people = _people()
    response_timer, resolution_timer = timers(c, now=timezone.now(), cache=CalendarCache())
    events = list(ComplaintEvent.objects.filter(complaint=c).select_related("actor").order_by("-at", "-id")[:200])
    states = dict(ComplaintState.choices)
    context = {
        "c": c, "can_edit": can_edit, "pending": pending, "locked": pending is not None,
        "awaiting": approvals.approvers_for(pending) if pending else [],
        "response_timer": response_timer, "resolution_timer": resolution_timer,
        "steps": _steps(c), "problem": problem,
        "moves": _moves(request.user, c, people=people, departments=_departments(), bound=bound) if can_edit else [],  # type: ignore[arg-type]
        "is_manager": services.is_manager(request.user, c),  # type: ignore[arg-type]
        "events": [(e, EVENT_LABELS.get(e.kind, e.kind), states.get(e.from_state, ""), states.get(e.to_state, "")) for e in events],
        "note_form": note_form or NoteForm(), "assign_form": assign_form or AssignForm(people=people, initial={"version": c.version}),
        "account_visible": c.account is not None and can_see(request.user, c.account),
        "follow_up": _follow_up(request.user, c),  # type: ignore[arg-type]
    }
    return render(request, "service/complaints/detail.html", context, status=status)


@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def _shown(actor: User, c: Complaint, target: str) -> bool:
    """Whether the complaint page shows a form for this move (see ``_moves``)."""
    return target in flow.allowed_targets(c.state) and (not flow.is_override(c.state, target) or services.is_manager(actor, c))


def _stale(form: Any, exc: VersionConflict) -> None:
    """Keep what the person typed, with the current version: submitting again is then a choice
    made after seeing the complaint as it now is."""
    form.add_error(None, str(STALE_MESSAGE))
    data = form.data.copy()
    data[form.add_prefix("version")] = str(exc.current_version)
    form.data = data


@require_POST
def complaint_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """POST target, version and the records of that move (one form per move on the page)."""
    complaint = lifecycle.get_editable(request.user, Complaint, pk)
    target = str(request.POST.get("target", ""))[:20]
    form = TransitionForm(request.POST, complaint=complaint, target=target, departments=_departments(), people=_people())
    shown = _shown(request.user, complaint, target)  # type: ignore[arg-type]

    def refused(status: int) -> HttpResponse:
        # The messages go on the form; when the page shows no form for this move, at the top.
        problem = "" if shown else " ".join(str(m) for errs in form.errors.values() for m in errs)
        return _page(request, pk, bound=form if shown else None, problem=problem, status=status)

    if not form.is_valid():
        return refused(422)
    try:
        saved = services.complaint_transition(actor=request.user, complaint=complaint, target=target,  # type: ignore[arg-type]
                                              records=form.records(), version=form.cleaned_data["version"],
                                              override_reason=form.override_reason())
    except VersionConflict as exc:
        _stale(form, exc)
        return refused(409)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return refused(422)
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        form.add_error(None, exc.detail)
        return refused(exc.status)
    if saved.state != target and services.pending_compensation(saved) is not None:
        messages.warning(request, _("The compensation needs approval first. The other records are saved; the complaint "
                                    "is locked and moves on once the approver agrees."))
    else:
        messages.success(request, _("Complaint %(number)s is now “%(state)s”.") % {
            "number": saved.number, "state": ComplaintState(saved.state).label})
    return redirect("service:complaint_detail", pk=pk)


@require_POST
def complaint_note(request: HttpRequest, pk: int) -> HttpResponse:
    """An internal note, or a message the customer reads on their status page. Notes change nothing
    on the complaint, so they need no version and stay possible while it is locked."""
    complaint = lifecycle.get_editable(request.user, Complaint, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_note_add(actor=request.user, complaint=complaint, text=form.cleaned_data["text"],  # type: ignore[arg-type]
                                        public=form.cleaned_data["public"])
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
    if form.errors:
        return _page(request, pk, note_form=form, status=422)
    messages.success(request, _("Message to the customer added.") if form.cleaned_data["public"] else _("Note added."))
    return redirect(f"{reverse('service:complaint_detail', args=[pk])}#history")


@require_POST
def complaint_assign(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = lifecycle.get_editable(request.user, Complaint, pk)
    form = AssignForm(request.POST, people=_people())
    if form.is_valid():
        new_owner = User.objects.filter(pk=form.cleaned_data["owner"], is_active=True).first()
        try:
            if new_owner is None:
                raise ValidationFailed({"owner": [_("Choose an active user.")]})
            services.complaint_assign(actor=request.user, complaint=complaint, new_owner=new_owner,  # type: ignore[arg-type]
                                      version=form.cleaned_data["version"])
        except VersionConflict as exc:
            _stale(form, exc)
            return _page(request, pk, assign_form=form, status=409)
        except GuanxiError as exc:
            if exc.status == 404:
                raise
            add_service_errors(form, exc)
            return _page(request, pk, assign_form=form, status=exc.status)
        messages.success(request, _("Complaint handed to %(user)s.") % {"user": new_owner})
        # The new owner may be the only one who can still see it.
        if not can_see(request.user, complaint):
            return redirect("service:complaint_list")
        return redirect("service:complaint_detail", pk=pk)
    return _page(request, pk, assign_form=form, status=422)


@require_POST
def complaint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = lifecycle.get_editable(request.user, Complaint, pk)
    try:
        if services.is_locked(complaint):
            raise ValidationFailed({"version": [str(_("This complaint waits for the approval of its compensation; it cannot "
                                                      "change until the approver decides."))]})
        services.complaint_delete(actor=request.user, complaint=complaint, version=_version(request))  # type: ignore[arg-type]
    except VersionConflict:
        return _page(request, pk, problem=str(STALE_MESSAGE), status=409)
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        return _page(request, pk, problem=" ".join(str(m) for errs in getattr(exc, "errors", {}).values() for m in errs) or exc.detail,
                     status=exc.status)
    messages.success(request, _("Complaint %(number)s deleted; it can be restored from the trash.") % {"number": complaint.number})
    return redirect("service:complaint_list")
