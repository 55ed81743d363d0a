"""Service (客户支持与服务管理, DOMAIN §4): complaints with their taxonomy and handling procedure,
SLA policies on a working calendar, satisfaction surveys (expectation vs experience per dimension),
and follow-up visits (回访).

Complaints and follow-up visits are owned records (``OwnedModel``): ``visible_to`` decides who sees
them. Survey responses are visibility delegates of their account. The procedure's states and
required records come from ``guanxi.service.complaint_flow`` (pure); SLA arithmetic from
``guanxi.service.business_hours`` (pure).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.users.ownership import OwnedModel

# --- Working calendar (business hours for SLAs) ------------------------------------------------------

class WorkingCalendar(TimeStampedModel):
    """Working hours, weekends, public holidays and 调休 make-up working days, entered as data
    (``CalendarDay``); the default calendar is the one SLAs use unless a policy names another."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    day_start = models.TimeField(_("working day starts"), default="09:00")
    day_end = models.TimeField(_("working day ends"), default="18:00")
    lunch_start = models.TimeField(_("lunch break starts"), null=True, blank=True, default="12:00")
    lunch_end = models.TimeField(_("lunch break ends"), null=True, blank=True, default="13:00")
    weekend = models.JSONField(_("weekend days"), default=list, help_text=_("Weekday numbers, Monday = 0: [5, 6] is Saturday and Sunday."))

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar")]

    def __str__(self) -> str:
        return self.name


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    MAKEUP = "makeup", _("Make-up working day (调休)")


class CalendarDay(models.Model):
    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=CalendarDayKind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="uniq_calendar_day")]


# --- Complaint taxonomy and SLA -----------------------------------------------------------------------

class ComplaintCategory(models.TextChoices):
    PRODUCT = "product", _("About the product")
    SERVICE = "service", _("About the service")


class ComplaintType(TimeStampedModel):
    """DOMAIN §4 taxonomy. Built-in: product — 质量不良 / 价格过高 / 标示不符; service — 服务方式欠妥 /
    服务态度欠佳 / 自身不良行为 / 服务作业不当 / 服务制度. Administrators may add types."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=8, choices=ComplaintCategory.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    built_in = models.BooleanField(default=False, editable=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("complaint type")
        verbose_name_plural = _("complaint types")
        ordering = ["category", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Visit")


class SlaPolicy(TimeStampedModel):
    """Response and resolution targets in business minutes, by severity and customer value tier
    (``customers.ValueTier`` code, empty = any tier). The most specific matching row wins; 主力
    (key) customers get shorter targets by default."""

    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    value_tier = models.CharField(_("customer value tier"), max_length=12, blank=True)
    response_minutes = models.PositiveIntegerField(_("respond within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (business minutes)"))
    calendar = models.ForeignKey(WorkingCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reassign_on_breach = models.BooleanField(_("reassign to the manager on breach"), default=False)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["severity", "value_tier"], name="uniq_sla_policy")]


# --- Complaints ----------------------------------------------------------------------------------------

class ComplaintState(models.TextChoices):
    """The handling procedure (``complaint_flow``): E/L → A + remedy + responsibility → resolution →
    the customer's confirmation → closed with a follow-up scheduled."""

    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged (empathy and listening)")
    REMEDY_AGREED = "remedy_agreed", _("Apology and remedy agreed")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed by the customer")
    CLOSED = "closed", _("Closed")


