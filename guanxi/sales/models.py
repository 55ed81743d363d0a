"""Sales (客户销售管理, DOMAIN §2): the product catalogue and price lists, configurable pipelines,
leads, opportunities with their lines, buying-group contacts and stage history, activities, SPIN call
plans, targets and forecast snapshots.

Leads, opportunities and activities are owned records (``OwnedModel``): ``visible_to`` decides who
sees them from their own owner/team/department, like accounts. Their children (lines, contacts,
stage changes, call plans) are visibility delegates of their parent (``register_delegate``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.users.ownership import OwnedModel


class BilingualName(models.Model):
    """A configurable label kept in both languages (administrators type both)."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


# --- Catalogue -------------------------------------------------------------------------------------

class Product(TimeStampedModel, SoftDeleteModel):
    code = models.CharField(_("product code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceList(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    is_default = models.BooleanField(_("default"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_price_list")]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="uniq_price_list_product")]


# --- Pipelines -------------------------------------------------------------------------------------

class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Pipeline(TimeStampedModel, BilingualName):
    is_default = models.BooleanField(_("default"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline")]


class Stage(BilingualName):
    """A column of a pipeline. Default stages: 初步接触 → 需求确认 → 方案报价 → 商务谈判 → 赢单 / 输单."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=30)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("probability %"), validators=[MinValueValidator(0), MaxValueValidator(100)], default=10)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="uniq_stage_code"),
            models.UniqueConstraint(fields=["pipeline", "position"], name="uniq_stage_position"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_range"),
        ]


class LossReason(BilingualName):
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["position", "id"]


# --- Leads -----------------------------------------------------------------------------------------

class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class Lead(OwnedModel):
    """线索: a person or company that may become a customer. Qualification follows BANT."""

    name = models.CharField(_("contact name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text=_("Stored in E.164 form."))
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    has_budget = models.BooleanField(_("budget confirmed"), default=False)
    has_authority = models.BooleanField(_("decision maker reached"), default=False)
    has_need = models.BooleanField(_("need confirmed"), default=False)
    has_timeline = models.BooleanField(_("timeline known"), default=False)
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, null=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    converted_contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    converted_opportunity = models.ForeignKey("Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [models.UniqueConstraint(fields=["external_id"], name="uniq_lead_external_id")]
        indexes = [models.Index(fields=["owner", "status", "id"]), models.Index(fields=["mobile"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.company} {self.name}".strip()


# --- Opportunities ---------------------------------------------------------------------------------

class DecisionType(models.TextChoices):
    """Decision-group types of consultative selling (DOMAIN §2)."""

    AUTHORITATIVE = "authoritative", _("Authoritative (一人决策)")
    CONSULTATIVE = "consultative", _("Consultative (咨询)")
    CONSENSUS = "consensus", _("Consensus (集体决策)")


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    TECHNICAL_BUYER = "technical_buyer", _("Technical evaluator")
    USER = "user", _("User")
    INFLUENCER = "influencer", _("Influencer")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion")


class Opportunity(OwnedModel):
    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey("customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="opportunities")
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    # Denormalised from the stage for the board and the forecast (kept in step by the services).
    is_open = models.BooleanField(default=True, editable=False)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    probability = models.PositiveSmallIntegerField(
        _("probability %"), null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the stage's probability."))
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    decision_type = models.CharField(_("decision-group type"), max_length=14, choices=DecisionType.choices, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    loss_reason = models.ForeignKey(LossReason, verbose_name=_("loss reason"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    loss_note = models.CharField(_("loss note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    board_rank = models.BigIntegerField(default=0, editable=False, help_text="Order within a board column (larger = higher).")
    won_order = models.ForeignKey("customers.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, null=True)
    contacts = models.ManyToManyField("customers.Contact", through="OpportunityContact", related_name="opportunities", blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="uniq_opportunity_external_id"),
            models.CheckConstraint(condition=Q(probability__isnull=True) | Q(probability__lte=100), name="opportunity_probability_range"),
        ]
        indexes = [
            # Board columns: open deals of one stage, highest rank first.
            models.Index(fields=["stage", "-board_rank", "-id"], name="sales_opp_board", condition=Q(deleted_at__isnull=True)),
            # Forecasts: open deals by close month per owner/team.
            models.Index(fields=["owner", "is_open", "expected_close"], name="sales_opp_owner_close"),
            models.Index(fields=["team", "is_open", "expected_close"], name="sales_opp_team_close"),
            models.Index(fields=["account", "is_open"], name="sales_opp_account"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.stage.probability


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2)
    discount_pct = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")


class OpportunityContact(models.Model):
    """A member of the customer's buying group and their role in the decision."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="opportunity_links")
    role = models.CharField(_("role"), max_length=16, choices=BuyingRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opportunity", "contact"], name="uniq_opportunity_contact")]


class StageChange(models.Model):
    """Stage history; ``seconds_in_previous`` is the time the deal spent in ``from_stage``."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seconds_in_previous = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["opportunity", "changed_at"])]


# --- Activities ------------------------------------------------------------------------------------

class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    TASK = "task", _("Task")


class Activity(OwnedModel):
    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices, default=ActivityKind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=10000)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=30)
    remind_minutes_before = models.PositiveIntegerField(_("remind minutes before"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True, max_length=10000)
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["owner", "done_at", "due_at"], name="sales_act_my_day"),
            models.Index(fields=["account", "due_at"], name="sales_act_account"),
            models.Index(fields=["opportunity", "due_at"], name="sales_act_opportunity"),
            models.Index(fields=["remind_at"], name="sales_act_remind", condition=Q(reminded_at__isnull=True, remind_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.subject


# --- SPIN call planning (DOMAIN §2) ----------------------------------------------------------------

class SpinKind(models.TextChoices):
    SITUATION = "S", _("Situation (背景)")
    PROBLEM = "P", _("Problem (难点)")
    IMPLICATION = "I", _("Implication (影响)")
    NEED_PAYOFF = "N", _("Need-payoff (解决)")


class SpinQuestion(TimeStampedModel):
    """The question library managers curate per industry; reps pick from it when planning."""

    kind = models.CharField(_("SPIN type"), max_length=1, choices=SpinKind.choices)
    text = models.CharField(_("question"), max_length=500)
    industry = models.CharField(_("industry"), max_length=100, blank=True, help_text=_("Empty: every industry."))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("SPIN question")
        verbose_name_plural = _("SPIN questions")
        ordering = ["kind", "industry", "id"]
        indexes = [models.Index(fields=["industry", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


class CallOutcome(models.TextChoices):
    """Outcomes of a sales call (SPIN): an order, an advance, a continuation or no sale."""

    ORDER = "order", _("Order")
    ADVANCE = "advance", _("Advance")
    CONTINUATION = "continuation", _("Continuation")
    NO_SALE = "no_sale", _("No sale")


class CallPlan(TimeStampedModel, VersionedModel):
    """The plan of one call or visit (the activity), and after it the record of what happened."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="call_plan")
    objective = models.CharField(_("call objective"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallOutcome.choices, blank=True)
    logged_at = models.DateTimeField(_("logged at"), null=True, blank=True)
    next_step = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Counts kept with the plan so call-quality metrics read one row per call (set by the services).
    s_asked = models.PositiveSmallIntegerField(default=0, editable=False)
    p_asked = models.PositiveSmallIntegerField(default=0, editable=False)
    i_asked = models.PositiveSmallIntegerField(default=0, editable=False)
    n_asked = models.PositiveSmallIntegerField(default=0, editable=False)
    hidden_needs = models.PositiveSmallIntegerField(default=0, editable=False)
    explicit_needs = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("call plan")
        verbose_name_plural = _("call plans")
        indexes = [models.Index(fields=["logged_at"], name="sales_callplan_logged")]


class CallQuestion(models.Model):
    plan = models.ForeignKey(CallPlan, on_delete=models.CASCADE, related_name="questions")
    library_question = models.ForeignKey(SpinQuestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("SPIN type"), max_length=1, choices=SpinKind.choices)
    text = models.CharField(_("question"), max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    asked = models.BooleanField(_("asked"), default=False)

    class Meta:
        ordering = ["position", "id"]


class NeedKind(models.TextChoices):
    HIDDEN = "hidden", _("Hidden need (隐藏性需求)")
    EXPLICIT = "explicit", _("Explicit need (明确性需求)")


class CallNeed(models.Model):
    plan = models.ForeignKey(CallPlan, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(_("need"), max_length=8, choices=NeedKind.choices)
    text = models.CharField(_("description"), max_length=500)

    class Meta:
        ordering = ["id"]


# --- Targets and forecasts (目标管理 / 销售预估) --------------------------------------------------------

class TargetScope(models.TextChoices):
    COMPANY = "company", _("Company")
    TEAM = "team", _("Team")
    USER = "user", _("Sales rep")


class TargetPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class TargetMeasure(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    COUNT = "count", _("Number of deals")


class Target(TimeStampedModel, VersionedModel):
    scope = models.CharField(_("scope"), max_length=8, choices=TargetScope.choices)
    team = models.ForeignKey("users.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8, choices=TargetPeriod.choices)
    period_start = models.DateField(_("period start"))
    measure = models.CharField(_("measure"), max_length=8, choices=TargetMeasure.choices, default=TargetMeasure.AMOUNT)
    value = models.DecimalField(_("target"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            # One target per subject, period and measure. Partial unique indexes (one per scope)
            # rather than NULLS NOT DISTINCT, which SQLite does not have.
            models.UniqueConstraint(fields=["period", "period_start", "measure"], condition=Q(scope="company"),
                                    name="uniq_target_company"),
            models.UniqueConstraint(fields=["team", "period", "period_start", "measure"], condition=Q(scope="team"),
                                    name="uniq_target_team"),
            models.UniqueConstraint(fields=["user", "period", "period_start", "measure"], condition=Q(scope="user"),
                                    name="uniq_target_user"),
            models.CheckConstraint(
                condition=(Q(scope="company", team__isnull=True, user__isnull=True)
                           | Q(scope="team", team__isnull=False, user__isnull=True)
                           | Q(scope="user", user__isnull=False)),
                name="target_scope_subject"),
        ]


class ForecastSnapshot(models.Model):
    """The weighted pipeline for a month as it stood at the month's start, per rep (the team and
    company figures are sums), so forecast accuracy compares it with what was won."""

    month = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("users.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    weighted = models.DecimalField(max_digits=18, decimal_places=2)
    best_case = models.DecimalField(max_digits=18, decimal_places=2)
    deals = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "user"], name="uniq_forecast_snapshot")]
        indexes = [models.Index(fields=["team", "month"])]


class CalendarFeed(TimeStampedModel):
    """A per-user secret iCalendar URL; only a hash of the secret is stored. Revoking deletes it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

# The call-quality rollup (its own module; guanxi.sales.rollups keeps it, guanxi.sales.quality reads it).
from guanxi.sales.rollup_models import CallQualityMonth, CallRollupState  # noqa: E402,F401
