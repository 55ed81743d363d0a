"""Lead services (线索, DOMAIN §2): create, qualify (BANT), disqualify, check for duplicates in the
archive, and convert into an account, a contact and an opportunity.

Conversion shows the archive's duplicate check (查重, DOMAIN §1) BEFORE anything is created:
``lead_duplicates`` lists the matching accounts and contacts the actor may see, and for the ones
they may not see says only who owns them (or that they are in the public pool). ``lead_convert``
then links to an existing account / contact or creates new ones through the archive's own services
(which refuse a copy of a customer that exists outside the actor's view), in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.contacts import contact_create
from guanxi.customers.dedupe import name_key
from guanxi.customers.models import Account, AccountKind, Contact, ContactAccount, validate_uscc
from guanxi.customers.phones import clean_phone_field, raise_if
from guanxi.customers.services import account_create
from guanxi.sales.models import Lead, LeadStatus, Opportunity
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, visible_to

LEAD_WRITABLE = (
    "name", "company", "title", "mobile", "email", "wechat", "credit_code", "industry", "province", "city", "source",
    "status", "has_budget", "has_authority", "has_need", "has_timeline", "notes", "external_id",
)
# Status changes a plain update may make; qualified / disqualified / converted have their own services.
UPDATABLE_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


def clean_lead_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(LEAD_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in ("name", "company", "title", "wechat", "industry", "province", "city", "source", "notes"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("A lead needs a contact name.")]
    clean_phone_field(cleaned, "mobile", errors)
    if "mobile" in cleaned and cleaned["mobile"] is None:
        cleaned["mobile"] = ""
    if cleaned.get("email"):
        cleaned["email"] = str(cleaned["email"]).strip().lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("Not a valid email address.")]
    elif "email" in cleaned:
        cleaned["email"] = ""
    if "credit_code" in cleaned:
        code = str(cleaned["credit_code"] or "").replace(" ", "").replace("-", "").upper()
        if code:
            try:
                validate_uscc(code)
            except ValidationError as exc:
                errors["credit_code"] = [str(m) for m in exc.messages]
        cleaned["credit_code"] = code
    if "external_id" in cleaned:
        cleaned["external_id"] = str(cleaned["external_id"] or "").strip() or None
    if "status" in cleaned and cleaned["status"] not in UPDATABLE_STATUSES:
        errors["status"] = [_("Use qualify, disqualify or convert for this status.")]
    for key in ("has_budget", "has_authority", "has_need", "has_timeline"):
        if key in cleaned:
            cleaned[key] = bool(cleaned[key])
    raise_if(errors)
    return cleaned


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


def _require_editable(actor: User, lead: Lead) -> None:
    if not editable_by(actor, lead):
        raise PermissionDenied() if can_see(actor, lead) else NotFound()


def _refuse_converted(lead: Lead) -> None:
    if lead.status == LeadStatus.CONVERTED:
        raise Conflict(_("This lead has already been converted."), code="lead.already_converted")


@transaction.atomic
def lead_create(*, actor: User, data: dict[str, Any]) -> Lead:
    cleaned = clean_lead_data(data)
    if not cleaned.get("name"):
        raise ValidationFailed({"name": [_("A lead needs a contact name.")]})
    lead = Lead(**cleaned)
    lead.team = actor.teams.order_by("pk").first()
    try:
        return lifecycle.record_create(actor=actor, obj=lead)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def lead_update(*, actor: User, lead: Lead, version: int | None, data: dict[str, Any]) -> Lead:
    _refuse_converted(lead)
    cleaned = clean_lead_data(data)
    try:
        return lifecycle.record_update(actor=actor, obj=lead, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


def lead_delete(*, actor: User, lead: Lead, version: int | None = None) -> Lead:
    return lifecycle.record_delete(actor=actor, obj=lead, version=version)


@transaction.atomic
def lead_qualify(*, actor: User, lead: Lead, version: int | None = None) -> Lead:
    """Mark the lead qualified (ready to convert)."""
    _refuse_converted(lead)
    return lifecycle.record_update(actor=actor, obj=lead, version=version,
                                   changes={"status": LeadStatus.QUALIFIED, "disqualify_reason": ""})


@transaction.atomic
def lead_disqualify(*, actor: User, lead: Lead, reason: str, version: int | None = None) -> Lead:
    _refuse_converted(lead)
    reason = str(reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationFailed({"reason": [_("Say in 1 to 200 characters why the lead is disqualified.")]})
    return lifecycle.record_update(actor=actor, obj=lead, version=version,
                                   changes={"status": LeadStatus.DISQUALIFIED, "disqualify_reason": reason})


# --- duplicates ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HiddenMatch:
    """A matching record the actor may not see: only who owns it (DOMAIN §1 查重)."""

    kind: str  # "account" or "contact"
    owner: str | None
    in_pool: bool


@dataclass
class LeadDuplicates:
    accounts: list[tuple[Account, list[str]]] = field(default_factory=list)
    contacts: list[tuple[Contact, list[str]]] = field(default_factory=list)
    hidden: list[HiddenMatch] = field(default_factory=list)

    @property
    def hidden_count(self) -> int:
        return len(self.hidden)

    @property
    def any(self) -> bool:
        return bool(self.accounts or self.contacts or self.hidden)


MAX_MATCHES = 20


def lead_duplicates(actor: User, lead: Lead) -> LeadDuplicates:
    """Archive records that look like ``lead``: accounts by credit code, normalised company name
    (name_key), phone, or a contact e-mail; contacts by mobile or e-mail. Visible ones are listed
    with the reasons; the others only counted, with their owner's name."""
    result = LeadDuplicates()
    account_q = Q()
    key = name_key(lead.company) if lead.company else ""
    if lead.credit_code:
        account_q |= Q(credit_code=lead.credit_code)
    if key:
        account_q |= Q(name_key=key)
    if lead.mobile:
        account_q |= Q(phone=lead.mobile)
    if lead.email:
        account_q |= Q(pk__in=ContactAccount.objects.filter(contact__email=lead.email, contact__deleted_at__isnull=True).values("account_id"))
    contact_q = Q()
    if lead.mobile:
        contact_q |= Q(mobile=lead.mobile)
    if lead.email:
        contact_q |= Q(email=lead.email)
    accounts = list(Account.objects.filter(account_q).select_related("owner")[:MAX_MATCHES]) if account_q else []
    contacts = list(Contact.objects.filter(contact_q).select_related("owner")[:MAX_MATCHES]) if contact_q else []
    visible_accounts = set(visible_to(actor, Account.objects.filter(pk__in=[a.pk for a in accounts])).values_list("pk", flat=True))
    visible_contacts = set(visible_to(actor, Contact.objects.filter(pk__in=[c.pk for c in contacts])).values_list("pk", flat=True))
    emails_of: dict[int, set[str]] = {}
    if lead.email and accounts:
        for account_id, email in ContactAccount.objects.filter(account_id__in=[a.pk for a in accounts]).values_list("account_id", "contact__email"):
            emails_of.setdefault(account_id, set()).add(email)
    for account in accounts:
        if account.pk not in visible_accounts:
            result.hidden.append(HiddenMatch("account", str(account.owner) if account.owner else None, account.owner_id is None))
            continue
        reasons = []
        if lead.credit_code and account.credit_code == lead.credit_code:
            reasons.append("credit_code")
        if key and account.name_key == key:
            reasons.append("name")
        if lead.mobile and account.phone == lead.mobile:
            reasons.append("phone")
        if lead.email and lead.email in emails_of.get(account.pk, set()):
            reasons.append("email")
        result.accounts.append((account, reasons))
    for contact in contacts:
        if contact.pk not in visible_contacts:
            result.hidden.append(HiddenMatch("contact", str(contact.owner) if contact.owner else None, contact.owner_id is None))
            continue
        reasons = [r for r, hit in (("mobile", lead.mobile and contact.mobile == lead.mobile),
                                    ("email", lead.email and contact.email == lead.email)) if hit]
        result.contacts.append((contact, reasons))
    return result


