"""Opportunity services (DOMAIN §2): every write to opportunities, their lines, buying-group
contacts and stages goes through here, for the board, the list, the API and imports.

Each write checks permission through the one visibility module, is audited, keeps the denormalised
columns (``is_open``, ``stage_entered_at``, ``board_rank``, ``closed_at``) in step, and once
committed reclassifies the account (an open deal makes it 即将交易, about to trade) and fires the
webhook events ``opportunity.stage_changed`` / ``opportunity.won`` / ``opportunity.lost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, diff, snapshot
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.orders import iso_currencies
from guanxi.dataio.webhooks import webhook_emit
from guanxi.sales.catalogue import clean_price, default_price_list
from guanxi.sales.models import (
    BuyingRole,
    DecisionType,
    LossReason,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    Pipeline,
    PriceList,
    Product,
    Stage,
    StageChange,
    StageKind,
)
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, visible_to

OPPORTUNITY_WRITABLE = (
    "name", "amount", "currency", "probability", "expected_close", "decision_type", "source", "notes", "external_id",
)
MAX_AMOUNT = Decimal("1e15")
CENT = Decimal("0.01")
RANK_GAP = 1 << 20
MAX_LINES = 200
MAX_CONTACTS = 50


# --- validation ------------------------------------------------------------------------------------

def _amount(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
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
    if amount < 0:
        errors[field] = [_("The amount cannot be negative.")]
        return None
    return amount.quantize(CENT)


def clean_opportunity_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(OPPORTUNITY_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in ("name", "source", "notes"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("An opportunity needs a name.")]
    if "external_id" in cleaned:
        cleaned["external_id"] = str(cleaned["external_id"] or "").strip() or None
    if "amount" in cleaned:
        cleaned["amount"] = _amount(cleaned["amount"] if cleaned["amount"] is not None else "0", "amount", errors)
    if "currency" in cleaned:
        code = str(cleaned["currency"] or "").strip().upper()
        if code not in iso_currencies():
            errors["currency"] = [_("Not an ISO 4217 currency code (for example CNY, USD, EUR).")]
        cleaned["currency"] = code
    if "probability" in cleaned:
        p = cleaned["probability"]
        if p is not None and (isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 100):
            errors["probability"] = [_("Enter a probability from 0 to 100, or leave it empty to use the stage's.")]
    if "decision_type" in cleaned:
        cleaned["decision_type"] = cleaned["decision_type"] or ""
        if cleaned["decision_type"] and cleaned["decision_type"] not in DecisionType.values:
            errors["decision_type"] = [_("Unknown decision-group type.")]
    if "expected_close" in cleaned:
        day = cleaned["expected_close"]
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day) if day else None
            except ValueError:
                errors["expected_close"] = [_("Enter a date (YYYY-MM-DD).")]
        if day is not None and isinstance(day, date) and not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            errors["expected_close"] = [_("Enter a date between 2000 and 2100.")]
        cleaned["expected_close"] = day
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


def _require_editable(actor: User, opportunity: Opportunity) -> None:
    if not editable_by(actor, opportunity):
        raise PermissionDenied() if can_see(actor, opportunity) else NotFound()


def _lock(opportunity: Opportunity) -> Opportunity:
    current = Opportunity.all_objects.select_for_update().get(pk=opportunity.pk)
    if current.deleted_at is not None:
        raise NotFound()
    return current


def _check_version(current: Opportunity, version: int | None) -> None:
    if version is not None and current.version != version:
        raise VersionConflict(current_version=current.version, changed={"stage_id": current.stage_id})


# --- lines and contacts --------------------------------------------------------------------------

@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = None  # None: the price list's price
    discount_pct: Decimal = Decimal("0")


def line_total(line: OpportunityLine) -> Decimal:
    gross = Decimal(line.quantity) * Decimal(line.unit_price)
    return (gross * (Decimal(100) - Decimal(line.discount_pct)) / Decimal(100)).quantize(CENT)


def _build_lines(lines: list[Any], *, currency: str, price_list: PriceList | None) -> list[OpportunityLine]:
    """Validate line inputs (LineInput or dicts) and price them from the price list unless a unit
    price is given."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": [_("At most %(n)d lines.") % {"n": MAX_LINES}]})
    raw = [ln if isinstance(ln, LineInput) else LineInput(**ln) for ln in lines]
    product_ids = {ln.product_id for ln in raw}
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}
    price_list = price_list or default_price_list()
    prices: dict[int, Decimal] = {}
    if price_list is not None:
        prices = dict(price_list.items.filter(product_id__in=product_ids).values_list("product_id", "unit_price"))
    built: list[OpportunityLine] = []
    errors: dict[str, list[str]] = {}
    for i, ln in enumerate(raw):
        key = f"lines.{i}"
        product = products.get(ln.product_id)
        if product is None or not product.active:
            errors[f"{key}.product_id"] = [_("Unknown or inactive product.")]
            continue
        try:
            quantity = Decimal(str(ln.quantity))
        except (InvalidOperation, ValueError):
            quantity = Decimal("-1")
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("1e11") or quantity != quantity.quantize(Decimal("0.001")):
            errors[f"{key}.quantity"] = [_("Enter a quantity greater than 0 with at most three decimals.")]
            continue
        try:
            discount = Decimal(str(ln.discount_pct))
        except (InvalidOperation, ValueError):
            discount = Decimal("-1")
        if not discount.is_finite() or not 0 <= discount <= 100 or discount != discount.quantize(CENT):
            errors[f"{key}.discount_pct"] = [_("Enter a discount from 0 to 100.")]
            continue
        if ln.unit_price is not None:
            try:
                unit_price = clean_price(ln.unit_price, f"{key}.unit_price")
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
        else:
            listed = prices.get(product.pk)
            if listed is None:
                errors[f"{key}.unit_price"] = [_("The price list has no price for this product; enter a unit price.")]
                continue
            if price_list is not None and price_list.currency != currency:
                errors[f"{key}.unit_price"] = [_("The price list is in another currency; enter a unit price.")]
                continue
            unit_price = listed
        built.append(OpportunityLine(product=product, quantity=quantity, unit_price=unit_price, discount_pct=discount))
    if errors:
        raise ValidationFailed(errors)
    return built


