"""Approval pages at /approvals/: my inbox (what waits for me, and what I asked for), a request with
the object's description, its payload, the history of decisions and the decision form; and the
administrators' list of flows with a form for a new one. Thin: every rule is in ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.approvals import services
from guanxi.approvals.forms import DecisionForm, FlowForm, StepFormSet
from guanxi.approvals.models import ApprovalFlow, ApprovalRequest, RequestState
from guanxi.approvals.registry import get_action
from guanxi.approvals.rules import describe_condition
from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed
from guanxi.core.pagination import keyset_page_or_first


def add_service_errors(form: Any, exc: GuanxiError) -> None:
    """A service error on its form: field errors next to their inputs, the rest on top."""
    if isinstance(exc, ValidationFailed) and exc.errors:
        for field, errs in exc.errors.items():
            for err in errs:
                form.add_error(field if field in form.fields else None, err)
    else:
        form.add_error(None, exc.detail)


@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    page = keyset_page_or_first(services.inbox(request.user), order=("-id",),  # type: ignore[arg-type]
                                after=request.GET.get("after") or None, limit=50)
    mine = list(services.my_requests(request.user).order_by("-id")[:20])  # type: ignore[arg-type]
    return render(request, "approvals/inbox.html", {"page": page, "mine": mine})


def _detail_context(request: HttpRequest, req: ApprovalRequest, form: DecisionForm | None = None) -> dict[str, Any]:
    spec = get_action(req.action)
    target = services.target_of(req)
    awaiting = services.approvers_for(req)
    fields = spec.fields if spec else {}
    return {
        "req": req, "action_label": spec.label if spec else req.action,
        "description": spec.description(target) if spec else str(target or ""), "object_url": spec.link(target) if spec else None,
        "payload": [(key, value, fields.get(key, "")) for key, value in sorted(req.payload.items())],
        "decisions": list(req.decisions.select_related("approver")), "awaiting": awaiting, "steps": services.steps_of(req),
        "can_decide": any(u.pk == request.user.pk for u in awaiting),
        "can_cancel": req.state == RequestState.PENDING and (request.user.is_admin or req.requester_id == request.user.pk),  # type: ignore[union-attr]
        "form": form or DecisionForm(),
    }


@require_http_methods(["GET"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = services.get_request(request.user, pk)
    return render(request, "approvals/request_detail.html", _detail_context(request, req))


@require_http_methods(["POST"])
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    req = services.get_request(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()  # the service decides what is wrong, after who may decide (403 before 422)
    try:
        req = services.approval_decide(actor=request.user, request=req, decision=request.POST.get("decision", ""),  # type: ignore[arg-type]
                                       comment=request.POST.get("comment", ""))
    except ValidationFailed as exc:
        form = DecisionForm(request.POST)
        form.is_valid()
        add_service_errors(form, exc)
        return render(request, "approvals/request_detail.html", _detail_context(request, req, form), status=422)
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
        return redirect("approvals:request_detail", pk=pk)
    messages.success(request, {"approved": _("Approved."), "rejected": _("Rejected."), "returned": _("Returned for changes."),
                               "pending": _("Approved; the request moves on.")}.get(req.state, _("Saved.")))
    return redirect("approvals:inbox")


@require_http_methods(["POST"])
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    req = services.get_request(request.user, pk)
    try:
        services.approval_cancel(actor=request.user, request=req)  # type: ignore[arg-type]
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Request cancelled."))
    return redirect("approvals:request_detail", pk=pk)


def _flow_rows() -> list[dict[str, Any]]:
    rows = []
    for flow in ApprovalFlow.objects.prefetch_related("steps").order_by("action", "priority", "id"):
        spec = get_action(flow.action)
        rows.append({"flow": flow, "action_label": spec.label if spec else flow.action,
                     "condition": describe_condition(flow.condition or {}),
                     "steps": sorted(flow.steps.all(), key=lambda s: s.position)})
    return rows


@require_http_methods(["GET", "POST"])
def flows(request: HttpRequest) -> HttpResponse:
    services.require_admin(request.user)  # type: ignore[arg-type]
    form = FlowForm(request.POST or None)
    steps = StepFormSet(request.POST or None, prefix="steps")
    status = 200
    if request.method == "POST":
        if form.is_valid() and steps.is_valid():
            rows = [s for s in (f.step() for f in steps.forms) if s]
            try:
                services.flow_create(actor=request.user, action=form.cleaned_data["action"],  # type: ignore[arg-type]
                                     name=form.cleaned_data["name"], condition=form.condition(),
                                     priority=form.cleaned_data["priority"], active=form.cleaned_data["active"], steps=rows)
            except GuanxiError as exc:
                if exc.status in (403, 404):
                    raise
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Approval flow created."))
                return redirect("approvals:flows")
        status = 422
    return render(request, "approvals/flows.html", {"rows": _flow_rows(), "form": form, "steps": steps}, status=status)


def _admin_flow(request: HttpRequest, pk: int) -> ApprovalFlow:
    services.require_admin(request.user)  # type: ignore[arg-type]
    flow = ApprovalFlow.objects.filter(pk=pk).first()
    if flow is None:
        raise NotFound()
    return flow


@require_http_methods(["POST"])
def flow_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _admin_flow(request, pk)
    services.flow_update(actor=request.user, flow=flow, data={"active": not flow.active})  # type: ignore[arg-type]
    messages.success(request, _("Flow activated.") if not flow.active else _("Flow deactivated."))
    return redirect("approvals:flows")


@require_http_methods(["POST"])
def flow_delete(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _admin_flow(request, pk)
    try:
        services.flow_delete(actor=request.user, flow=flow)  # type: ignore[arg-type]
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Flow deleted."))
    return redirect("approvals:flows")
