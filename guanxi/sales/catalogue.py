"""The product catalogue and price lists (DOMAIN §2: opportunity lines take their products and
prices from here). Everyone reads; only administrators write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, audited_update, snapshot
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.orders import iso_currencies
from guanxi.sales.models import PriceList, PriceListItem, Product
from guanxi.users.models import User

PRODUCT_WRITABLE = ("code", "name", "unit", "description", "active")
PRICE_LIST_WRITABLE = ("name", "currency", "is_default", "valid_from", "valid_to")
MAX_PRICE = Decimal("1e15")
CENT = Decimal("0.01")


def require_admin(actor: User) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators may change this."))


def _unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})


def clean_price(value: Any, field: str = "unit_price") -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed({field: [_("Enter an amount such as 1234.50.")]}) from exc
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        raise ValidationFailed({field: [_("Enter an amount such as 1234.50.")]})
    if price != price.quantize(CENT):
        raise ValidationFailed({field: [_("Amounts have at most two decimal places.")]})
    return price.quantize(CENT)


def _clean_product(data: dict[str, Any], *, current: Product | None = None) -> dict[str, Any]:
    _unknown(data, PRODUCT_WRITABLE)
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in ("code", "name", "unit", "description"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()
    if "code" in cleaned:
        if not cleaned["code"]:
            errors["code"] = [_("This field is required.")]
        elif Product.all_objects.filter(code=cleaned["code"]).exclude(pk=current.pk if current else 0).exists():
            errors["code"] = [_("Another product has this code.")]
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def product_create(*, actor: User, data: dict[str, Any]) -> Product:
    require_admin(actor)
    cleaned = _clean_product(data)
    for key in ("code", "name"):
        if not cleaned.get(key):
            raise ValidationFailed({key: [_("This field is required.")]})
    product = Product(**cleaned)
    product.full_clean()
    product.save()
    audit_record(actor=actor, obj=product, action=Action.CREATE)
    return product


@transaction.atomic
def product_update(*, actor: User, product: Product, data: dict[str, Any]) -> Product:
    require_admin(actor)
    cleaned = _clean_product(data, current=product)
    product = Product.all_objects.select_for_update().get(pk=product.pk)
    return audited_update(actor=actor, obj=product, changes=cleaned, validate=True)


def product_deactivate(*, actor: User, product: Product) -> Product:
    """Products are never deleted (opportunity lines refer to them); a deactivated one is no
    longer offered for new lines."""
    return product_update(actor=actor, product=product, data={"active": False})


def _clean_price_list(data: dict[str, Any]) -> dict[str, Any]:
    _unknown(data, PRICE_LIST_WRITABLE)
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = [_("This field is required.")]
    if "currency" in cleaned:
        cleaned["currency"] = str(cleaned["currency"] or "").strip().upper()
        if cleaned["currency"] not in iso_currencies():
            errors["currency"] = [_("Not an ISO 4217 currency code (for example CNY, USD, EUR).")]
    if "is_default" in cleaned:
        cleaned["is_default"] = bool(cleaned["is_default"])
    start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors["valid_to"] = [_("The end date is before the start date.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _save_price_list(actor: User, price_list: PriceList, cleaned: dict[str, Any], before: dict[str, Any] | None) -> PriceList:
    if cleaned.get("is_default"):
        # One default at a time: the new default replaces the old one.
        PriceList.objects.filter(is_default=True).exclude(pk=price_list.pk).update(is_default=False)
    for key, value in cleaned.items():
        setattr(price_list, key, value)
    price_list.full_clean()
    price_list.save()
    audit_record(actor=actor, obj=price_list, action=Action.UPDATE if before else Action.CREATE, before=before)
    return price_list


@transaction.atomic
def price_list_create(*, actor: User, data: dict[str, Any]) -> PriceList:
    require_admin(actor)
    cleaned = _clean_price_list(data)
    if not cleaned.get("name"):
        raise ValidationFailed({"name": [_("This field is required.")]})
    return _save_price_list(actor, PriceList(currency=settings.DEFAULT_CURRENCY), cleaned, None)


@transaction.atomic
def price_list_update(*, actor: User, price_list: PriceList, data: dict[str, Any]) -> PriceList:
    require_admin(actor)
    cleaned = _clean_price_list(data)
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    return _save_price_list(actor, price_list, cleaned, snapshot(price_list))


@transaction.atomic
def price_set(*, actor: User, price_list: PriceList, product: Product, unit_price: Any) -> PriceListItem:
    """Set (or change) a product's price in a price list."""
    require_admin(actor)
    price = clean_price(unit_price)
    try:
        item, created = PriceListItem.objects.update_or_create(price_list=price_list, product=product, defaults={"unit_price": price})
    except IntegrityError as exc:  # pragma: no cover - a concurrent insert of the same pair
        raise ValidationFailed({"product_id": [_("Try again.")]}) from exc
    audit_record(actor=actor, obj=price_list, action=Action.UPDATE,
                 changes={"price": [None, {"product": product.code, "unit_price": str(price), "new": created}]})
    return item


@transaction.atomic
def price_remove(*, actor: User, price_list: PriceList, product: Product) -> None:
    require_admin(actor)
    deleted, _n = PriceListItem.objects.filter(price_list=price_list, product=product).delete()
    if deleted:
        audit_record(actor=actor, obj=price_list, action=Action.UPDATE, changes={"price": [product.code, None]})


def default_price_list(today: date | None = None) -> PriceList | None:
    return PriceList.objects.filter(is_default=True).first()


def price_lists_valid(today: date | None = None) -> Any:
    today = today or timezone.localdate()
    return PriceList.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)).order_by("-is_default", "name", "id")


def price_for(product: Product, price_list: PriceList | None = None) -> Decimal | None:
    """The product's unit price in ``price_list`` (the default price list when None), or None
    when the list has no price for it."""
    price_list = price_list or default_price_list()
    if price_list is None:
        return None
    return PriceListItem.objects.filter(price_list=price_list, product=product).values_list("unit_price", flat=True).first()
