"""Customer archive (客户档案, DOMAIN §0–1): accounts, contacts, orders, their computed
classifications, tags, custom fields, saved views, the public pool and the duplicates queue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from guanxi.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.users.ownership import OwnedModel


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters with a check digit (GB 32100-2015)."""
    try:
        uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("Not a valid unified social credit code (统一社会信用代码)."), code="invalid_uscc") from exc


class Nature(models.TextChoices):
    """客户性质, DOMAIN §1."""

    GOVERNMENT = "government", _("Government agency")
    SPECIAL = "special", _("Special company")
    ORDINARY = "ordinary", _("Ordinary company")
    INDIVIDUAL = "individual", _("Individual")
    PARTNER = "partner", _("Trading partner")


class AccountKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(OwnedModel):
    kind = models.CharField(_("kind"), max_length=12, choices=AccountKind.choices, default=AccountKind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, null=True, validators=[validate_uscc]
    )
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices, default=Nature.ORDINARY)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, help_text=_("Stored in E.164 form, e.g. +8613800138000."))
    other_phones = models.JSONField(_("other phones"), default=list, blank=True)
    website = models.URLField(_("website"), blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, null=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Derived columns maintained by services (never typed by hand):
    search_text = models.TextField(editable=False, default="", help_text="Normalised name, pinyin, initials, phones, code.")
    name_sort = models.CharField(editable=False, max_length=400, default="", help_text="Pinyin sort key (拼音排序).")
    # Indexed in Meta: a plain b-tree (equality lookups only; Django's db_index would add a second,
    # LIKE-pattern index on PostgreSQL that nothing uses and every write pays for).
    name_key = models.CharField(editable=False, max_length=200, default="",
                                help_text="Name without legal-form suffixes and region, for duplicate detection.")
    # Indexed in Meta only where set: almost every account is never merged away.
    merged_into = models.ForeignKey("self", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="merged_from",
                                    db_index=False)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)
    pool_entered_at = models.DateTimeField(_("in the public pool since"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="uniq_account_credit_code"),
            models.UniqueConstraint(fields=["external_id"], name="uniq_account_external_id"),
        ]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["name_sort", "id"]),
            models.Index(fields=["owner", "name_sort", "id"]),
            models.Index(fields=["province", "city"]),
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["name_key"], name="customers_acc_name_key"),
            models.Index(fields=["merged_into"], name="customers_acc_merged_into", condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class TimeClass(models.TextChoices):
    """时间序列 (DOMAIN §1): prospect, new, old."""

    FUTURE = "future", _("Future customer")
    NEW = "new", _("New customer")
    OLD = "old", _("Old customer")


class ProcessClass(models.TextChoices):
    """交易过程 (DOMAIN §1)."""

    NONE = "none", _("No transactions")
    PAST = "past", _("Traded in the past")
    CURRENT = "current", _("Trading now")
    UPCOMING = "upcoming", _("About to trade")


class ValueTier(models.TextChoices):
    """交易数量和市场地位 by the 80/20 rule (DOMAIN §1, §6)."""

    KEY = "key", _("Key customer")
    GENERAL = "general", _("General customer")
    SCATTERED = "scattered", _("Scattered customer")


class AccountClassification(models.Model):
    """Computed classifications, kept in a narrow table of their own so the nightly recompute
    rewrites small rows instead of the wide, heavily indexed accounts table (PERF-NOTES)."""

    account = models.OneToOneField(Account, primary_key=True, on_delete=models.CASCADE, related_name="classification")
    time_class = models.CharField(max_length=10, choices=TimeClass.choices, default=TimeClass.FUTURE, db_index=True)
    process_class = models.CharField(max_length=10, choices=ProcessClass.choices, default=ProcessClass.NONE, db_index=True)
    value_tier = models.CharField(max_length=10, choices=ValueTier.choices, default=ValueTier.SCATTERED, db_index=True)
    ttm_profit = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    ttm_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    profit_share = models.DecimalField(max_digits=9, decimal_places=6, default=Decimal("0"),
                                       help_text="Share of the total profit produced by the accounts ranked above this one.")
    profit_rank = models.PositiveIntegerField(null=True, blank=True, help_text="1 = most profitable; NULL = not ranked by a full run.")
    first_order_date = models.DateField(null=True, blank=True)
    last_order_date = models.DateField(null=True, blank=True)
    open_orders = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")


class ClassificationRun(models.Model):
    """One full recompute of the classifications: what it saw and the profit cut-offs it found, so
    the incremental path can place one account between two nightly runs without ranking everyone."""

    as_of = models.DateField()
    started_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    ranked = models.PositiveIntegerField(default=0, help_text="Accounts with a positive trailing-12-month profit.")
    total_profit = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("0"))
    key_share = models.DecimalField(max_digits=4, decimal_places=3)
    general_share = models.DecimalField(max_digits=4, decimal_places=3)
    new_customer_months = models.PositiveSmallIntegerField(default=12)
    past_trade_months = models.PositiveSmallIntegerField(default=3)
    key_min_profit = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    general_min_profit = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    rows_changed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("classification run")
        verbose_name_plural = _("classification runs")
        ordering = ["-started_at", "-id"]


