"""Administration of the complaint taxonomy and the SLA policies (DOMAIN §4; issue 6 items 1 and 3).

* The built-in types (质量不良, 价格过高, 标示不符, 服务方式欠妥, 服务态度欠佳, 自身不良行为, 服务作业不当,
  服务制度) come from a data migration; administrators may add types, rename any type and
  deactivate one (a type in use is never deleted: complaints keep it, new complaints cannot pick it).
  A built-in type keeps its code and category, which reports rely on.
* An SLA policy gives response and resolution targets in business minutes for a severity and a
  customer value tier (empty tier = any customer); the most specific policy wins
  (``guanxi.service.sla.pick_policy``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, audited_update
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.customers.models import ValueTier
from guanxi.service.calendars import require_admin
from guanxi.service.models import ComplaintCategory, ComplaintType, Severity, SlaPolicy, WorkingCalendar
from guanxi.users.models import User

TYPE_WRITABLE = ("code", "category", "name_zh", "name_en", "active", "position")
POLICY_WRITABLE = ("severity", "value_tier", "response_minutes", "resolution_minutes", "calendar_id", "reassign_on_breach")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_MINUTES = 366 * 24 * 60  # a target longer than a year of business time is a typo


def complaint_types(*, active_only: bool = False) -> QuerySet[ComplaintType]:
    qs = ComplaintType.objects.all()
    return qs.filter(active=True) if active_only else qs


def _clean_type(data: dict[str, Any], *, current: ComplaintType | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(TYPE_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "code" in cleaned:
        cleaned["code"] = str(cleaned["code"] or "").strip().lower()
        if not CODE_RE.match(cleaned["code"]):
            errors["code"] = [_("Use 1 to 40 lowercase letters, digits, - or _.")]
        elif current is not None and current.built_in and cleaned["code"] != current.code:
            errors["code"] = [_("A built-in type keeps its code.")]
        elif ComplaintType.objects.filter(code=cleaned["code"]).exclude(pk=current.pk if current else 0).exists():
            errors["code"] = [_("Another complaint type has this code.")]
    if "category" in cleaned:
        if cleaned["category"] not in ComplaintCategory.values:
            errors["category"] = [_("Choose product or service.")]
        elif current is not None and current.built_in and cleaned["category"] != current.category:
            errors["category"] = [_("A built-in type keeps its category.")]
    for key in ("name_zh", "name_en"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()
            if not cleaned[key] or len(cleaned[key]) > 100:
                errors[key] = [_("Give a name of 1 to 100 characters.")]
    if "active" in cleaned:
        cleaned["active"] = bool(cleaned["active"])
    if "position" in cleaned:
        position = cleaned["position"]
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 1000:
            errors["position"] = [_("Enter a whole number from 0 to 1000.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def complaint_type_create(*, actor: User, data: dict[str, Any]) -> ComplaintType:
    require_admin(actor)
    cleaned = _clean_type(data, current=None)
    missing = [name for name in ("code", "category", "name_zh", "name_en") if not cleaned.get(name)]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    kind = ComplaintType.objects.create(**cleaned)
    audit_record(actor=actor, obj=kind, action=Action.CREATE)
    return kind


@transaction.atomic
def complaint_type_update(*, actor: User, complaint_type: ComplaintType, data: dict[str, Any]) -> ComplaintType:
    require_admin(actor)
    current = ComplaintType.objects.select_for_update().get(pk=complaint_type.pk)
    return audited_update(actor=actor, obj=current, changes=_clean_type(data, current=current))


# --- SLA policies ----------------------------------------------------------------------------------

def _minutes(value: Any, field: str, errors: dict[str, list[str]]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_MINUTES:
        errors[field] = [_("Enter a whole number of business minutes from 1 to %(max)d.") % {"max": MAX_MINUTES}]
        return None
    return value


def _clean_policy(data: dict[str, Any], *, current: SlaPolicy | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(POLICY_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "severity" in cleaned and cleaned["severity"] not in Severity.values:
        errors["severity"] = [_("Choose low, medium, high or critical.")]
    if "value_tier" in cleaned:
        cleaned["value_tier"] = str(cleaned["value_tier"] or "")
        if cleaned["value_tier"] and cleaned["value_tier"] not in ValueTier.values:
            errors["value_tier"] = [_("Choose a customer value tier, or leave it empty for every customer.")]
    for key in ("response_minutes", "resolution_minutes"):
        if key in cleaned:
            cleaned[key] = _minutes(cleaned[key], key, errors)
    if "calendar_id" in cleaned and cleaned["calendar_id"] is not None:
        if not WorkingCalendar.objects.filter(pk=cleaned["calendar_id"]).exists():
            errors["calendar_id"] = [_("No such working calendar.")]
    if "reassign_on_breach" in cleaned:
        cleaned["reassign_on_breach"] = bool(cleaned["reassign_on_breach"])
    if errors:
        raise ValidationFailed(errors)
    response = cleaned.get("response_minutes", current.response_minutes if current else None)
    resolution = cleaned.get("resolution_minutes", current.resolution_minutes if current else None)
    if response and resolution and response > resolution:
        raise ValidationFailed({"resolution_minutes": [_("The resolution target cannot be shorter than the response target.")]})
    severity = cleaned.get("severity", current.severity if current else None)
    tier = cleaned.get("value_tier", current.value_tier if current else "")
    if SlaPolicy.objects.filter(severity=severity, value_tier=tier).exclude(pk=current.pk if current else 0).exists():
        raise Conflict(code="sla_policy.duplicate", detail=_("A policy for this severity and value tier already exists."))
    return cleaned


@transaction.atomic
def sla_policy_create(*, actor: User, data: dict[str, Any]) -> SlaPolicy:
    require_admin(actor)
    cleaned = _clean_policy(data, current=None)
    missing = [name for name in ("severity", "response_minutes", "resolution_minutes") if not cleaned.get(name)]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    policy = SlaPolicy.objects.create(**cleaned)
    audit_record(actor=actor, obj=policy, action=Action.CREATE)
    return policy


@transaction.atomic
def sla_policy_update(*, actor: User, policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    require_admin(actor)
    current = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    return audited_update(actor=actor, obj=current, changes=_clean_policy(data, current=current))


@transaction.atomic
def sla_policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    """Complaints keep their deadlines; they just no longer name the policy."""
    require_admin(actor)
    audit_record(actor=actor, obj=policy, action=Action.DELETE, changes={})
    policy.delete()
