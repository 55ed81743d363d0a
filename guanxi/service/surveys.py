"""Satisfaction surveys (满意度调查, DOMAIN §4 "Satisfaction"): the questionnaire designer, single-use
invitation links, answering, and invitations sent automatically after events.

* Managers and administrators design surveys; everyone reads them. A survey that has responses
  keeps its items and its scale (its answers would change meaning): deactivate it instead.
* Each item rates, for one experience dimension (产品 / 服务 / 关系 / 便利性 / 品牌形象 / 价格) and
  service element, the customer's expectation, desired and adequate levels, experience and
  importance on the survey's scale (``satisfaction`` turns them into gaps, key experience and the
  zone of tolerance).
* ``invite`` makes a secret token; only its sha256 is stored, so the link cannot be rebuilt from the
  database. A link answers once, before it expires; one invitation per event object and contact.
* After events (an order delivered, a complaint closed) active surveys whose ``trigger_events``
  name the event invite the customer automatically (``on_order_delivered`` / ``on_complaint_closed``,
  idempotent). Orders have no hook: the periodic job ``service.survey_order_scan`` finds orders
  delivered since its last run.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, audited_update, snapshot
from guanxi.core.errors import Conflict, GuanxiError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.models import Account, AccountClassification, Contact, ContactAccount
from guanxi.service import rollups
from guanxi.service.models import (
    Dimension,
    InvitationState,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyResponse,
)
from guanxi.users.models import RoleCode, User

SURVEY_FIELDS = ("name", "intro", "scale_max", "ask_nps", "ask_csat", "trigger_events", "active")
ITEM_FIELDS = ("code", "text", "dimension", "service_element", "ask_expectation", "ask_desired", "ask_adequate",
               "ask_importance", "position")
SCALES = ("expectation", "desired", "adequate", "experience", "importance")
ASKED_BY = {"expectation": "ask_expectation", "desired": "ask_desired", "adequate": "ask_adequate", "importance": "ask_importance"}
TRIGGER_EVENTS = ("order_delivered", "complaint_closed")
MAX_ITEMS = 100
MAX_COMMENT = 5000
MAX_EXPIRY_DAYS = 365
ONE_DECIMAL = Decimal("0.1")


class SurveyLinkUsed(Conflict):
    code = "survey.link_used"


class SurveyLinkExpired(GuanxiError):
    status = 410
    code = "survey.link_expired"


# --- who designs -----------------------------------------------------------------------------------

def can_design(actor: Any) -> bool:
    """Managers and administrators design surveys (everyone else reads them)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return bool(actor.is_admin or (actor.role_id and actor.role.code == RoleCode.SALES_MANAGER))


def _require_designer(actor: Any) -> None:
    if not can_design(actor):
        raise PermissionDenied(_("Only managers and administrators may design surveys."))


def survey_list() -> QuerySet[Survey]:
    """Every survey (a questionnaire is not customer data: everyone signed in reads it)."""
    return Survey.objects.all()


def _has_responses(survey: Survey) -> bool:
    return SurveyResponse.objects.filter(survey_id=survey.pk).exists()


# --- the designer ------------------------------------------------------------------------------------

