"""Background jobs over the API: the same state, progress, message and result the progress page
shows. A job is private to its owner (administrators see all); anyone else gets 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.pagination import keyset_page
from guanxi.dataio import jobs
from guanxi.dataio.models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    state: str = Field(description="queued, running, succeeded, failed or cancelled")
    is_finished: bool = Field(description="True once the state will not change any more: stop polling.")
    progress: int = Field(ge=0, le=100, description="Percent done; never goes down.")
    message: str
    result: Any | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobListParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/", response={200: CursorPage[JobOut], **ERROR_RESPONSES})
def list_jobs(request: HttpRequest, params: Query[JobListParams]) -> CursorPage[JobOut]:
    """Your jobs, newest first."""
    page = keyset_page(jobs.jobs_visible_to(request.user), order=("-created_at", "-id"), after=params.after, limit=params.limit)
    return CursorPage[JobOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.get("/{uuid:job_id}", response={200: JobOut, **ERROR_RESPONSES})
def get_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    return jobs.get_job(request.user, job_id)


@router.post("/{uuid:job_id}/cancel", response={200: JobOut, **ERROR_RESPONSES})
def cancel_job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    """Cancel a queued or running job (a running one stops at its next progress report).
    Cancelling a finished job changes nothing and returns it as it is."""
    return jobs.job_cancel(actor=request.user, job=jobs.get_job(request.user, job_id))  # type: ignore[arg-type]
