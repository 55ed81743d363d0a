"""Cleaning the fields of a complaint (DOMAIN §4; used by ``guanxi.service.complaints``): sizes,
choices, and the references — the account, contact and order must be visible to the actor and
belong together; "not found" and "not yours" read the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.customers.models import Account, Contact, ContactAccount, Order
from guanxi.customers.orders import _money, iso_currencies
from guanxi.service.models import Channel, Complaint, ComplaintType, Severity
from guanxi.users.models import Department, User

BASE_FIELDS = ("title", "description", "complaint_type_id", "channel", "severity", "account_id", "contact_id", "order_id",
               "product", "submitter_name", "submitter_email", "submitter_phone")
RECORD_FIELDS = ("empathy_note", "listening_note", "apology_note", "agreed_remedy", "responsible_department_id",
                 "responsible_person_id", "root_cause", "compensation", "compensation_currency", "resolution",
                 "customer_confirmation", "follow_up_at")
EDITABLE_FIELDS = BASE_FIELDS + RECORD_FIELDS
TEXT_LIMITS = {"title": 200, "description": 10000, "product": 200, "submitter_name": 100, "submitter_phone": 20,
               "empathy_note": 5000, "listening_note": 5000, "apology_note": 5000, "agreed_remedy": 5000, "root_cause": 5000,
               "resolution": 5000, "customer_confirmation": 2000, "reopen_reason": 2000, "override_reason": 2000}
# complaint_flow names the responsibility records without the "_id" of the model's columns.
FLOW_NAMES = {"responsible_department_id": "responsible_department", "responsible_person_id": "responsible_person"}


def _text(cleaned: dict[str, Any], key: str, errors: dict[str, list[str]]) -> None:
    value = cleaned[key]
    cleaned[key] = "" if value is None else str(value).strip()
    limit = TEXT_LIMITS.get(key, 5000)
    if len(cleaned[key]) > limit:
        errors[key] = [_("At most %(max)d characters.") % {"max": limit}]


def _when(value: Any, key: str, errors: dict[str, list[str]]) -> datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value)[:40]) if isinstance(value, str) else None
    if moment is None:
        errors[key] = [_("Enter a date and time such as 2026-05-01T10:00+08:00.")]
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if not 1970 <= moment.year <= 2100:
        errors[key] = [_("Enter a date and time such as 2026-05-01T10:00+08:00.")]
        return None
    return moment


def _id(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number < 2**63 else None


def _visible_ref(actor: Any, model: type[Any], value: Any, key: str, errors: dict[str, list[str]], message: str) -> Any:
    """A referenced record the actor may see; "not found" and "not yours" read the same."""
    pk = _id(value)
    obj = None
    if pk is not None:
        try:
            obj = lifecycle.get_visible(actor, model, pk)
        except NotFound:
            obj = None
    if obj is None:
        errors[key] = [message]
    return obj


def clean_complaint_data(actor: Any, data: dict[str, Any], *, current: Complaint | None = None,
                         allowed: tuple[str, ...] = EDITABLE_FIELDS) -> dict[str, Any]:
    """Validate writable fields (model attribute names) and the references between them."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in [k for k in cleaned if k in TEXT_LIMITS]:
        _text(cleaned, key, errors)
    if "title" in cleaned and not cleaned["title"]:
        errors["title"] = [_("This field is required.")]
    if "description" in cleaned and not cleaned["description"]:
        errors["description"] = [_("This field is required.")]
    if "channel" in cleaned and cleaned["channel"] not in Channel.values:
        errors["channel"] = [_("Choose phone, email, web, wechat or visit.")]
    if "severity" in cleaned and cleaned["severity"] not in Severity.values:
        errors["severity"] = [_("Choose low, medium, high or critical.")]
    if "complaint_type_id" in cleaned:
        kind = ComplaintType.objects.filter(pk=_id(cleaned["complaint_type_id"]) or 0).first()
        if kind is None or (not kind.active and kind.pk != getattr(current, "complaint_type_id", None)):
            errors["complaint_type_id"] = [_("Choose an active complaint type.")]
        else:
            cleaned["complaint_type_id"] = kind.pk
    if "submitter_email" in cleaned:
        email = str(cleaned["submitter_email"] or "").strip().lower()
        try:
            if email:
                validate_email(email)
        except ValidationError:
            errors["submitter_email"] = [_("Not a valid email address.")]
        cleaned["submitter_email"] = email[:254]
    for key, model, message in (("account_id", Account, _("No such account.")), ("contact_id", Contact, _("No such contact.")),
                                ("order_id", Order, _("No such order."))):
        if key in cleaned and cleaned[key] is not None:
            obj = _visible_ref(actor, model, cleaned[key], key, errors, message)
            cleaned[key] = obj.pk if obj is not None else None
            cleaned[f"_{key}"] = obj
    if cleaned.get("responsible_department_id") is not None:
        if not Department.objects.filter(pk=_id(cleaned["responsible_department_id"]) or 0).exists():
            errors["responsible_department_id"] = [_("No such department.")]
    if cleaned.get("responsible_person_id") is not None:
        if not User.objects.filter(pk=_id(cleaned["responsible_person_id"]) or 0, is_active=True).exists():
            errors["responsible_person_id"] = [_("No such active user.")]
    if "compensation" in cleaned and cleaned["compensation"] is not None and str(cleaned["compensation"]).strip() != "":
        amount = _money(cleaned["compensation"], "compensation", errors)
        if amount is not None and amount < 0:
            errors["compensation"] = [_("The compensation cannot be negative.")]
        cleaned["compensation"] = amount
    elif "compensation" in cleaned:
        cleaned["compensation"] = None
    if "compensation_currency" in cleaned:
        code = str(cleaned["compensation_currency"] or "").strip().upper()
        if code not in iso_currencies():
            errors["compensation_currency"] = [_("Not an ISO 4217 currency code (for example CNY, USD, EUR).")]
        cleaned["compensation_currency"] = code
    if "follow_up_at" in cleaned:
        cleaned["follow_up_at"] = _when(cleaned["follow_up_at"], "follow_up_at", errors)
    if errors:
        raise ValidationFailed(errors)
    _check_links(cleaned, current)
    for key in ("_account_id", "_contact_id", "_order_id"):
        cleaned.pop(key, None)
    return cleaned


def _check_links(cleaned: dict[str, Any], current: Complaint | None) -> None:
    """The order belongs to the account; the contact is one of the account's contacts."""
    account_id = cleaned.get("account_id", current.account_id if current else None)
    order = cleaned.get("_order_id")
    if order is not None:
        if account_id is None:
            cleaned["account_id"] = account_id = order.account_id
        elif order.account_id != account_id:
            raise ValidationFailed({"order_id": [_("This order belongs to another account.")]})
    contact_id = cleaned.get("contact_id", current.contact_id if current else None)
    if contact_id is not None and account_id is not None and ("contact_id" in cleaned or "account_id" in cleaned):
        if not ContactAccount.objects.filter(contact_id=contact_id, account_id=account_id).exists():
            raise ValidationFailed({"contact_id": [_("This contact is not a contact of the account.")]})
    if "account_id" in cleaned and "order_id" not in cleaned and current is not None and current.order_id:
        if account_id is None or Order.objects.filter(pk=current.order_id).exclude(account_id=account_id).exists():
            raise ValidationFailed({"order_id": [_("This order belongs to another account.")]})
