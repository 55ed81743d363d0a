"""Complaints and feedback from the public form (no login; issue 6 item 4; DOMAIN §4).

Everything the visitor sends is hostile input:
* every field has a size limit; text is stored as typed and escaped wherever it is shown;
* at most 3 attachments of at most 5 MB each, PDF, PNG or JPEG as their first bytes say (the name
  and the browser's content type are not trusted); stored in private storage under a
  server-generated name, never served back to the public;
* spam: the views add a honeypot field and a rate limit per address.

The complaint is the service team's from the start: it is owned by the first active service agent
(erin in the demo — the intake desk, who may reassign it); with no service agent at all it stays
unowned in the new-complaints queue that administrators see (``?unassigned=true``). A matching
contact or account (by e-mail or phone, when exactly one matches) is linked for the staff; the
public pages never show it. The customer gets the tracking number and a private status link
(``public_token``) showing the state and the messages staff marked public — never internal notes.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.customers.models import Account, Contact, ContactAccount, Order
from guanxi.customers.phones import normalise_phone
from guanxi.service import complaint_flow as flow
from guanxi.service import complaints
from guanxi.service.models import Channel, Complaint, ComplaintAttachment, ComplaintEvent, ComplaintType, Severity
from guanxi.users.models import RoleCode, User

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_DIR = "complaints"
LIMITS = {"name": 100, "email": 254, "phone": 40, "description": 5000, "order_number": 50}
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
PUBLIC_EVENT_KINDS = ("created", "state", "public_message")


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, for the three accepted kinds."""
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def _safe_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return base.strip()[:200] or "attachment"


@dataclass
class CheckedFile:
    upload: Any
    content_type: str
    ext: str
    size: int
    original_name: str


def check_attachments(files: list[Any]) -> list[CheckedFile]:
    """Refuse more than 3 files, files over 5 MB and anything that is not a PDF, PNG or JPEG."""
    files = [f for f in files if f is not None and f.size]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed({"attachments": [_("Attach at most %(max)d files.") % {"max": MAX_ATTACHMENTS}]})
    checked: list[CheckedFile] = []
    errors: list[str] = []
    for upload in files:
        name = _safe_name(upload.name)
        if upload.size > MAX_ATTACHMENT_BYTES:
            errors.append(_("%(name)s is larger than 5 MB.") % {"name": name})
            continue
        upload.seek(0)
        kind = sniff(upload.read(16))
        upload.seek(0)
        if kind is None:
            errors.append(_("%(name)s is not a PDF, PNG or JPEG file.") % {"name": name})
            continue
        checked.append(CheckedFile(upload, kind[0], kind[1], int(upload.size), name))
    if errors:
        raise ValidationFailed({"attachments": errors})
    return checked


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {key: str(data.get(key) or "").strip() for key in ("name", "email", "phone", "complaint_type", "description", "order_number")}
    errors: dict[str, list[str]] = {}
    for key, limit in LIMITS.items():
        if len(cleaned[key]) > limit:
            errors[key] = [_("At most %(max)d characters.") % {"max": limit}]
    for key in ("name", "description"):
        if not cleaned[key]:
            errors[key] = [_("This field is required.")]
    if cleaned["email"] and "email" not in errors:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("Not a valid email address.")]
        cleaned["email"] = cleaned["email"].lower()
    if cleaned["phone"] and "phone" not in errors:
        try:
            cleaned["phone"] = normalise_phone(cleaned["phone"])
        except ValueError:
            errors["phone"] = [_("Not a valid phone number.")]
    if not cleaned["email"] and not cleaned["phone"] and "email" not in errors:
        errors["email"] = [_("Give an email address or a phone number so we can answer you.")]
    kind = ComplaintType.objects.filter(code=cleaned["complaint_type"][:40], active=True).first()
    if kind is None:
        errors["complaint_type"] = [_("Choose what your complaint is about.")]
    if errors:
        raise ValidationFailed(errors)
    return {**cleaned, "complaint_type": kind}


def intake_owner() -> User | None:
    """The service team's intake desk: the first active service agent."""
    return User.objects.filter(is_active=True, role__code=RoleCode.SERVICE_AGENT).order_by("pk").first()


def match_customer(email: str, phone: str) -> tuple[Contact | None, Account | None]:
    """The contact (and its account) or the account this visitor is, when exactly one matches."""
    contacts: list[Contact] = []
    if email:
        contacts = list(Contact.objects.filter(email__iexact=email)[:2])
    if not contacts and phone:
        contacts = list(Contact.objects.filter(mobile=phone)[:2])
    if len(contacts) == 1:
        contact = contacts[0]
        link = ContactAccount.objects.filter(contact=contact).order_by("-is_primary", "pk").first()
        return contact, (Account.objects.filter(pk=link.account_id).first() if link else None)
    if not contacts and phone:
        accounts = list(Account.objects.filter(phone=phone)[:2])
        if len(accounts) == 1:
            return None, accounts[0]
    return None, None


