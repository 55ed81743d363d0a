"""Background jobs as users see them: state, progress 0–100 %, message, result, checkpoint.

django-tasks runs the code; this row is what the UI and the API show, and what makes a job
resumable: handlers save a ``checkpoint`` as they go, and a job whose worker died (no heartbeat)
is re-queued from its checkpoint or, after JOB_MAX_ATTEMPTS, marked failed — never left silently
half-done.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(_("kind"), max_length=100)
    params = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    checkpoint = models.JSONField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def is_finished(self) -> bool:
        return self.state in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