def _line_snapshot(lines: list[OpportunityLine]) -> list[dict[str, str]]:
    return [{"product": str(ln.product_id), "quantity": str(ln.quantity), "unit_price": str(ln.unit_price),
             "discount_pct": str(ln.discount_pct)} for ln in lines]


def _clean_contacts(actor: User, account_id: int, contacts: list[Any]) -> list[tuple[int, str]]:
    """(contact_id, role) pairs: every contact visible to the actor and linked to the account."""
    if len(contacts) > MAX_CONTACTS:
        raise ValidationFailed({"contacts": [_("At most %(n)d contacts.") % {"n": MAX_CONTACTS}]})
    pairs: list[tuple[int, str]] = []
    for item in contacts:
        cid, role = (item["contact_id"], item["role"]) if isinstance(item, dict) else item
        pairs.append((int(cid), str(role)))
    errors: dict[str, list[str]] = {}
    for i, (_cid, role) in enumerate(pairs):
        if role not in BuyingRole.values:
            errors[f"contacts.{i}.role"] = [_("Unknown buying role.")]
    ids = [cid for cid, _role in pairs]
    if len(set(ids)) != len(ids):
        errors["contacts"] = [_("Each contact may appear once.")]
    if errors:
        raise ValidationFailed(errors)
    visible = set(visible_to(actor, Contact.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    linked = set(ContactAccount.objects.filter(account_id=account_id, contact_id__in=ids).values_list("contact_id", flat=True))
    for i, cid in enumerate(ids):
        if cid not in visible:
            # The unknown and the invisible look the same.
            errors[f"contacts.{i}.contact_id"] = [_("This contact does not exist or is not visible to you.")]
        elif cid not in linked:
            errors[f"contacts.{i}.contact_id"] = [_("This contact is not linked to the opportunity's account.")]
    if errors:
        raise ValidationFailed(errors)
    return pairs


# --- stage bookkeeping ----------------------------------------------------------------------------

def _top_rank(stage_id: int, exclude_pk: int | None = None) -> int:
    qs = Opportunity.all_objects.filter(stage_id=stage_id)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    top = qs.aggregate(m=Max("board_rank"))["m"]
    return (top or 0) + RANK_GAP


def _rank_above(stage_id: int, before: Opportunity, moving_pk: int) -> int:
    """A rank that sorts the moving card right above ``before`` (columns sort by rank desc, id desc).
    When no integer is free between ``before`` and the card above it, the cards above are shifted
    up in one UPDATE."""
    column = Opportunity.all_objects.filter(stage_id=stage_id).exclude(pk=moving_pk)
    above_q = Q(board_rank__gt=before.board_rank) | Q(board_rank=before.board_rank, pk__gt=before.pk)
    above = column.filter(above_q).order_by("board_rank", "id").values_list("board_rank", flat=True).first()
    if above is None:
        return before.board_rank + RANK_GAP
    if above - before.board_rank > 1:
        return before.board_rank + (above - before.board_rank) // 2
    column.filter(above_q).update(board_rank=F("board_rank") + 2 * RANK_GAP)
    return before.board_rank + RANK_GAP


def _apply_stage(current: Opportunity, stage: Stage, *, actor: User, now: datetime) -> StageChange | None:
    """Move ``current`` (locked, unsaved) into ``stage``: history row, time in the previous stage,
    open/closed flags. Returns the StageChange, or None when the stage is the same."""
    if current.stage_id == stage.pk:
        return None
    since = current.stage_entered_at or current.created_at
    change = StageChange.objects.create(
        opportunity=current, from_stage_id=current.stage_id, to_stage=stage, changed_at=now, changed_by=actor,
        seconds_in_previous=max(0, int((now - since).total_seconds())) if since else None,
    )
    current.stage = stage
    current.stage_entered_at = now
    current.is_open = stage.kind == StageKind.OPEN
    if stage.kind == StageKind.OPEN:
        # Reopening a closed deal: it is no longer closed, and the old loss reason no longer applies.
        current.closed_at = None
        current.loss_reason = None
        current.loss_note = ""
    else:
        current.closed_at = now
    return change


def event_payload(opportunity: Opportunity, *, from_stage_id: int | None = None) -> dict[str, Any]:
    """The JSON body of the opportunity webhook events (ids and plain values; no personal data
    beyond the owner's id)."""
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "account_id": opportunity.account_id,
        "pipeline_id": opportunity.pipeline_id,
        "stage_id": opportunity.stage_id,
        "stage_code": opportunity.stage.code,
        "stage_kind": opportunity.stage.kind,
        "from_stage_id": from_stage_id,
        "amount": str(opportunity.amount),
        "currency": opportunity.currency,
        "probability": opportunity.effective_probability,
        "expected_close": opportunity.expected_close.isoformat() if opportunity.expected_close else None,
        "owner_id": opportunity.owner_id,
        "closed_at": opportunity.closed_at.isoformat() if opportunity.closed_at else None,
        "loss_reason_id": opportunity.loss_reason_id,
        "won_order_id": opportunity.won_order_id,
        "version": opportunity.version,
    }


def _after_change(account_id: int) -> None:
    """Reclassify the account once committed: an open deal makes it 即将交易 (robust: a failed
    reclassification must not undo the change; the nightly full run repairs it)."""
    from guanxi.customers.classify import recompute_account

    transaction.on_commit(partial(recompute_account, account_id), robust=True)


def _emit_stage_events(current: Opportunity, from_stage_id: int | None) -> None:
    payload = event_payload(current, from_stage_id=from_stage_id)
    webhook_emit("opportunity.stage_changed", payload)
    if current.stage.kind == StageKind.WON:
        webhook_emit("opportunity.won", payload)
    elif current.stage.kind == StageKind.LOST:
        webhook_emit("opportunity.lost", payload)


# --- create / update / delete ---------------------------------------------------------------------

@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    account: Account,
    data: dict[str, Any],
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    lines: list[Any] | None = None,
    contacts: list[Any] | None = None,
    lead: Any = None,
    price_list: PriceList | None = None,
) -> Opportunity:
    """A new open opportunity on an account the actor can see. ``pipeline`` defaults to the default
    pipeline and ``stage`` to its first open stage. With ``lines`` and no ``amount`` in ``data``,
    the amount is the lines' total. ``contacts``: (contact_id, role) pairs or dicts."""
    from guanxi.sales.pipelines import default_pipeline

    if not can_see(actor, account):
        raise NotFound()
    cleaned = clean_opportunity_data(data)
    if not cleaned.get("name"):
        raise ValidationFailed({"name": [_("An opportunity needs a name.")]})
    pipeline = pipeline or (stage.pipeline if stage else default_pipeline())
    if pipeline is None:
        raise ValidationFailed({"pipeline_id": [_("No pipeline is configured.")]})
    if stage is None:
        stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").first()
        if stage is None:
            raise ValidationFailed({"stage_id": [_("This pipeline has no open stage.")]})
    if stage.pipeline_id != pipeline.pk:
        raise ValidationFailed({"stage_id": [_("The stage belongs to another pipeline.")]})
    if stage.kind != StageKind.OPEN:
        raise ValidationFailed({"stage_id": [_("A new opportunity starts in an open stage; win or lose it afterwards.")]})
    currency = cleaned.get("currency") or settings.DEFAULT_CURRENCY
    built = _build_lines(lines or [], currency=currency, price_list=price_list)
    pairs = _clean_contacts(actor, account.pk, contacts or [])
    if built and "amount" not in cleaned:
        cleaned["amount"] = sum((line_total(ln) for ln in built), Decimal("0"))
    now = timezone.now()
    opportunity = Opportunity(account=account, pipeline=pipeline, stage=stage, is_open=True, stage_entered_at=now,
                              board_rank=_top_rank(stage.pk), lead=lead, **cleaned)
    opportunity.team = actor.teams.order_by("pk").first()
    try:
        lifecycle.record_create(actor=actor, obj=opportunity)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc
    for ln in built:
        ln.opportunity = opportunity
    OpportunityLine.objects.bulk_create(built)
    OpportunityContact.objects.bulk_create([OpportunityContact(opportunity=opportunity, contact_id=c, role=r) for c, r in pairs])
    StageChange.objects.create(opportunity=opportunity, from_stage=None, to_stage=stage, changed_at=now, changed_by=actor)
    _after_change(account.pk)
    return opportunity


