"""Every write to accounts goes through here; the API and the web UI both call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.core.errors import ValidationFailed
from guanxi.customers.custom_fields import clean_custom
from guanxi.customers.dedupe import name_key
from guanxi.customers.errors import DuplicateAccount, DuplicateCreditCode
from guanxi.customers.models import Account
from guanxi.customers.phones import clean_phone_field, clean_phone_list, raise_if
from guanxi.customers.search import refresh_search_fields
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

# Fields a user may write through create/update. Ownership moves only through transfer.
ACCOUNT_WRITABLE = (
    "kind", "name", "short_name", "credit_code", "nature", "industry", "province", "city", "address", "phone",
    "other_phones", "website", "source", "external_id", "notes", "custom",
)


def _clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(ACCOUNT_WRITABLE))
    if unknown:
        raise ValidationFailed({name: ["Unknown or read-only field."] for name in unknown})
    cleaned = dict(data)
    if "credit_code" in cleaned:
        code = (cleaned["credit_code"] or "").replace(" ", "").replace("-", "").upper()
        cleaned["credit_code"] = code or None
    for key in ("name", "short_name"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = cleaned[key].strip()
    if "external_id" in cleaned:
        cleaned["external_id"] = (cleaned["external_id"] or "").strip() or None
    errors: dict[str, list[str]] = {}
    website = cleaned.get("website")
    if isinstance(website, str) and website and not website.lower().startswith(("http://", "https://")):
        # The model's URLField would also take ftp(s)://; a customer's website is a web link (SECURITY.md).
        errors["website"] = [_("Enter a web address starting with http:// or https://.")]
    clean_phone_field(cleaned, "phone", errors)
    clean_phone_list(cleaned, "other_phones", errors)
    raise_if(errors)
    return cleaned


def _check_duplicate(credit_code: str | None, exclude_pk: int | None = None) -> None:
    if not credit_code:
        return
    qs = Account.all_objects.filter(credit_code=credit_code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    other = qs.select_related("owner").first()
    if other is not None:
        # DOMAIN §1 查重: say that it exists and who owns it, nothing else.
        raise DuplicateCreditCode(owner=str(other.owner) if other.owner else None, in_pool=other.owner_id is None)


def _check_name_duplicate(actor: User, key: str, exclude_pk: int | None = None) -> None:
    """DOMAIN §1 查重: refuse a copy of a customer that exists outside what the actor may see,
    saying only who owns it or that it is in the public pool (where it can be claimed)."""
    if not key:
        return
    qs = Account.objects.filter(name_key=key)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    others = list(qs.select_related("owner")[:5])
    if not others:
        return
    visible = set(visible_to(actor, Account.objects.filter(pk__in=[o.pk for o in others])).values_list("pk", flat=True))
    hidden = [o for o in others if o.pk not in visible]
    if hidden:
        other = hidden[0]
        raise DuplicateAccount(owner=str(other.owner) if other.owner else None, in_pool=other.owner_id is None)


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


@transaction.atomic
def account_create(*, actor: User, data: dict[str, Any]) -> Account:
    cleaned = _clean_fields(data)
    _check_duplicate(cleaned.get("credit_code"))
    cleaned["name_key"] = name_key(cleaned.get("name", ""))
    _check_name_duplicate(actor, cleaned["name_key"])
    cleaned["custom"] = clean_custom("account", cleaned.get("custom") or {})
    account = Account(**cleaned)
    account.team = actor.teams.order_by("pk").first()
    refresh_search_fields(account)
    try:
        return lifecycle.record_create(actor=actor, obj=account)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def account_update(*, actor: User, account: Account, version: int | None, data: dict[str, Any]) -> Account:
    cleaned = _clean_fields(data)
    if "credit_code" in cleaned:
        _check_duplicate(cleaned["credit_code"], exclude_pk=account.pk)
    if "name" in cleaned:
        cleaned["name_key"] = name_key(cleaned["name"])
        _check_name_duplicate(actor, cleaned["name_key"], exclude_pk=account.pk)
    if "custom" in cleaned:
        cleaned["custom"] = clean_custom("account", cleaned["custom"], current=account.custom)
    probe = refresh_search_fields(Account(**{**{f: getattr(account, f) for f in ACCOUNT_WRITABLE}, **cleaned}))
    cleaned["search_text"], cleaned["name_sort"] = probe.search_text, probe.name_sort
    try:
        return lifecycle.record_update(actor=actor, obj=account, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


def account_delete(*, actor: User, account: Account, version: int | None = None) -> Account:
    return lifecycle.record_delete(actor=actor, obj=account, version=version)


def account_restore(*, actor: User, account: Account) -> Account:
    return lifecycle.record_restore(actor=actor, obj=account)


def account_transfer(*, actor: User, account: Account, new_owner: User, version: int | None = None) -> Account:
    return lifecycle.record_transfer(actor=actor, obj=account, new_owner=new_owner, version=version)