class Contact(OwnedModel):
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department_name = models.CharField(_("department"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text=_("Stored in E.164 form."))
    other_phones = models.JSONField(_("other phones"), default=list, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    accounts = models.ManyToManyField(Account, verbose_name=_("accounts"), through="ContactAccount", related_name="contacts", blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, null=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(editable=False, default="")
    name_sort = models.CharField(editable=False, max_length=300, default="")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [models.UniqueConstraint(fields=["external_id"], name="uniq_contact_external_id")]
        indexes = [
            models.Index(fields=["name_sort", "id"]),
            models.Index(fields=["mobile"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return self.name


class ContactAccount(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="account_links")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_links")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "account"], name="uniq_contact_account")]


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ORDER_STATUSES = (OrderStatus.DRAFT, OrderStatus.OPEN)


class Order(TimeStampedModel, SoftDeleteModel, VersionedModel):
    """An order of an account; visible exactly when its account is (a visibility delegate)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=50, blank=True, null=True)
    order_date = models.DateField(_("order date"))
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    gross_profit = models.DecimalField(_("gross profit"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, null=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="uniq_order_number"),
            models.UniqueConstraint(fields=["external_id"], name="uniq_order_external_id"),
        ]
        indexes = [
            models.Index(fields=["account", "order_date"]),
            models.Index(fields=["order_date", "id"]),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("product"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")


class CustomField(TimeStampedModel):
    """A field administrators add to accounts, contacts or orders; values live in ``custom``."""

    object_type = models.CharField(_("object"), max_length=20, choices=[("account", _("Account")), ("contact", _("Contact")), ("order", _("Order"))])
    key = models.SlugField(_("key"), max_length=50, help_text=_("Letters, digits and underscores; used in imports and the API."))
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=15, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["object_type", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["object_type", "key"], name="uniq_custom_field_key")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # Definitions are cached for list pages and forms (custom_fields.active_fields).
        cache.delete(f"custom-fields:{self.object_type}")


class SavedView(TimeStampedModel):
    """A named list configuration (filters, sort, columns); personal, or shared with everyone."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    object_type = models.CharField(max_length=20)
    name = models.CharField(_("name"), max_length=100)
    shared = models.BooleanField(_("shared"), default=False)
    params = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]


class PoolPolicy(models.Model):
    """公海 rules per team: reclaim after N idle days, at most ``claim_cap`` accounts per rep."""

    team = models.OneToOneField("users.Team", on_delete=models.CASCADE, related_name="pool_policy")
    reclaim_days = models.PositiveIntegerField(_("reclaim after idle days"), default=30)
    claim_cap = models.PositiveIntegerField(_("maximum accounts per rep"), default=200)

    class Meta:
        verbose_name = _("public pool policy")
        verbose_name_plural = _("public pool policies")


class ArchiveSettings(models.Model):
    """Company-wide thresholds for the computed classifications (one row)."""

    new_customer_months = models.PositiveSmallIntegerField(_("new customer: first order within months"), default=12)
    key_share = models.DecimalField(_("key customers: cumulative profit share"), max_digits=4, decimal_places=3, default=Decimal("0.800"))
    general_share = models.DecimalField(_("general customers: cumulative profit share"), max_digits=4, decimal_places=3, default=Decimal("0.950"))
    past_trade_months = models.PositiveSmallIntegerField(_("trading now: an order within months"), default=3)

    class Meta:
        verbose_name = _("archive settings")
        verbose_name_plural = _("archive settings")

    @classmethod
    def current(cls) -> ArchiveSettings:
        obj = cls.objects.order_by("pk").first()
        return obj or cls()


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not a duplicate")


class DuplicateCandidate(TimeStampedModel):
    """A suspected pair of duplicate accounts, in the duplicates queue (查重)."""

    first = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN, db_index=True)

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="uniq_duplicate_pair")]
