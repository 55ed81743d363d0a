"""Import and export pages: upload → mapping (suggestions, saved templates) → dry run with row
errors → commit as a background job with a live progress bar → failed rows download. Exports of a
list with its current filters, streamed when small, a job with progress when large.

Thin views: every rule lives in importing / mapping / exporting (the API calls the same functions).
Uploads, templates, jobs and their files are private: anyone but their owner gets 404.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core.errors import GuanxiError, NotFound, PermissionDenied, ValidationFailed
from guanxi.dataio import exporting, importing, mapping
from guanxi.dataio.errors import MappingInvalid
from guanxi.dataio.jobs import get_job
from guanxi.dataio.models import ImportUpload, Job

SAMPLE_ROWS = 3


def _errors_of(exc: GuanxiError) -> list[str]:
    errors = getattr(exc, "errors", None) or exc.extra.get("errors") or {}
    out = [f"{field}: {message}" for field, messages_ in errors.items() for message in messages_]
    return out or [exc.detail]


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    object_type = request.POST.get("object_type") or request.GET.get("type") or "account"
    specs = [s for s in importing.specs() if s.can_import(request.user)]
    if not specs:  # a read-only role: a form with nothing to choose would only fail on upload
        raise PermissionDenied(_("You may not import records of this kind."))
    errors: list[str] = []
    if request.method == "POST":
        file = request.FILES.get("file")
        if file is None:
            errors.append(_("Choose a file to upload."))
        else:
            try:
                upload_ = importing.upload_create(actor=request.user, object_type=object_type, filename=file.name or "", data=file.read())
            except GuanxiError as exc:
                errors = _errors_of(exc)
            else:
                return redirect("dataio:mapping", upload_.pk)
    return render(request, "dataio/upload.html", {"specs": specs, "object_type": object_type, "errors": errors,
                                                  "uploads": ImportUpload.objects.filter(owner_id=request.user.pk).select_related("job")[:10]},
                  status=422 if errors else 200)


def _field_choices(spec: importing.ImportSpec) -> list[tuple[str, str]]:
    return [(f.name, str(f.label) + (" *" if f.required else "")) for f in spec.fields()]


@require_http_methods(["GET", "POST"])
def mapping_view(request: HttpRequest, pk: Any) -> HttpResponse:
    upload_ = importing.upload_get(actor=request.user, pk=pk)
    if upload_.job_id:
        return redirect("dataio:status", upload_.pk)
    spec = importing.get_spec(upload_.object_type)
    fields = spec.fields()
    errors: list[str] = []
    current = list(upload_.mapping)
    key = upload_.upsert_key
    if request.method == "POST":
        current = [request.POST.get(f"col_{i}", "") for i in range(len(upload_.headers))]
        key = request.POST.get("key", key)
        action = request.POST.get("action", "dry_run")
        try:
            if action == "save_template":
                mapping.template_save(actor=request.user, object_type=upload_.object_type, name=request.POST.get("template_name", ""),
                                      headers=upload_.headers, mapping=current, fields=fields)
                messages.success(request, _("Mapping template saved."))
            importing.upload_set_mapping(actor=request.user, upload=upload_, mapping=current, key=key)
        except (MappingInvalid, ValidationFailed) as exc:
            errors = _errors_of(exc)
        else:
            if action == "save_template":
                return redirect("dataio:mapping", upload_.pk)
            return redirect("dataio:dry_run", upload_.pk)
    elif request.GET.get("template"):
        template = mapping.template_get(actor=request.user, pk=request.GET["template"])
        current = mapping.mapping_from_template(upload_.headers, template.mapping, fields)
    table = importing.read_upload(upload_)
    samples = [cells for _n, cells in islice(table.rows(), SAMPLE_ROWS)]
    columns = [(i, header, current[i] if i < len(current) else "", [row[i] for row in samples]) for i, header in enumerate(upload_.headers)]
    return render(request, "dataio/mapping.html", {
        "upload": upload_, "spec": spec, "columns": columns, "choices": _field_choices(spec), "key": key,
        "templates": mapping.templates_for(actor=request.user, object_type=upload_.object_type), "errors": errors,
    }, status=422 if errors else 200)


@require_http_methods(["GET"])
def dry_run(request: HttpRequest, pk: Any) -> HttpResponse:
    upload_ = importing.upload_get(actor=request.user, pk=pk)
    if upload_.job_id:
        return redirect("dataio:status", upload_.pk)
    try:
        result = importing.import_dry_run(actor=request.user, upload=upload_)
    except (MappingInvalid, ValidationFailed) as exc:
        messages.error(request, " ".join(_errors_of(exc)))
        return redirect("dataio:mapping", upload_.pk)
    spec = importing.get_spec(upload_.object_type)
    return render(request, "dataio/dry_run.html", {"upload": upload_, "result": result, "spec": spec,
                                                   "key_label": spec.key(upload_.upsert_key).label})


@require_POST
def start(request: HttpRequest, pk: Any) -> HttpResponse:
    upload_ = importing.upload_get(actor=request.user, pk=pk)
    try:
        importing.import_start(actor=request.user, upload=upload_)
    except GuanxiError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
    return redirect("dataio:status", upload_.pk)


def status(request: HttpRequest, pk: Any) -> HttpResponse:
    upload_ = importing.upload_get(actor=request.user, pk=pk)
    if not upload_.job_id:
        return redirect("dataio:mapping", upload_.pk)
    job = Job.objects.get(pk=upload_.job_id)
    template = "dataio/partials/import_result.html" if request.htmx else "dataio/status.html"  # type: ignore[attr-defined]
    return render(request, template, {"upload": upload_, "job": job})


def failed_rows(request: HttpRequest, job_id: Any) -> HttpResponseBase:
    stored, name = importing.failed_rows_file(actor=request.user, job_id=job_id)
    return exporting.download_response(stored, name)


@require_POST
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = mapping.template_get(actor=request.user, pk=template_id)
    upload_id = request.POST.get("upload")
    mapping.template_delete(actor=request.user, pk=template.pk)
    messages.success(request, _("Mapping template deleted."))
    if upload_id:
        try:
            return redirect("dataio:mapping", importing.upload_get(actor=request.user, pk=upload_id).pk)
        except NotFound:
            pass
    return redirect("dataio:upload")


# --- export ---------------------------------------------------------------------------------------

EXPORT_CONTROL = {"csrfmiddlewaretoken", "format", "encoding", "columns_pick", "export_columns"}


def _export_params(request: HttpRequest) -> dict[str, Any]:
    return {k: request.POST.getlist(k) for k in request.POST if k not in EXPORT_CONTROL}


@require_POST
def export(request: HttpRequest, object_type: str) -> HttpResponseBase:
    """Export the list with the filters it was showing (a POST: a large one starts a job). Small
    lists come straight back (CSV is streamed); large ones become a job and the page shows its progress."""
    file_format = request.POST.get("format", "csv")
    encoding = request.POST.get("encoding", "utf-8")
    params = _export_params(request)
    try:
        if exporting.is_small(actor=request.user, object_type=object_type, params=params):
            return exporting.export_response(actor=request.user, object_type=object_type, params=params,
                                             file_format=file_format, encoding=encoding)
        job = exporting.export_start(actor=request.user, object_type=object_type, params=params, file_format=file_format, encoding=encoding)
    except GuanxiError as exc:
        if exc.status == 404:
            raise
        messages.error(request, " ".join(_errors_of(exc)))
        return redirect(request.META.get("HTTP_REFERER") or reverse("web:home"))
    return redirect("dataio:export_status", job.pk)


def export_status(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = get_job(request.user, job_id)
    if job.kind != "dataio.export" or job.owner_id != request.user.pk:
        raise NotFound()
    template = "dataio/partials/export_result.html" if request.htmx else "dataio/export_status.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


def export_download(request: HttpRequest, job_id: Any) -> HttpResponseBase:
    stored, name = exporting.export_file(actor=request.user, job_id=job_id)
    return exporting.download_response(stored, name)
