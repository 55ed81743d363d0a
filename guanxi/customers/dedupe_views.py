from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound
from guanxi.customers import dedupe
from guanxi.customers.models import Account, DuplicateCandidate


def duplicate_list(request: HttpRequest) -> HttpResponse:
    queue = dedupe.duplicate_queue(actor=request.user)[:100]  # type: ignore[arg-type]
    return render(request, "customers/duplicates.html", {"candidates": queue})


def _candidate(request: HttpRequest, pk: int) -> DuplicateCandidate:
    candidate = dedupe.duplicate_queue(actor=request.user).filter(pk=pk).first()  # type: ignore[arg-type]
    if candidate is None:
        raise NotFound()
    return candidate  # type: ignore[no-any-return]


@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    dedupe.duplicate_dismiss(actor=request.user, candidate=_candidate(request, pk))  # type: ignore[arg-type]
    messages.success(request, _("Marked as not a duplicate."))
    return redirect("customers:duplicates")


@require_http_methods(["GET", "POST"])
def account_merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """Side-by-side merge screen: pick each field's value; contacts, orders and history move."""
    survivor = lifecycle.get_editable(request.user, Account, pk)
    merged = lifecycle.get_editable(request.user, Account, other)
    if survivor.pk == merged.pk:
        raise NotFound()
    rows = [
        {"field": f, "label": getattr(Account._meta.get_field(f), "verbose_name", f), "survivor": getattr(survivor, f), "merged": getattr(merged, f)}
        for f in dedupe.MERGEABLE_FIELDS
    ]
    error = ""
    if request.method == "POST":
        choices = {f: request.POST.get(f"choice_{f}", "survivor") for f in dedupe.MERGEABLE_FIELDS}
        try:
            result = dedupe.account_merge(actor=request.user, survivor=survivor, merged=merged, choices=choices)  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status == 404:
                raise
            error = exc.detail
        else:
            messages.success(request, _("Merged. The other record is in the trash and can be restored for 30 days."))
            return redirect("customers:account_detail", pk=result.pk)
    return render(request, "customers/merge.html", {"survivor": survivor, "merged": merged, "rows": rows, "error": error})