@transaction.atomic
def opportunity_update(*, actor: User, opportunity: Opportunity, version: int | None, data: dict[str, Any]) -> Opportunity:
    """Change the plain fields; the stage moves only through move / win / lose."""
    cleaned = clean_opportunity_data(data)
    try:
        return lifecycle.record_update(actor=actor, obj=opportunity, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def opportunity_delete(*, actor: User, opportunity: Opportunity, version: int | None = None) -> Opportunity:
    deleted = lifecycle.record_delete(actor=actor, obj=opportunity, version=version)
    _after_change(deleted.account_id)
    return deleted


@transaction.atomic
def opportunity_set_lines(
    *, actor: User, opportunity: Opportunity, version: int | None, lines: list[Any], update_amount: bool = True,
    price_list: PriceList | None = None,
) -> Opportunity:
    """Replace the product lines; with ``update_amount`` the amount becomes the lines' total."""
    _require_editable(actor, opportunity)
    current = _lock(opportunity)
    _check_version(current, version)
    built = _build_lines(lines, currency=current.currency, price_list=price_list)
    before_lines = _line_snapshot(list(current.lines.all()))
    before = snapshot(current)
    current.lines.all().delete()
    for ln in built:
        ln.opportunity = current
    OpportunityLine.objects.bulk_create(built)
    if update_amount:
        current.amount = sum((line_total(ln) for ln in built), Decimal("0"))
    current.version += 1
    current.save()
    changes: dict[str, Any] = diff(before, snapshot(current))
    changes["lines"] = [before_lines, _line_snapshot(built)]
    audit_record(actor=actor, obj=current, action=Action.UPDATE, changes=changes)
    return current


@transaction.atomic
def opportunity_set_contacts(*, actor: User, opportunity: Opportunity, version: int | None, contacts: list[Any]) -> Opportunity:
    """Replace the buying group: (contact_id, role) pairs of contacts linked to the account."""
    _require_editable(actor, opportunity)
    current = _lock(opportunity)
    _check_version(current, version)
    pairs = _clean_contacts(actor, current.account_id, contacts)
    before = sorted([c, r] for c, r in current.contact_links.values_list("contact_id", "role"))
    current.contact_links.all().delete()
    OpportunityContact.objects.bulk_create([OpportunityContact(opportunity=current, contact_id=c, role=r) for c, r in pairs])
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    audit_record(actor=actor, obj=current, action=Action.UPDATE, changes={"contacts": [before, sorted([c, r] for c, r in pairs)]})
    return current


# --- the board: move, win, lose --------------------------------------------------------------------

@transaction.atomic
def opportunity_move(
    *, actor: User, opportunity: Opportunity, stage: Stage, version: int | None, before_id: int | None = None,
) -> Opportunity:
    """Drag on the board: into ``stage`` (of the same pipeline), placed right above the card
    ``before_id`` of that column, or on top. A stale ``version`` → VersionConflict (409). A lost
    stage needs a reason: use ``opportunity_lose``; a won stage closes the deal (no order)."""
    _require_editable(actor, opportunity)
    current = _lock(opportunity)
    _check_version(current, version)
    if stage.pipeline_id != current.pipeline_id:
        raise ValidationFailed({"stage_id": [_("The stage belongs to another pipeline.")]})
    if stage.kind == StageKind.LOST and current.stage_id != stage.pk:
        raise ValidationFailed({"loss_reason_id": [_("Give a loss reason to move an opportunity to a lost stage.")]},
                               code="opportunity.loss_reason_required")
    before_card = None
    if before_id is not None:
        before_card = visible_to(actor, Opportunity.objects.filter(pk=before_id, stage=stage)).first()
        if before_card is None or before_card.pk == current.pk:
            raise ValidationFailed({"before_id": [_("That card is not in this column.")]})
    now = timezone.now()
    snap = snapshot(current)
    from_stage_id = current.stage_id
    was_open = current.is_open
    change = _apply_stage(current, stage, actor=actor, now=now)
    current.board_rank = _rank_above(stage.pk, before_card, current.pk) if before_card else _top_rank(stage.pk, current.pk)
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=snap)
    if change is not None:
        _emit_stage_events(current, from_stage_id)
        if was_open != current.is_open:
            _after_change(current.account_id)
    return current


