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


class JobStepLog(models.Model):
    """One row per step of the ``demo.count`` job, written in the same transaction as the job's
    checkpoint: it lets a test (and an operator trying a deployment) prove that after a worker is
    killed no step was lost and none was done twice."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="step_log")
    step = models.PositiveIntegerField()
    attempt = models.PositiveSmallIntegerField()
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "step"], name="dataio_jobsteplog_step_once")]
        ordering = ["job", "step"]

    def __str__(self) -> str:
        return f"{self.job_id} step {self.step}"


# --- Imports and exports (dataio engine) ------------------------------------------------------


class ImportUpload(models.Model):
    """An uploaded file waiting to be mapped, dry-run and imported. The bytes live in private
    storage under a server-generated name; the user's file name is kept only as metadata."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_uploads")
    object_type = models.CharField(_("object"), max_length=40)
    original_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=200, editable=False)
    size = models.PositiveIntegerField(default=0)
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    headers = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=list, blank=True, help_text="Target field per column, '' = ignored.")
    upsert_key = models.CharField(max_length=40, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("import file")
        verbose_name_plural = _("import files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class ImportRowError(models.Model):
    """A row an import could not write, with the reason; written in the same transaction as the
    batch it belongs to, so a resumed import neither loses nor repeats them."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="import_errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"])]


class MappingTemplate(models.Model):
    """A saved column mapping (header → field) for one object type; private to its owner."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mapping_templates")
    object_type = models.CharField(_("object"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(_("mapping"), default=dict, help_text="Column header → target field.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mapping template")
        verbose_name_plural = _("mapping templates")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "object_type", "name"], name="uniq_mapping_template_name")]

    def __str__(self) -> str:
        return self.name


class WebhookEndpoint(models.Model):
    """An outside URL that receives signed POSTs for the events it subscribes to (webhooks.py).

    The secret signs every delivery (HMAC-SHA256), so it is stored as it is; it is shown once, when
    the endpoint is created, and never again in the API, the UI or the logs."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint; the admins' delivery log."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=100)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="dataio_webhook_due"),
            models.Index(fields=["endpoint", "-created_at"], name="dataio_webhook_log"),
        ]
