"""Custom fields defined by administrators (text, number, date, choice, multi-choice) per object.

Values live in the object's ``custom`` JSON column and are validated here, for the web form, the
API and imports alike; they are filterable (lists.py) and exportable like built-in fields."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import CustomField, CustomFieldType
from guanxi.users.models import User

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_TEXT = 1000
MAX_FIELDS_PER_OBJECT = 100


CACHE_SECONDS = 30


def _cache_key(object_type: str) -> str:
    return f"custom-fields:{object_type}"


def active_fields(object_type: str) -> list[CustomField]:
    """Active definitions, cached briefly: every list page and form reads them."""
    fields = cache.get(_cache_key(object_type))
    if fields is None:
        fields = list(CustomField.objects.filter(object_type=object_type, active=True).order_by("position", "id"))
        cache.set(_cache_key(object_type), fields, CACHE_SECONDS)
    return fields  # type: ignore[no-any-return]


def clean_value(field: CustomField, raw: Any) -> Any:
    """Return the JSON value to store, or raise ValueError with a user-facing message."""
    if raw is None or raw == "" or raw == []:
        if field.required:
            raise ValueError(_("This field is required."))
        return None
    if field.field_type == CustomFieldType.TEXT:
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            raise ValueError(_("At most %(n)d characters.") % {"n": MAX_TEXT})
        return text
    if field.field_type == CustomFieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if field.field_type == CustomFieldType.DATE:
        try:
            return (raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if field.field_type == CustomFieldType.CHOICE:
        value = str(raw)
        if value not in field.choices:
            raise ValueError(_("Choose one of: %(choices)s") % {"choices": ", ".join(field.choices)})
        return value
    values = raw if isinstance(raw, list) else [v.strip() for v in str(raw).replace("，", ",").split(",") if v.strip()]
    unknown = [str(v) for v in values if str(v) not in field.choices]
    if unknown:
        raise ValueError(_("Unknown choices: %(values)s") % {"values": ", ".join(unknown[:5])})
    return sorted({str(v) for v in values}, key=field.choices.index)


def clean_custom(object_type: str, values: dict[str, Any] | None, *, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``values`` (key → raw value) and merge them into ``current``. Unknown keys are refused."""
    if values is None:
        return dict(current or {})
    if not isinstance(values, dict):
        raise ValidationFailed({"custom": [_("Custom fields must be an object of key → value.")]})
    fields = {f.key: f for f in active_fields(object_type)}
    errors: dict[str, list[str]] = {}
    result = dict(current or {})
    for key, raw in values.items():
        field = fields.get(key)
        if field is None:
            errors[f"custom.{str(key)[:50]}"] = [_("Unknown custom field.")]
            continue
        try:
            value = clean_value(field, raw)
        except ValueError as exc:
            errors[f"custom.{key}"] = [str(exc)]
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    if current is None:
        for key, field in fields.items():
            if field.required and key not in result and f"custom.{key}" not in errors:
                errors[f"custom.{key}"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors)
    return result


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only administrators define custom fields."))


@transaction.atomic
def custom_field_save(*, actor: User, data: dict[str, Any], field: CustomField | None = None) -> CustomField:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    object_type = data.get("object_type", field.object_type if field else "")
    if object_type not in ("account", "contact", "order"):
        errors["object_type"] = [_("Choose account, contact or order.")]
    key = str(data.get("key", field.key if field else "")).strip().lower()
    if field is None:
        if not KEY_RE.match(key):
            errors["key"] = [_("Use lower-case letters, digits and underscores, starting with a letter.")]
        elif CustomField.objects.filter(object_type=object_type, key=key).exists():
            errors["key"] = [_("This key is already used.")]
        elif CustomField.objects.filter(object_type=object_type).count() >= MAX_FIELDS_PER_OBJECT:
            errors["key"] = [_("Too many custom fields on this object.")]
    elif key != field.key:
        errors["key"] = [_("The key cannot change once values exist; create a new field instead.")]
    field_type = data.get("field_type", field.field_type if field else "")
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("Unknown type.")]
    elif field is not None and field_type != field.field_type:
        errors["field_type"] = [_("The type cannot change once values exist; create a new field instead.")]
    label = str(data.get("label", field.label if field else "")).strip()
    if not label or len(label) > 100:
        errors["label"] = [_("Give a label of 1 to 100 characters.")]
    choices = data.get("choices", field.choices if field else [])
    if isinstance(choices, str):
        choices = [c.strip() for c in choices.replace("，", ",").split(",") if c.strip()]
    if field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        if not choices or len(choices) > 200 or any(len(str(c)) > 100 for c in choices) or len(set(choices)) != len(choices):
            errors["choices"] = [_("Give 1 to 200 different choices of at most 100 characters.")]
    else:
        choices = []
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(field) if field else None
    if field is None:
        field = CustomField(object_type=object_type, key=key, field_type=field_type)
    field.label = label
    field.label_en = str(data.get("label_en", field.label_en or "")).strip()[:100]
    field.choices = [str(c) for c in choices]
    field.required = bool(data.get("required", field.required))
    field.active = bool(data.get("active", field.active if field.pk else True))
    field.position = int(data.get("position", field.position) or 0)
    field.save()
    audit_record(actor=actor, obj=field, action=Action.UPDATE if before else Action.CREATE, before=before)
    return field


def custom_field_get(*, actor: User, pk: Any) -> CustomField:
    _require_admin(actor)
    field = CustomField.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if field is None:
        raise NotFound()
    return field