@transaction.atomic
def complaint_submit_public(*, data: dict[str, Any], files: list[Any]) -> Complaint:
    """File a complaint from the public form; raises ValidationFailed with one message per field."""
    cleaned = _clean(data)
    checked = check_attachments(files)
    contact, account = match_customer(cleaned["email"], cleaned["phone"])
    order = None
    description = cleaned["description"]
    if cleaned["order_number"]:
        if account is not None:
            order = Order.objects.filter(account=account, number=cleaned["order_number"]).first()
        if order is None:
            description += "\n\n" + _("Order number given: %(number)s") % {"number": cleaned["order_number"]}
    owner = intake_owner()
    first_line = description.splitlines()[0] if description else ""
    complaint = Complaint(
        title=(first_line[:80] or cleaned["complaint_type"].name)[:200], description=description[:10000],
        complaint_type=cleaned["complaint_type"], channel=Channel.WEB, severity=Severity.MEDIUM,
        account=account, contact=contact, order=order,
        submitter_name=cleaned["name"], submitter_email=cleaned["email"], submitter_phone=cleaned["phone"][:20],
        opened_at=timezone.now(), owner=owner,
        department_id=owner.department_id if owner else None,
        team=owner.teams.order_by("pk").first() if owner else None,
    )
    complaints.apply_sla(complaint)

    def save() -> None:
        complaint.full_clean()
        complaint.save()

    complaints.save_new(complaint, save=save)
    audit_record(actor=None, obj=complaint, action=Action.CREATE)
    for item in checked:
        stored = default_storage.save(f"{ATTACHMENT_DIR}/{uuid.uuid4().hex}.{item.ext}", item.upload)
        ComplaintAttachment.objects.create(complaint=complaint, stored_name=stored, original_name=item.original_name,
                                           content_type=item.content_type, size=item.size, uploaded_at=complaint.opened_at)
    complaints.complaint_created(complaint, actor=None, note=_("Filed on the public feedback form."))
    return complaint


def complaint_by_token(token: Any) -> Complaint:
    try:
        return Complaint.objects.select_related("complaint_type").get(public_token=token)
    except (Complaint.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound() from exc


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    kind: str  # "created", "state" or "message"
    state: str
    text: str


def public_history(complaint: Complaint) -> list[PublicEntry]:
    """What the customer may read: when it was filed, each state it reached, and the messages staff
    wrote to them. Internal notes, names of staff, reasons and escalations stay inside."""
    rows = ComplaintEvent.objects.filter(complaint=complaint, kind__in=PUBLIC_EVENT_KINDS).order_by("at", "id")
    entries = []
    for e in rows.values_list("at", "kind", "to_state", "note"):
        at, kind, to_state, note = e
        entries.append(PublicEntry(at=at, kind="message" if kind == "public_message" else kind, state=to_state,
                                   text=note if kind == "public_message" else ""))
    return entries


# --- the customer's answer on the status page ------------------------------------------------------

ANSWER_COMMENT_MAX = 2000


def awaits_customer(complaint: Complaint) -> bool:
    """Resolved and not waiting for an approval: the customer may confirm it or say it is not solved."""
    return complaint.state == flow.RESOLVED and not complaints.is_locked(complaint)


@transaction.atomic
def complaint_answer_public(*, token: Any, solved: bool, comment: str = "") -> Complaint:
    """The customer's confirmation (DOMAIN §4: the customer, not the agent, says the problem is
    solved) given through the private status link. ``solved`` moves resolved → confirmed with the
    customer's words as the confirmation record; not solved reopens the complaint (counted) with the
    customer's reason. Audited with no staff actor; the owner is notified like any move."""
    try:
        current = Complaint.objects.select_for_update().select_related("complaint_type").get(public_token=token, deleted_at__isnull=True)
    except (Complaint.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound() from exc
    comment = str(comment or "").strip()
    if len(comment) > ANSWER_COMMENT_MAX:
        raise ValidationFailed({"comment": [_("At most %(max)d characters.") % {"max": ANSWER_COMMENT_MAX}]})
    if not awaits_customer(current):
        raise Conflict(code="complaint.not_awaiting_customer",
                       detail=_("This complaint is not waiting for your answer any more."))
    if solved:
        target = flow.CONFIRMED
        changes: dict[str, Any] = {"customer_confirmation": comment or _("Confirmed by the customer on the status page.")}
        note = ""
    else:
        if not comment:
            raise ValidationFailed({"comment": [_("Tell us what is still not right, so we can take it up again.")]})
        target = flow.ACKNOWLEDGED
        changes = {}
        note = _("Reopened by the customer: %(reason)s") % {"reason": comment}
    from_state = current.state
    changes.update(complaints.state_changes(current, target, timezone.now()))
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current.save()
    audit_record(actor=None, obj=current, action=Action.UPDATE, before=before)
    complaints.event(current, None, "state", from_state=from_state, to_state=target, note=note)
    complaints.customer_answered(current, from_state)
    return current