def _terminal_stage(pipeline_id: int, kind: str) -> Stage:
    stage = Stage.objects.filter(pipeline_id=pipeline_id, kind=kind).order_by("position").first()
    if stage is None:
        raise ValidationFailed({"stage_id": [_("This pipeline has no stage of this kind.")]})
    return stage


@transaction.atomic
def opportunity_win(
    *, actor: User, opportunity: Opportunity, version: int | None, create_order: bool = False,
    order_date: date | None = None, gross_profit: Decimal | None = None,
) -> Opportunity:
    """Move to the pipeline's won stage; with ``create_order`` also create the archive order (amount
    and currency from the opportunity) and link it as ``won_order``."""
    from guanxi.customers.orders import order_create

    _require_editable(actor, opportunity)
    current = _lock(opportunity)
    _check_version(current, version)
    if current.stage.kind == StageKind.WON:
        raise Conflict(_("This opportunity is already won."), code="opportunity.already_won")
    stage = _terminal_stage(current.pipeline_id, StageKind.WON)
    now = timezone.now()
    snap = snapshot(current)
    from_stage_id = current.stage_id
    _apply_stage(current, stage, actor=actor, now=now)
    current.board_rank = _top_rank(stage.pk, current.pk)
    if create_order and current.won_order_id is None:
        data: dict[str, Any] = {"order_date": order_date or timezone.localdate(), "amount": current.amount,
                                "currency": current.currency, "notes": current.name[:5000]}
        if gross_profit is not None:
            data["gross_profit"] = gross_profit
        order = order_create(actor=actor, account=current.account, data=data)
        current.won_order = order
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=snap)
    _emit_stage_events(current, from_stage_id)
    _after_change(current.account_id)
    return current