class Complaint(OwnedModel):
    number = models.CharField(_("tracking number"), max_length=20, unique=True, editable=False)
    public_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                    help_text="Secret of the customer's private status link.")
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=10000)
    complaint_type = models.ForeignKey(ComplaintType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="complaints")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    state = models.CharField(_("state"), max_length=14, choices=ComplaintState.choices, default=ComplaintState.NEW)
    account = models.ForeignKey("customers.Account", verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints")
    order = models.ForeignKey("customers.Order", verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints")
    product = models.CharField(_("product concerned"), max_length=200, blank=True)
    # Who filed it from the public form (no account yet): kept as typed, escaped on output.
    submitter_name = models.CharField(_("customer name"), max_length=100, blank=True)
    submitter_email = models.EmailField(_("customer email"), blank=True)
    submitter_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    # The procedure's records (complaint_flow.required_records):
    empathy_note = models.TextField(_("empathy (E)"), blank=True, max_length=5000)
    listening_note = models.TextField(_("listening notes (L)"), blank=True, max_length=5000)
    apology_note = models.TextField(_("apology (A)"), blank=True, max_length=5000)
    agreed_remedy = models.TextField(_("agreed remedy"), blank=True, max_length=5000)
    responsible_department = models.ForeignKey("users.Department", verbose_name=_("responsible department"), null=True, blank=True,
                                               on_delete=models.SET_NULL, related_name="+")
    responsible_person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible person"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    root_cause = models.TextField(_("root cause"), blank=True, max_length=5000)
    compensation = models.DecimalField(_("compensation"), max_digits=18, decimal_places=2, null=True, blank=True)
    compensation_currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    resolution = models.TextField(_("resolution"), blank=True, max_length=5000)
    customer_confirmation = models.TextField(_("customer's confirmation"), blank=True, max_length=2000)
    override_reason = models.TextField(_("reason for closing without confirmation"), blank=True, max_length=2000)
    follow_up_at = models.DateTimeField(_("follow-up visit"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, editable=False)
    # SLA clock (business time on the policy's calendar), set by the services:
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["state", "resolve_by"], name="service_cmp_sla"),
            models.Index(fields=["account", "opened_at"], name="service_cmp_account"),
            models.Index(fields=["opened_at", "id"], name="service_cmp_opened"),
            models.Index(fields=["owner", "state"], name="service_cmp_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ComplaintEvent(models.Model):
    """The complaint's own history in the procedure: state changes, notes and escalations, with who
    and when (留档分析). Field-level changes are in the audit log as for every record."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)  # "state", "note", "escalated", "reassigned", "public_message"
    from_state = models.CharField(max_length=14, blank=True)
    to_state = models.CharField(max_length=14, blank=True)
    note = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"])]


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=255, editable=False)  # server-generated, private storage
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()


# --- Satisfaction surveys (满意度 = 体验 − 期望) ---------------------------------------------------------

class Dimension(models.TextChoices):
    """Experience dimensions (客户体验的内容, DOMAIN §4); codes as in ``satisfaction.DIMENSIONS``."""

    PRODUCT = "product", _("Product (产品)")
    SERVICE = "service", _("Service (服务)")
    RELATIONSHIP = "relationship", _("Relationship (关系)")
    CONVENIENCE = "convenience", _("Convenience (便利性)")
    BRAND = "brand", _("Brand image (品牌形象)")
    PRICE = "price", _("Price (价格)")


class Survey(TimeStampedModel, VersionedModel):
    name = models.CharField(_("name"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, max_length=5000)
    scale_max = models.PositiveSmallIntegerField(_("rating scale (1 to …)"), default=7,
                                                 validators=[MinValueValidator(3), MaxValueValidator(10)])
    ask_nps = models.BooleanField(_("ask how likely they are to recommend us (NPS, 0–10)"), default=True)
    ask_csat = models.BooleanField(_("ask overall satisfaction (CSAT, 1–5)"), default=True)
    active = models.BooleanField(_("active"), default=True)
    # Sent automatically after these events (codes: "order_delivered", "complaint_closed").
    trigger_events = models.JSONField(_("send after"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name


class SurveyItem(models.Model):
    """One thing rated: per item the customer gives expectation, desired, adequate, experience and
    importance (each optional per survey design)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("code"), max_length=40)
    text = models.CharField(_("question"), max_length=300)
    dimension = models.CharField(_("dimension"), max_length=14, choices=Dimension.choices)
    service_element = models.CharField(_("service element"), max_length=60, blank=True,
                                       help_text=_("e.g. timeliness, communication, attitude (DOMAIN §4)."))
    ask_expectation = models.BooleanField(default=True)
    ask_desired = models.BooleanField(default=True)
    ask_adequate = models.BooleanField(default=True)
    ask_importance = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="uniq_survey_item_code")]


class InvitationState(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")


class SurveyInvitation(models.Model):
    """A single-use link: only the sha256 of its token is stored."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=30, blank=True)  # what triggered it
    event_object_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=InvitationState.choices, default=InvitationState.SENT)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "event", "event_object_id", "contact"],
                                               condition=Q(event_object_id__isnull=False), name="one_invitation_per_event")]


class SurveyResponse(models.Model):
    invitation = models.OneToOneField(SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses")
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses")
    segment = models.CharField(max_length=40, blank=True, help_text="The account's value tier when it answered.")
    answered_at = models.DateTimeField()
    nps = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    csat = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        indexes = [models.Index(fields=["answered_at", "id"]), models.Index(fields=["account", "answered_at"])]


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(SurveyItem, on_delete=models.PROTECT, related_name="answers")
    expectation = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    desired = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    adequate = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    experience = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    importance = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="uniq_answer_item")]
        indexes = [models.Index(fields=["item"])]


# --- Follow-up visits (回访) -----------------------------------------------------------------------------

class FollowUpTrigger(models.TextChoices):
    ORDER_DELIVERED = "order_delivered", _("After an order is delivered")
    COMPLAINT_CLOSED = "complaint_closed", _("After a complaint is closed")
    KEY_ACCOUNT_EVENT = "key_account_event", _("After a key-account service event")


class FollowUpRule(TimeStampedModel):
    trigger = models.CharField(_("when"), max_length=20, choices=FollowUpTrigger.choices)
    days_after = models.PositiveSmallIntegerField(_("days after"), default=7)
    value_tier = models.CharField(_("only for value tier"), max_length=12, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")


class FollowUpOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Could not reach the customer")


class FollowUpVisit(OwnedModel):
    account = models.ForeignKey("customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="follow_ups")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(FollowUpRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(_("reason"), max_length=20, choices=FollowUpTrigger.choices, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True, help_text="The order or complaint that triggered it.")
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=FollowUpOutcome.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        constraints = [models.UniqueConstraint(fields=["trigger", "source_id", "rule"], condition=Q(source_id__isnull=False),
                                               name="one_follow_up_per_trigger")]
        indexes = [models.Index(fields=["owner", "done_at", "due_at"], name="service_fu_owner"),
                   models.Index(fields=["account", "due_at"], name="service_fu_account")]

    def __str__(self) -> str:
        return f"{self.account} {self.due_at:%Y-%m-%d}"


COMPENSATION_APPROVAL_DEFAULT = Decimal("5000")

# Rollups of the dashboard and the analysis (their own module; guanxi.service.rollups keeps them).
from guanxi.service.rollup_models import (  # noqa: E402,F401
    AnswerRollup,
    ComplaintResolveHistogram,
    ComplaintRollup,
    ResponseRollup,
    RollupState,
)
