"""Approvals (审批): administrators define flows — which action on which kind of object needs
approval, under which condition (e.g. complaint compensation above ¥5,000, a discount above 20 %) —
made of sequential steps, each approved by a role (any one of its holders, or all of them) or by
the requester's manager chain. A request runs through the steps; each decision (approve, reject,
return for changes) is recorded with its comment, and the object is locked while a request is
pending. Apps register the actions they submit (``guanxi.approvals.registry``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel


class ApprovalFlow(TimeStampedModel):
    action = models.CharField(_("action"), max_length=60, help_text=_("A registered action, e.g. service.complaint.compensation."))
    name = models.CharField(_("name"), max_length=200)
    # {"field": "compensation", "op": "gt", "value": "5000"}; fields are those the action's registry entry exposes.
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, help_text=_("The first matching flow (lowest number) applies."))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        ordering = ["action", "priority", "id"]

    def __str__(self) -> str:
        return self.name


class ApproverKind(models.TextChoices):
    ROLE = "role", _("Holders of a role")
    MANAGER = "manager", _("The requester's manager")
    MANAGER_CHAIN = "manager_chain", _("The requester's managers, level by level")


class StepRule(models.TextChoices):
    ANY = "any", _("Any one of them")
    ALL = "all", _("All of them")


class ApprovalStep(models.Model):
    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    approver_kind = models.CharField(_("approved by"), max_length=14, choices=ApproverKind.choices)
    role_code = models.CharField(_("role"), max_length=30, blank=True)
    levels = models.PositiveSmallIntegerField(_("manager levels"), default=1)
    rule = models.CharField(_("rule"), max_length=3, choices=StepRule.choices, default=StepRule.ANY)
    remind_after_hours = models.PositiveSmallIntegerField(_("remind after (hours)"), default=24)

    class Meta:
        ordering = ["flow_id", "position"]
        constraints = [models.UniqueConstraint(fields=["flow", "position"], name="uniq_approval_step_position")]


class RequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    CANCELLED = "cancelled", _("Cancelled")


class ApprovalRequest(TimeStampedModel):
    flow = models.ForeignKey(ApprovalFlow, on_delete=models.PROTECT, related_name="requests")
    action = models.CharField(max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    step_position = models.PositiveSmallIntegerField(default=0)
    # What is being approved, as submitted (e.g. {"compensation": "8000.00", "currency": "CNY"}).
    payload = models.JSONField(default=dict)
    summary = models.CharField(max_length=300, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], condition=Q(state="pending"),
                                               name="one_pending_approval_per_object")]
        indexes = [models.Index(fields=["state", "step_started_at"]), models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.summary or f"{self.action} #{self.pk}"


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for changes")


class ApprovalDecision(models.Model):
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    step_position = models.PositiveSmallIntegerField()
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField(blank=True, max_length=5000)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "step_position", "approver"], name="one_decision_per_approver_step")]
