"""Customer archive (客户档案, DOMAIN §1). The foundation ships Account as the first owned object;
the customer-archive issue grows it (contacts, orders, classifications)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

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


class Account(OwnedModel):
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
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="uniq_account_credit_code"),
        ]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["owner", "name", "id"]),
        ]

    def __str__(self) -> str:
        return self.name