# --- conversion ------------------------------------------------------------------------------------

@dataclass
class Conversion:
    lead: Lead
    account: Account
    contact: Contact | None
    opportunity: Opportunity | None
    created_account: bool
    created_contact: bool


def _account_data(lead: Lead) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": lead.company or lead.name,
        "kind": AccountKind.COMPANY if lead.company else AccountKind.INDIVIDUAL,
        "industry": lead.industry, "province": lead.province, "city": lead.city, "source": lead.source,
    }
    if lead.credit_code:
        data["credit_code"] = lead.credit_code
    return data


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    version: int | None = None,
    account_id: int | None = None,
    contact_id: int | None = None,
    create_contact: bool = True,
    create_opportunity: bool = True,
    opportunity: dict[str, Any] | None = None,
    opportunity_contact_role: str | None = None,
) -> Conversion:
    """Convert ``lead``: link the account ``account_id`` (one the actor can see) or create one from
    the lead; link the contact ``contact_id`` or create one (unless ``create_contact`` is False);
    optionally create an opportunity (``opportunity``: its fields, e.g. name, amount,
    expected_close; ``pipeline_id`` / ``stage_id`` allowed). The lead is marked converted with
    its links. Refuses a lead converted before (409 lead.already_converted)."""
    from guanxi.sales.models import Pipeline, Stage
    from guanxi.sales.opportunities import opportunity_create

    _require_editable(actor, lead)
    current = Lead.all_objects.select_for_update().get(pk=lead.pk)
    if current.deleted_at is not None:
        raise NotFound()
    if version is not None and current.version != version:
        raise VersionConflict(current_version=current.version)
    _refuse_converted(current)
    if current.status == LeadStatus.DISQUALIFIED:
        raise Conflict(_("This lead is disqualified; qualify it again before converting."), code="lead.disqualified")
    if account_id is not None:
        account = lifecycle.get_visible(actor, Account, account_id)
        created_account = False
    else:
        account = account_create(actor=actor, data=_account_data(current))
        created_account = True
    contact: Contact | None = None
    created_contact = False
    if contact_id is not None:
        contact = lifecycle.get_visible(actor, Contact, contact_id)
        if not ContactAccount.objects.filter(contact=contact, account=account).exists():
            if not editable_by(actor, contact):
                raise ValidationFailed({"contact_id": [_("This contact belongs to another account and you may not change it.")]})
            ContactAccount.objects.create(contact=contact, account=account,
                                          is_primary=not ContactAccount.objects.filter(account=account, is_primary=True).exists())
            audit_record(actor=actor, obj=contact, action=Action.UPDATE, changes={"accounts": [None, [account.pk]]})
    elif create_contact:
        data = {"name": current.name, "title": current.title, "mobile": current.mobile, "email": current.email,
                "wechat": current.wechat}
        contact = contact_create(actor=actor, data={k: v for k, v in data.items() if v}, account_ids=[account.pk])
        created_contact = True
    opp: Opportunity | None = None
    if create_opportunity:
        fields = dict(opportunity or {})
        pipeline_id, stage_id = fields.pop("pipeline_id", None), fields.pop("stage_id", None)
        pipeline = Pipeline.objects.filter(pk=pipeline_id, active=True).first() if pipeline_id else None
        stage = Stage.objects.filter(pk=stage_id).first() if stage_id else None
        if (pipeline_id and pipeline is None) or (stage_id and stage is None):
            raise ValidationFailed({"opportunity": [_("Unknown pipeline or stage.")]})
        fields.setdefault("name", _("%(company)s opportunity") % {"company": current.company or current.name})
        fields.setdefault("source", current.source)
        contacts = [(contact.pk, opportunity_contact_role)] if contact is not None and opportunity_contact_role else []
        opp = opportunity_create(actor=actor, account=account, data=fields, pipeline=pipeline, stage=stage,
                                 contacts=contacts, lead=current)
    before = snapshot(current)
    current.status = LeadStatus.CONVERTED
    current.converted_at = timezone.now()
    current.converted_account = account
    current.converted_contact = contact
    current.converted_opportunity = opp
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return Conversion(lead=current, account=account, contact=contact, opportunity=opp,
                      created_account=created_account, created_contact=created_contact)