def _clean_survey(data: dict[str, Any], *, survey: Survey | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(SURVEY_FIELDS))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = [_("This field is required.")]
    if "intro" in cleaned:
        cleaned["intro"] = str(cleaned["intro"] or "")
    if "scale_max" in cleaned:
        scale = cleaned["scale_max"]
        if isinstance(scale, bool) or not isinstance(scale, int) or not 3 <= scale <= 10:
            errors["scale_max"] = [_("The rating scale goes from 1 to a number between 3 and 10.")]
        elif survey is not None and scale != survey.scale_max and _has_responses(survey):
            errors["scale_max"] = [_("This survey has responses: its scale cannot change. Create a new survey instead.")]
    if "trigger_events" in cleaned:
        events = cleaned["trigger_events"] or []
        if not isinstance(events, list) or any(e not in TRIGGER_EVENTS for e in events):
            errors["trigger_events"] = [_("Choose among: %(events)s.") % {"events": ", ".join(TRIGGER_EVENTS)}]
        else:
            cleaned["trigger_events"] = sorted(set(events))
    for flag in ("ask_nps", "ask_csat", "active"):
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            errors[flag] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _check_version(obj: Any, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise VersionConflict(current_version=obj.version)


@transaction.atomic
def survey_create(*, actor: User, data: dict[str, Any]) -> Survey:
    _require_designer(actor)
    cleaned = _clean_survey(data, survey=None)
    if not cleaned.get("name"):
        raise ValidationFailed({"name": [_("This field is required.")]})
    survey = Survey(created_by=actor, **cleaned)
    survey.full_clean()
    survey.save()
    audit_record(actor=actor, obj=survey, action=Action.CREATE)
    return survey


@transaction.atomic
def survey_update(*, actor: User, survey: Survey, version: int | None, data: dict[str, Any]) -> Survey:
    _require_designer(actor)
    current = Survey.objects.select_for_update().get(pk=survey.pk)
    _check_version(current, version)
    cleaned = _clean_survey(data, survey=current)
    before = snapshot(current)
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return current


def survey_deactivate(*, actor: User, survey: Survey, version: int | None) -> Survey:
    """Stop a survey: no new invitations; its links answer "closed"; its responses stay for analysis."""
    return survey_update(actor=actor, survey=survey, version=version, data={"active": False})


def _clean_item(data: dict[str, Any], *, survey: Survey, item: SurveyItem | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(ITEM_FIELDS))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for name in ("code", "text", "service_element"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    for name in ("code", "text"):
        if name in cleaned and not cleaned[name]:
            errors[name] = [_("This field is required.")]
    if "dimension" in cleaned and cleaned["dimension"] not in Dimension.values:
        errors["dimension"] = [_("Choose one of the experience dimensions.")]
    others = SurveyItem.objects.filter(survey=survey).exclude(pk=item.pk) if item else SurveyItem.objects.filter(survey=survey)
    if "code" in cleaned and cleaned["code"] and others.filter(code=cleaned["code"]).exists():
        errors["code"] = [_("Another item of this survey has this code.")]
    if item is not None and "code" in cleaned and cleaned["code"] != item.code and item.answers.exists():
        errors["code"] = [_("This item has answers: its code cannot change.")]
    for flag in ASKED_BY.values():
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            errors[flag] = [_("Enter true or false.")]
    if "position" in cleaned and (isinstance(cleaned["position"], bool) or not isinstance(cleaned["position"], int)
                                  or not 0 <= cleaned["position"] <= 32767):
        errors["position"] = [_("Enter a whole number from 0 to 32767.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _lock_survey(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().get(pk=survey.pk)


@transaction.atomic
def item_add(*, actor: User, survey: Survey, data: dict[str, Any]) -> SurveyItem:
    _require_designer(actor)
    survey = _lock_survey(survey)
    cleaned = _clean_item(data, survey=survey, item=None)
    missing = [name for name in ("code", "text", "dimension") if not cleaned.get(name)]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    if survey.items.count() >= MAX_ITEMS:
        raise ValidationFailed({"survey": [_("A survey has at most %(n)d items.") % {"n": MAX_ITEMS}]})
    if "position" not in cleaned:
        cleaned["position"] = (survey.items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = SurveyItem(survey=survey, **cleaned)
    item.full_clean()
    item.save()
    audit_record(actor=actor, obj=item, action=Action.CREATE)
    return item


@transaction.atomic
def item_update(*, actor: User, item: SurveyItem, data: dict[str, Any]) -> SurveyItem:
    _require_designer(actor)
    current = SurveyItem.objects.select_for_update().get(pk=item.pk)
    return audited_update(actor=actor, obj=current, changes=_clean_item(data, survey=current.survey, item=current), validate=True)


@transaction.atomic
def item_remove(*, actor: User, item: SurveyItem) -> None:
    """Remove an item of a survey nobody has answered yet; a survey with responses keeps its items."""
    _require_designer(actor)
    survey = _lock_survey(item.survey)
    if _has_responses(survey):
        raise Conflict(_("This survey has responses: its items cannot be removed. Deactivate the survey instead."),
                       code="survey.has_responses")
    audit_record(actor=actor, obj=item, action=Action.DELETE, changes={})
    item.delete()


@transaction.atomic
def item_reorder(*, actor: User, survey: Survey, item_ids: list[int]) -> list[SurveyItem]:
    """Put the survey's items in the order of ``item_ids`` (which must name each item exactly once)."""
    _require_designer(actor)
    survey = _lock_survey(survey)
    items = {i.pk: i for i in survey.items.all()}
    if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
        raise ValidationFailed({"item_ids": [_("List every item of this survey exactly once.")]})
    for position, pk in enumerate(item_ids, start=1):
        items[pk].position = position
    SurveyItem.objects.bulk_update(list(items.values()), ["position"])
    audit_record(actor=actor, obj=survey, action=Action.UPDATE, changes={"item_order": [None, list(item_ids)]})
    return [items[pk] for pk in item_ids]


# --- invitations -----------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _primary_account(contact: Contact) -> Account | None:
    link = (ContactAccount.objects.filter(contact=contact).select_related("account")
            .order_by("-is_primary", "pk").first())
    return link.account if link else None


def _already_invited(survey: Survey, event: str, event_object_id: int | None, contact: Contact | None) -> bool:
    if event_object_id is None:
        return False
    return SurveyInvitation.objects.filter(survey=survey, event=event, event_object_id=event_object_id,
                                           contact=contact).exists()


@transaction.atomic
def invite(*, survey: Survey, contact: Contact | None = None, account: Account | None = None, event: str = "",
           event_object_id: int | None = None, expires_in_days: int = 30) -> tuple[SurveyInvitation, str]:
    """A single-use invitation and its secret token (shown once: only its sha256 is stored).

    Permission is the caller's business (the API checks the actor sees the contact or account).
    A second invitation for the same event object and contact is refused (``survey.already_invited``).
    """
    if not survey.active:
        raise Conflict(_("This survey is inactive."), code="survey.inactive")
    if contact is None and account is None:
        raise ValidationFailed({"contact_id": [_("Name a contact or an account to invite.")]})
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed({"expires_in_days": [_("Enter a number of days from 1 to %(n)d.") % {"n": MAX_EXPIRY_DAYS}]})
    if account is None and contact is not None:
        account = _primary_account(contact)
    if _already_invited(survey, event, event_object_id, contact):
        raise Conflict(_("This customer was already invited to this survey for this event."), code="survey.already_invited")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = SurveyInvitation(survey=survey, account=account, contact=contact, token_hash=token_hash(token),
                                  event=event, event_object_id=event_object_id, sent_at=now,
                                  expires_at=now + timedelta(days=expires_in_days))
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # a concurrent run invited first
        raise Conflict(_("This customer was already invited to this survey for this event."), code="survey.already_invited") from exc
    return invitation, token


def survey_link(token: str) -> str:
    """The public answer page of ``token``, absolute when SITE_URL is set."""
    try:
        path = reverse("public_service:survey_answer", kwargs={"token": token})
    except NoReverseMatch:  # the public pages are not mounted (API-only deployments)
        path = f"/feedback/survey/{token}/"
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def send_invitation(*, invitation: SurveyInvitation, token: str, email: str | None = None) -> bool:
    """Email the link (Django's email backend, after commit; console in the demo). False when there
    is no address to send to."""
    to = email or (invitation.contact.email if invitation.contact_id and invitation.contact else "")
    if not to:
        return False
    survey = invitation.survey
    subject = _("Please tell us how we did: %(survey)s") % {"survey": survey.name}
    body = "\n\n".join(filter(None, [
        survey.intro,
        _("Answer here (the link works once, until %(date)s):") % {"date": timezone.localtime(invitation.expires_at).date().isoformat()},
        survey_link(token),
    ]))
    transaction.on_commit(partial(send_mail, subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True)
    return True


def _auto_invite(event: str, object_id: int, contact: Contact | None, account: Account | None, email: str = "") -> list[SurveyInvitation]:
    """Invite to every active survey sent after ``event``; skips what was already sent (idempotent)."""
    sent: list[SurveyInvitation] = []
    if contact is None and account is None:
        return sent
    if contact is None and account is not None:
        link = ContactAccount.objects.filter(account=account).select_related("contact").order_by("-is_primary", "pk").first()
        contact = link.contact if link else None
    for survey in Survey.objects.filter(active=True).order_by("pk"):
        if event not in (survey.trigger_events or []) or _already_invited(survey, event, object_id, contact):
            continue
        try:
            invitation, token = invite(survey=survey, contact=contact, account=account, event=event, event_object_id=object_id)
        except Conflict:
            continue
        send_invitation(invitation=invitation, token=token, email=email or None)
        sent.append(invitation)
    return sent


def on_order_delivered(order: Any) -> list[SurveyInvitation]:
    """Invite the account's primary contact after delivery (idempotent per order and contact)."""
    return _auto_invite("order_delivered", order.pk, None, order.account)


def on_complaint_closed(complaint: Any) -> list[SurveyInvitation]:
    """Invite the complaint's contact (or the account's primary contact, or the address the customer
    gave on the public form) after the complaint closes (idempotent per complaint and contact)."""
    contact = complaint.contact if complaint.contact_id else None
    account = complaint.account if complaint.account_id else None
    if contact is None and account is None and not complaint.submitter_email:
        return []
    if contact is None and account is None:
        # Nobody in the archive yet: one invitation to the address typed on the public form.
        return _invite_submitter(complaint)
    return _auto_invite("complaint_closed", complaint.pk, contact, account, email=complaint.submitter_email if contact is None else "")


def _invite_submitter(complaint: Any) -> list[SurveyInvitation]:
    sent: list[SurveyInvitation] = []
    for survey in Survey.objects.filter(active=True).order_by("pk"):
        if "complaint_closed" not in (survey.trigger_events or []) or _already_invited(survey, "complaint_closed", complaint.pk, None):
            continue
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = SurveyInvitation.objects.create(survey=survey, token_hash=token_hash(token), event="complaint_closed",
                                                     event_object_id=complaint.pk, sent_at=now, expires_at=now + timedelta(days=30))
        send_invitation(invitation=invitation, token=token, email=complaint.submitter_email)
        sent.append(invitation)
    return sent


# --- answering -------------------------------------------------------------------------------------

def invitation_for(token: str, *, lock: bool = False) -> SurveyInvitation:
    """The invitation of a link, or NotFound; a used or expired link raises its own clear error."""
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        raise NotFound()
    qs = SurveyInvitation.objects.select_related("survey", "account", "contact")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise NotFound()
    if invitation.state == InvitationState.ANSWERED:
        raise SurveyLinkUsed(_("This survey link was already used. Thank you for your answers."))
    if invitation.state == InvitationState.EXPIRED or invitation.expires_at <= timezone.now():
        raise SurveyLinkExpired(_("This survey link has expired."))
    if not invitation.survey.active:
        raise SurveyLinkExpired(_("This survey is closed."))
    return invitation


def _rating(value: Any, *, low: int, high: int, whole: bool = False) -> Decimal | None:
    """A number within low..high (at most one decimal, or whole); None if empty; ValueError if bad."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError from exc
    if not number.is_finite() or not low <= number <= high:
        raise ValueError
    if number != number.quantize(Decimal(1) if whole else ONE_DECIMAL):
        raise ValueError
    return number.quantize(ONE_DECIMAL) if not whole else number


def _clean_answers(survey: Survey, items: list[SurveyItem], raw: Any, errors: dict[str, list[str]]) -> list[SurveyAnswer]:
    if not isinstance(raw, dict):
        errors["answers"] = [_("Answer each question of the survey.")]
        return []
    by_key = {str(k): v for k, v in raw.items()}
    known = {str(i.pk) for i in items}
    for key in sorted(set(by_key) - known):
        errors[f"answers.{key}"[:60]] = [_("Not a question of this survey.")]
    answers = []
    bad_scale = _("Choose a rating from 1 to %(max)d (one decimal at most).") % {"max": survey.scale_max}
    for item in items:
        given = by_key.get(str(item.pk)) or {}
        if not isinstance(given, dict):
            errors[f"answers.{item.pk}"] = [_("Answer each question of the survey.")]
            continue
        values: dict[str, Decimal | None] = {}
        for scale in SCALES:
            asked = scale == "experience" or getattr(item, ASKED_BY[scale])
            if not asked:
                if given.get(scale) not in (None, ""):
                    errors[f"answers.{item.pk}.{scale}"] = [_("This survey does not ask this.")]
                continue
            try:
                values[scale] = _rating(given.get(scale), low=1, high=survey.scale_max)
            except ValueError:
                errors[f"answers.{item.pk}.{scale}"] = [bad_scale]
        unknown = set(given) - set(SCALES)
        if unknown:
            errors[f"answers.{item.pk}"] = [_("Unknown or read-only field.")]
        if values.get("experience") is None and f"answers.{item.pk}.experience" not in errors:
            errors[f"answers.{item.pk}.experience"] = [_("Rate your experience of this item.")]
        answers.append(SurveyAnswer(item=item, **values))
    return answers


def _segment(account: Account | None) -> str:
    if account is None:
        return ""
    tier = AccountClassification.objects.filter(account_id=account.pk).values_list("value_tier", flat=True).first()
    return tier or ""


@transaction.atomic
def answer(token: str, data: dict[str, Any], *, now: datetime | None = None) -> SurveyResponse:
    """Store the customer's answers through a single-use link (DOMAIN §4: responses per contact and
    account; ``segment`` is the account's value tier when it answers).

    ``data``: ``{"answers": {item_id: {"expectation", "desired", "adequate", "experience",
    "importance"}}, "nps": 0–10, "csat": 1–5, "comment": "…"}``. Ratings are within 1..scale_max with at
    most one decimal; experience is required per item, the other asked numbers are optional.
    """
    invitation = invitation_for(token, lock=True)
    survey = invitation.survey
    if not isinstance(data, dict):
        raise ValidationFailed({"answers": [_("Answer each question of the survey.")]})
    errors: dict[str, list[str]] = {}
    items = list(survey.items.all())
    answers = _clean_answers(survey, items, data.get("answers"), errors)
    scores: dict[str, Any] = {}
    for name, low, high, asked in (("nps", 0, 10, survey.ask_nps), ("csat", 1, 5, survey.ask_csat)):
        value = data.get(name)
        if not asked:
            scores[name] = None
            continue
        try:
            number = _rating(value, low=low, high=high, whole=True)
        except ValueError:
            errors[name] = [_("Choose a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
            continue
        scores[name] = None if number is None else int(number)
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        errors["comment"] = [_("Enter text.")]
    elif len(comment) > MAX_COMMENT:
        errors["comment"] = [_("At most %(n)d characters.") % {"n": MAX_COMMENT}]
    elif "\x00" in comment:
        errors["comment"] = [_("Enter text.")]
    if errors:
        raise ValidationFailed(errors)
    moment = now or timezone.now()
    response = SurveyResponse.objects.create(
        invitation=invitation, survey=survey, account=invitation.account, contact=invitation.contact,
        segment=_segment(invitation.account), answered_at=moment, comment=comment.strip(), **scores,
    )
    for a in answers:
        a.response = response
    SurveyAnswer.objects.bulk_create(answers)
    rollups.response_added(response, answers)  # the analysis rollups, in this transaction
    invitation.state = InvitationState.ANSWERED
    invitation.answered_at = moment
    invitation.save(update_fields=["state", "answered_at"])
    audit_record(actor=None, obj=response, action=Action.CREATE)
    from guanxi.dataio.webhooks import webhook_emit

    webhook_emit("survey.answered", {"survey_id": survey.pk, "response_id": response.pk, "account_id": response.account_id,
                                     "nps": response.nps, "csat": response.csat})
    return response


def responses_for(actor: Any) -> QuerySet[SurveyResponse]:
    """Responses follow their account: what the actor sees of the account, they see of its answers."""
    from guanxi.users.visibility import visible_to

    return visible_to(actor, SurveyResponse.objects.all())


def expire_old_invitations(*, now: datetime | None = None) -> int:
    return SurveyInvitation.objects.filter(state=InvitationState.SENT, expires_at__lte=now or timezone.now()).update(
        state=InvitationState.EXPIRED)


def get_survey(pk: int) -> Survey:
    survey = Survey.objects.filter(pk=pk).first()
    if survey is None:
        raise NotFound()
    return survey
