from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from guanxi.core.api import ERROR_RESPONSES
from guanxi.dataio import jobs
from guanxi.dataio.models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    state: str
    progress: int
    message: str
    result: Any | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("/", response={200: list[JobOut], **ERROR_RESPONSES})
def list_jobs(request: HttpRequest) -> Any:
    return list(jobs.jobs_visible_to(request.user)[:100])


@router.get("/{uuid:job_id}", response={200: JobOut, **ERROR_RESPONSES})
def get_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    return jobs.get_job(request.user, job_id)


@router.post("/{uuid:job_id}/cancel", response={200: JobOut, **ERROR_RESPONSES})
def cancel_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    return jobs.job_cancel(actor=request.user, job=jobs.get_job(request.user, job_id))
