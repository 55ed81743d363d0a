"""Contact services: every write to contacts (name, phones in E.164, email, WeChat, birthday,
links to one or more accounts) goes through here, for the web UI, the API and imports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record
from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.phones import clean_phone_field, clean_phone_list
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

CONTACT_WRITABLE = (
    "name", "title", "department_name", "mobile", "other_phones", "email", "wechat", "birthday", "external_id", "notes",
)


def _refresh_search(contact: Contact) -> None:
    try:
        from guanxi.customers.search import refresh_search_fields
    except ImportError:  # the search module arrives with the search feature
        return
    refresh_search_fields(contact)


def clean_contact_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(CONTACT_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = [_("A contact needs a name.")]
    clean_phone_field(cleaned, "mobile", errors)
    clean_phone_list(cleaned, "other_phones", errors)
    if cleaned.get("email"):
        cleaned["email"] = str(cleaned["email"]).strip().lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("Not a valid email address.")]
    birthday = cleaned.get("birthday")
    if isinstance(birthday, date) and not (date(1900, 1, 1) <= birthday <= timezone.localdate()):
        errors["birthday"] = [_("The birthday must be between 1900 and today.")]
    if "external_id" in cleaned:
        cleaned["external_id"] = (cleaned["external_id"] or "").strip() or None
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _visible_accounts(actor: User, account_ids: list[int]) -> list[Account]:
    ids = sorted(set(account_ids))
    if len(ids) > 50:
        raise ValidationFailed({"account_ids": [_("A contact can be linked to at most 50 accounts.")]})
    accounts = list(visible_to(actor, Account.objects.filter(pk__in=ids)))
    if len(accounts) != len(ids):
        # Do not reveal which ids exist: the unknown and the invisible look the same.
        raise ValidationFailed({"account_ids": [_("One or more accounts do not exist or are not visible to you.")]})
    return accounts


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


@transaction.atomic
def contact_create(*, actor: User, data: dict[str, Any], account_ids: list[int] | None = None) -> Contact:
    cleaned = clean_contact_data(data)
    if "name" not in cleaned:
        raise ValidationFailed({"name": [_("A contact needs a name.")]})
    accounts = _visible_accounts(actor, account_ids or [])
    contact = Contact(**cleaned)
    contact.team = actor.teams.order_by("pk").first()
    _refresh_search(contact)
    try:
        lifecycle.record_create(actor=actor, obj=contact)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc
    ContactAccount.objects.bulk_create(
        [ContactAccount(contact=contact, account=a, is_primary=i == 0) for i, a in enumerate(accounts)]
    )
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: Contact, version: int | None, data: dict[str, Any]) -> Contact:
    cleaned = clean_contact_data(data)
    probe = Contact(**{**{f: getattr(contact, f) for f in CONTACT_WRITABLE}, **cleaned})
    _refresh_search(probe)
    cleaned["search_text"], cleaned["name_sort"] = probe.search_text, probe.name_sort
    try:
        return lifecycle.record_update(actor=actor, obj=contact, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def contact_set_accounts(*, actor: User, contact: Contact, account_ids: list[int]) -> Contact:
    """Replace the accounts a contact belongs to (the actor must be able to edit the contact)."""
    contact = lifecycle.get_editable(actor, Contact, contact.pk)
    accounts = _visible_accounts(actor, account_ids)
    before = sorted(contact.account_links.values_list("account_id", flat=True))
    contact.account_links.all().delete()
    ContactAccount.objects.bulk_create(
        [ContactAccount(contact=contact, account=a, is_primary=i == 0) for i, a in enumerate(accounts)]
    )
    audit_record(actor=actor, obj=contact, action=Action.UPDATE, changes={"accounts": [before, [a.pk for a in accounts]]})
    return contact


def contact_delete(*, actor: User, contact: Contact, version: int | None = None) -> Contact:
    return lifecycle.record_delete(actor=actor, obj=contact, version=version)
