"""Order services: every write to orders goes through here (web UI, API, imports).

An order belongs to one account and is visible and editable exactly when its account is. Each write
is audited through ``guanxi.audit.lifecycle``, marks the account as active, and — once committed —
reclassifies the account (``classify.recompute_account``: new/old, trading now, tier)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import Any

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Account, Order, OrderStatus
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by

ORDER_WRITABLE = ("number", "order_date", "status", "amount", "gross_profit", "currency", "external_id", "notes")
EARLIEST_ORDER_DATE = date(1970, 1, 1)
LATEST_ORDER_DAYS_AHEAD = 366  # an order may be dated up to a year ahead (a scheduled delivery)
MAX_AMOUNT = Decimal("1e15")  # fits max_digits=18 with 2 decimals, and no real order is larger
CENT = Decimal("0.01")


@lru_cache(maxsize=1)
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes known to CLDR (through Babel)."""
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha() and code.isupper())


def _money(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter an amount such as 1234.50.")]
        return None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        errors[field] = [_("Enter an amount such as 1234.50.")]
        return None
    if amount != amount.quantize(CENT):
        errors[field] = [_("Amounts have at most two decimal places.")]
        return None
    return amount.quantize(CENT)


def clean_order_data(data: dict[str, Any], *, current: Order | None = None) -> dict[str, Any]:
    """Validate the writable fields; rules that involve two fields use the order's current values."""
    unknown = sorted(set(data) - set(ORDER_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in ("number", "external_id"):
        if key in cleaned:
            cleaned[key] = (str(cleaned[key] or "")).strip() or None
    if "notes" in cleaned:
        cleaned["notes"] = str(cleaned["notes"] or "")
    if "currency" in cleaned:
        code = str(cleaned["currency"] or "").strip().upper()
        if code not in iso_currencies():
            errors["currency"] = [_("Not an ISO 4217 currency code (for example CNY, USD, EUR).")]
        cleaned["currency"] = code
    if "status" in cleaned and cleaned["status"] not in OrderStatus.values:
        errors["status"] = [_("Unknown order status.")]
    for key in ("amount", "gross_profit"):
        if key in cleaned:
            cleaned[key] = _money(cleaned[key], key, errors)
    if "order_date" in cleaned:
        day = cleaned["order_date"]
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                day = None
        latest = timezone.localdate() + timedelta(days=LATEST_ORDER_DAYS_AHEAD)
        if not isinstance(day, date) or not (EARLIEST_ORDER_DATE <= day <= latest):
            errors["order_date"] = [
                _("The order date must be between %(first)s and %(last)s.")
                % {"first": EARLIEST_ORDER_DATE.isoformat(), "last": latest.isoformat()}
            ]
        cleaned["order_date"] = day
    amount = cleaned.get("amount", current.amount if current else None)
    profit = cleaned.get("gross_profit", current.gross_profit if current else Decimal(0))
    if "amount" not in errors and amount is not None and amount < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    if not {"amount", "gross_profit"} & set(errors) and amount is not None and profit is not None and profit > amount:
        errors["gross_profit"] = [_("The gross profit cannot exceed the amount.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


def _after_change(account_id: int) -> None:
    """Mark the account active, and reclassify it once the order is committed (robust: a failed
    reclassification must not undo a saved order; the nightly full run repairs it)."""
    from guanxi.customers.classify import recompute_account

    Account.objects.filter(pk=account_id).update(last_activity_at=timezone.now())
    transaction.on_commit(partial(recompute_account, account_id), robust=True)


@transaction.atomic
def order_create(*, actor: User, account: Account, data: dict[str, Any]) -> Order:
    if not editable_by(actor, account):
        raise PermissionDenied() if can_see(actor, account) else NotFound()
    cleaned = clean_order_data(data)
    missing = [name for name in ("order_date", "amount") if cleaned.get(name) is None]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    order = Order(account=account, **cleaned)
    try:
        lifecycle.record_create(actor=actor, obj=order)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc
    _after_change(account.pk)
    return order


@transaction.atomic
def order_update(*, actor: User, order: Order, version: int | None, data: dict[str, Any]) -> Order:
    cleaned = clean_order_data(data, current=order)
    try:
        updated = lifecycle.record_update(actor=actor, obj=order, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc
    _after_change(updated.account_id)
    return updated


@transaction.atomic
def order_delete(*, actor: User, order: Order, version: int | None = None) -> Order:
    deleted = lifecycle.record_delete(actor=actor, obj=order, version=version)
    _after_change(deleted.account_id)
    return deleted