@transaction.atomic
def opportunity_lose(
    *, actor: User, opportunity: Opportunity, loss_reason: LossReason | None, note: str = "", version: int | None,
) -> Opportunity:
    """Move to the pipeline's lost stage with a reason (required) and an optional note."""
    _require_editable(actor, opportunity)
    if loss_reason is None or not loss_reason.active:
        raise ValidationFailed({"loss_reason_id": [_("Choose a loss reason.")]}, code="opportunity.loss_reason_required")
    note = str(note or "").strip()
    if len(note) > 500:
        raise ValidationFailed({"note": [_("At most %(n)d characters.") % {"n": 500}]})
    current = _lock(opportunity)
    _check_version(current, version)
    if current.stage.kind == StageKind.LOST:
        raise Conflict(_("This opportunity is already lost."), code="opportunity.already_lost")
    stage = _terminal_stage(current.pipeline_id, StageKind.LOST)
    now = timezone.now()
    snap = snapshot(current)
    from_stage_id = current.stage_id
    _apply_stage(current, stage, actor=actor, now=now)
    current.board_rank = _top_rank(stage.pk, current.pk)
    current.loss_reason = loss_reason
    current.loss_note = note
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=snap)
    _emit_stage_events(current, from_stage_id)
    _after_change(current.account_id)
    return current


def opportunity_transfer(*, actor: User, opportunity: Opportunity, new_owner: User, version: int | None = None) -> Opportunity:
    return lifecycle.record_transfer(actor=actor, obj=opportunity, new_owner=new_owner, version=version)


def opportunity_restore(*, actor: User, opportunity: Opportunity) -> Opportunity:
    restored = lifecycle.record_restore(actor=actor, obj=opportunity)
    _after_change(restored.account_id)
    return restored
