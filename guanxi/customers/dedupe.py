"""Duplicate detection (查重) and merge.

Two accounts are suspected duplicates when they share a credit code, a normalised phone, a
contact email, or a normalised name: legal-form suffixes (有限公司, 股份有限公司, Co., Ltd.) and
a region in brackets ((北京)) stripped, full-width folded, Chinese read as pinyin — so
"华为技术有限公司", "华为技术（深圳）有限公司" and "Huawei Technology Co., Ltd." meet.

A merge keeps one survivor, takes each field's value from the survivor or the other record as the
user chooses, moves contacts, orders and tags to the survivor, links the merged-away record's
history to it (``merged_into``), audits both sides, and leaves the merged-away record in the
trash, restorable like any deleted record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, diff, snapshot
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Account, ContactAccount, DuplicateCandidate, DuplicateStatus, Order
from guanxi.customers.search import pinyin_full, refresh_search_fields
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, visible_to

_REGION_IN_BRACKETS = re.compile(r"[(\[][^)\]]{1,12}[)\]]")
_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "总公司", "分公司", "公司", "集团",
    "co.,ltd.", "co.,ltd", "co.ltd", "co ltd", "company limited", "corporation", "limited", "ltd.", "ltd", "inc.",
    "inc", "corp.", "corp", "co.", " co", "gmbh", "llc", "plc",
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)

MERGEABLE_FIELDS = (
    "name", "short_name", "credit_code", "nature", "industry", "province", "city", "address", "phone", "website",
    "source", "notes",
)


def name_key(name: str) -> str:
    """'华为技术（深圳）有限公司' → 'huaweijishu'; 'Huawei Technology Co., Ltd.' → 'huaweitechnology'."""
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = _REGION_IN_BRACKETS.sub("", text)
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip(" .,")
        if not stripped.endswith(_SUFFIXES):  # one C-level test for the usual last round
            break
        for suffix in _SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                text = stripped[: -len(suffix)]
                changed = True
                break
    text = _NON_WORD.sub("", text)
    # The archive's cached per-character readings (guanxi.customers.search), not a fresh pypinyin
    # segmentation per name: imports compute this for every row.
    return pinyin_full(text)[:200]


def _phones(account: Account) -> set[str]:
    return {p for p in [account.phone, *(account.other_phones or [])] if p}


def find_duplicates(account: Account) -> list[tuple[Account, list[str]]]:
    """Existing accounts (any owner, not deleted) that look like ``account``, with the reasons."""
    conditions = Q()
    if account.credit_code:
        conditions |= Q(credit_code=account.credit_code)
    key = account.name_key or name_key(account.name)
    if key:
        conditions |= Q(name_key=key)
    phones = _phones(account)
    if phones:
        conditions |= Q(phone__in=phones)
    if not conditions:
        return []
    found = []
    for other in Account.objects.filter(conditions).exclude(pk=account.pk).select_related("owner")[:20]:
        reasons = []
        if account.credit_code and other.credit_code == account.credit_code:
            reasons.append("credit_code")
        if key and other.name_key == key:
            reasons.append("name")
        if phones & _phones(other):
            reasons.append("phone")
        found.append((other, reasons))
    return found


_SCORES = {"credit_code": 100, "phone": 60, "email": 50, "name": 40}


def _record_pair(a: int, b: int, reasons: Iterable[str]) -> bool:
    first, second = sorted((a, b))
    reasons = sorted(set(reasons))
    candidate, created = DuplicateCandidate.objects.get_or_create(
        first_id=first, second_id=second, defaults={"reasons": reasons, "score": min(100, sum(_SCORES[r] for r in reasons))}
    )
    if not created and candidate.status == DuplicateStatus.OPEN and set(candidate.reasons) != set(reasons):
        candidate.reasons = sorted(set(candidate.reasons) | set(reasons))
        candidate.score = min(100, sum(_SCORES[r] for r in candidate.reasons))
        candidate.save(update_fields=["reasons", "score", "updated_at"])
    return created


def scan_duplicates(*, max_group: int = 50) -> int:
    """Fill the duplicates queue: group live accounts by name key, phone and contact email."""
    created = 0
    live = Account.objects.all()
    for field, reason in (("name_key", "name"), ("phone", "phone")):
        groups = (
            live.exclude(**{field: ""}).values(field).annotate(n=Count("id")).filter(n__gt=1, n__lte=max_group).values_list(field, flat=True)
        )
        for value in groups.iterator():
            ids = sorted(live.filter(**{field: value}).values_list("pk", flat=True))
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    created += _record_pair(a, b, [reason])
    emails = (
        ContactAccount.objects.filter(account__deleted_at__isnull=True, contact__deleted_at__isnull=True)
        .exclude(contact__email="")
        .values("contact__email").annotate(n=Count("account", distinct=True)).filter(n__gt=1, n__lte=max_group)
        .values_list("contact__email", flat=True)
    )
    for email in emails.iterator():
        ids = sorted(set(ContactAccount.objects.filter(contact__email=email, account__deleted_at__isnull=True).values_list("account_id", flat=True)))
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                created += _record_pair(a, b, ["email"])
    return created


def duplicate_queue(*, actor: User) -> Any:
    """Open pairs where the actor may see both accounts."""
    visible = visible_to(actor, Account.objects.all()).values("pk")
    return (
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN, first__in=visible, second__in=visible)
        .select_related("first", "second", "first__owner", "second__owner")
        .order_by("-score", "-id")
    )


def duplicate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> None:
    if not (editable_by(actor, candidate.first) or editable_by(actor, candidate.second)):
        # Visible but read-only → 403; a pair the actor cannot see → 404 (ARCHITECTURE: not yours → 404).
        visible = can_see(actor, candidate.first) and can_see(actor, candidate.second)
        raise PermissionDenied() if visible else NotFound()
    candidate.status = DuplicateStatus.DISMISSED
    candidate.save(update_fields=["status", "updated_at"])


@transaction.atomic
def account_merge(*, actor: User, survivor: Account, merged: Account, choices: dict[str, str]) -> Account:
    """Merge ``merged`` into ``survivor``. ``choices`` maps a field to "survivor" or "merged"."""
    if survivor.pk == merged.pk:
        raise ValidationFailed({"merged": [_("Choose two different accounts.")]})
    for account in (survivor, merged):
        if not editable_by(actor, account):
            raise PermissionDenied() if can_see(actor, account) else NotFound()
    bad = {k: [_("This field cannot be merged.")] for k, v in choices.items() if k not in MERGEABLE_FIELDS or v not in ("survivor", "merged")}
    if bad:
        raise ValidationFailed(bad)
    survivor = Account.objects.select_for_update().get(pk=survivor.pk)
    merged = Account.objects.select_for_update().get(pk=merged.pk)
    before = snapshot(survivor)
    taken = {f: getattr(merged, f) for f, side in choices.items() if side == "merged"}
    if "credit_code" in taken:
        # The code moves with the record; free it first so the unique constraint holds.
        Account.all_objects.filter(pk=merged.pk).update(credit_code=None)
    for field, value in taken.items():
        setattr(survivor, field, value)
    survivor.other_phones = sorted((_phones(survivor) | _phones(merged)) - {survivor.phone})[:10]
    survivor.name_key = name_key(survivor.name)
    refresh_search_fields(survivor)  # name, phones or credit code may have come from the merged record
    survivor.version += 1
    survivor.save()
    moved_orders = Order.all_objects.filter(account_id=merged.pk).update(account_id=survivor.pk)
    existing = set(ContactAccount.objects.filter(account_id=survivor.pk).values_list("contact_id", flat=True))
    links = ContactAccount.objects.filter(account_id=merged.pk)
    moved_contacts = links.exclude(contact_id__in=existing).update(account_id=survivor.pk)
    links.delete()
    survivor.tags.add(*merged.tags.all())
    now = timezone.now()
    Account.all_objects.filter(pk=merged.pk).update(
        deleted_at=now, deleted_by=actor, merged_into=survivor, version=merged.version + 1, updated_at=now
    )
    changes: dict[str, Any] = diff(before, snapshot(survivor))
    changes["merged_from"] = [None, merged.pk]
    changes["moved"] = [None, {"orders": moved_orders, "contacts": moved_contacts}]
    audit_record(actor=actor, obj=survivor, action=Action.MERGE, changes=changes)
    merged.refresh_from_db()
    audit_record(actor=actor, obj=merged, action=Action.MERGE, changes={"merged_into": [None, survivor.pk]})
    DuplicateCandidate.objects.filter(
        Q(first_id=merged.pk) | Q(second_id=merged.pk), status=DuplicateStatus.OPEN
    ).update(status=DuplicateStatus.MERGED, updated_at=now)
    return survivor
