"""Imports and exports over the API: the same engine as the web pages.

    POST /imports                       multipart file + object_type → headers, suggested mapping, keys
    POST /imports/{id}/dry-run          {mapping, key} → per-row errors and counts; nothing is written
    POST /imports/{id}/start            {mapping?, key?} → job id; poll GET /jobs/{job_id}
    GET  /imports/jobs/{job_id}/failed-rows   the failed rows with reasons (CSV), the job's owner only
    GET/POST/DELETE /imports/templates  saved mapping templates (private to their owner)
    POST /exports                       {object_type, filters, format, encoding, columns} → job id
    GET  /exports/jobs/{job_id}/download
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict, Field, StringConstraints

from guanxi.core.api import ERROR_RESPONSES
from guanxi.dataio import exporting, importing, mapping
from guanxi.dataio.models import ImportUpload

imports_router = Router(tags=["imports"])
exports_router = Router(tags=["exports"])

Target = Annotated[str, StringConstraints(max_length=100)]


class FieldOut(Schema):
    name: str
    label: str
    required: bool


class KeyOut(Schema):
    name: str
    label: str


class UploadOut(Schema):
    id: uuid.UUID
    object_type: str
    original_name: str
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    row_count: int
    mapping: list[str] = Field(description="Target field per column ('' = not imported); the suggestion until you change it.")
    key: str
    keys: list[KeyOut]
    fields: list[FieldOut]
    job_id: uuid.UUID | None


def _upload_out(upload: ImportUpload) -> dict[str, Any]:
    spec = importing.get_spec(upload.object_type)
    return {
        "id": upload.pk, "object_type": upload.object_type, "original_name": upload.original_name, "file_format": upload.file_format,
        "encoding": upload.encoding, "delimiter": upload.delimiter, "headers": upload.headers, "row_count": upload.row_count,
        "mapping": upload.mapping, "key": upload.upsert_key, "job_id": upload.job_id,
        "keys": [{"name": k.name, "label": str(k.label)} for k in spec.keys],
        "fields": [{"name": f.name, "label": str(f.label), "required": f.required} for f in spec.fields()],
    }


class MappingIn(Schema):
    model_config = ConfigDict(extra="forbid")
    mapping: Annotated[list[Target], Field(max_length=200)] | None = None
    key: Target | None = None


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class DryRunOut(Schema):
    total: int
    valid: int
    error_count: int = Field(description="Rows with at least one error.")
    counts: dict[str, int] = Field(description="created / updated / unchanged … as the real run would do them.")
    errors: list[RowErrorOut]
    errors_truncated: bool


class StartedOut(Schema):
    job_id: uuid.UUID
    status_url: str


def _apply_mapping(request: HttpRequest, upload: ImportUpload, payload: MappingIn) -> ImportUpload:
    if payload.mapping is None and payload.key is None:
        return upload
    return importing.upload_set_mapping(actor=request.user, upload=upload, mapping=payload.mapping if payload.mapping is not None
                                        else upload.mapping, key=payload.key or upload.upsert_key)


@imports_router.post("/", response={201: UploadOut, **ERROR_RESPONSES})
def upload_file(request: HttpRequest, file: File[UploadedFile], object_type: Form[Literal["account", "contact"]]) -> Any:
    """Upload a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK; any delimiter), XLSX or vCard file."""
    upload = importing.upload_create(actor=request.user, object_type=object_type, filename=file.name or "", data=file.read())
    return Status(201, _upload_out(upload))


@imports_router.get("/{uuid:upload_id}", response={200: UploadOut, **ERROR_RESPONSES})
def get_upload(request: HttpRequest, upload_id: uuid.UUID) -> Any:
    return _upload_out(importing.upload_get(actor=request.user, pk=upload_id))


@imports_router.post("/{uuid:upload_id}/dry-run", response={200: DryRunOut, **ERROR_RESPONSES})
def dry_run(request: HttpRequest, upload_id: uuid.UUID, payload: MappingIn) -> Any:
    upload = _apply_mapping(request, importing.upload_get(actor=request.user, pk=upload_id), payload)
    return importing.import_dry_run(actor=request.user, upload=upload).as_dict()


@imports_router.post("/{uuid:upload_id}/start", response={202: StartedOut, **ERROR_RESPONSES})
def start(request: HttpRequest, upload_id: uuid.UUID, payload: MappingIn) -> Any:
    upload = _apply_mapping(request, importing.upload_get(actor=request.user, pk=upload_id), payload)
    job = importing.import_start(actor=request.user, upload=upload)
    return Status(202, {"job_id": job.pk, "status_url": f"/api/v1/jobs/{job.pk}"})


@imports_router.get("/jobs/{uuid:job_id}/failed-rows", response={200: None, **ERROR_RESPONSES})
def failed_rows(request: HttpRequest, job_id: uuid.UUID) -> HttpResponseBase:
    """CSV: the original rows that failed, with the reason in the last column."""
    stored, name = importing.failed_rows_file(actor=request.user, job_id=job_id)
    return exporting.download_response(stored, name)


class TemplateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    object_type: Literal["account", "contact"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    mapping: Annotated[dict[Annotated[str, StringConstraints(max_length=200)], Target], Field(max_length=200)] = Field(
        description="Column header → target field.")


class TemplateOut(Schema):
    id: int
    object_type: str
    name: str
    mapping: dict[str, str]


@imports_router.get("/templates", response={200: list[TemplateOut], **ERROR_RESPONSES})
def list_templates(request: HttpRequest, object_type: Literal["account", "contact"] = "account") -> Any:
    return list(mapping.templates_for(actor=request.user, object_type=object_type)[:200])


@imports_router.post("/templates", response={201: TemplateOut, **ERROR_RESPONSES})
def save_template(request: HttpRequest, payload: TemplateIn) -> Any:
    spec = importing.get_spec(payload.object_type)
    headers = list(payload.mapping)
    template = mapping.template_save(actor=request.user, object_type=payload.object_type, name=payload.name, headers=headers,
                                     mapping=[payload.mapping[h] for h in headers], fields=spec.fields())
    return Status(201, template)


@imports_router.delete("/templates/{int:template_id}", response={204: None, **ERROR_RESPONSES})
def delete_template(request: HttpRequest, template_id: int) -> Any:
    mapping.template_delete(actor=request.user, pk=template_id)
    return Status(204, None)


class ExportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    object_type: Literal["account", "contact"]
    filters: Annotated[dict[Annotated[str, StringConstraints(max_length=60)], str | list[Annotated[str, StringConstraints(max_length=200)]]],
                       Field(max_length=50)] = Field(default_factory=dict, description="The list's filters, as on GET /accounts/ (q, province, sort …).")
    format: Literal["csv", "xlsx"] = "csv"
    encoding: Literal["utf-8", "gb18030"] = "utf-8"
    columns: Annotated[list[Annotated[str, StringConstraints(max_length=60)]], Field(max_length=100)] = []


@exports_router.post("/", response={202: StartedOut, **ERROR_RESPONSES})
def export_start(request: HttpRequest, payload: ExportIn) -> Any:
    """Export a list with its filters as a background job; the rows are those you can see when it runs."""
    job = exporting.export_start(actor=request.user, object_type=payload.object_type, params=payload.filters,
                                 file_format=payload.format, encoding=payload.encoding, columns=payload.columns or None)
    return Status(202, {"job_id": job.pk, "status_url": f"/api/v1/jobs/{job.pk}"})


@exports_router.get("/jobs/{uuid:job_id}/download", response={200: None, **ERROR_RESPONSES})
def export_download(request: HttpRequest, job_id: uuid.UUID) -> HttpResponseBase:
    stored, name = exporting.export_file(actor=request.user, job_id=job_id)
    return exporting.download_response(stored, name)
