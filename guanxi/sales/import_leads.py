"""Importing leads (线索) through the archive's import engine: CSV or XLSX, upserted by external
id, mobile or e-mail. Mobiles are normalised to E.164 and credit codes checked like the archive's;
a converted lead is never changed by an import (its row is reported instead)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers.import_accounts import _owned, may_write
from guanxi.customers.import_fields import parse_credit_code, parse_email, parse_phone
from guanxi.dataio.bulk import insert_rows, update_rows
from guanxi.dataio.importing import BatchOutcome, FieldSpec, ImportSpec, KeyOption, ValidRow, WriteContext, register_spec
from guanxi.dataio.mapping import SYNONYMS
from guanxi.dataio.writers import AuditBuffer, apply_changes, exists_message, upsert_rounds
from guanxi.sales.models import Lead, LeadStatus
from guanxi.users.visibility import editable_queryset

LEAD_FIELDS = ("name", "company", "title", "mobile", "email", "wechat", "credit_code", "industry", "province", "city",
               "source", "notes", "external_id")
_TRUE = {"1", "true", "yes", "y", "是", "有", "已确认", "√", "x"}


def parse_bool(raw: str) -> bool:
    return raw.strip().lower() in _TRUE


def lead_fields() -> list[FieldSpec]:
    return [
        FieldSpec("name", gettext_lazy("Contact name"), required=True, max_length=100,
                  synonyms=(*SYNONYMS["contact_name"], "name", "名字")),
        FieldSpec("company", gettext_lazy("Company"), max_length=200, synonyms=(*SYNONYMS["organization"], *SYNONYMS["name"][:6])),
        FieldSpec("title", gettext_lazy("Title"), max_length=100, synonyms=SYNONYMS["title"]),
        FieldSpec("mobile", gettext_lazy("Mobile"), parse_phone, synonyms=SYNONYMS["mobile"]),
        FieldSpec("email", gettext_lazy("Email"), parse_email, synonyms=SYNONYMS["email"]),
        FieldSpec("wechat", gettext_lazy("WeChat ID"), max_length=50, synonyms=SYNONYMS["wechat"]),
        FieldSpec("credit_code", gettext_lazy("Unified social credit code"), parse_credit_code, synonyms=SYNONYMS["credit_code"]),
        FieldSpec("industry", gettext_lazy("Industry"), max_length=100, synonyms=SYNONYMS["industry"]),
        FieldSpec("province", gettext_lazy("Province"), max_length=50, synonyms=SYNONYMS["province"]),
        FieldSpec("city", gettext_lazy("City"), max_length=50, synonyms=SYNONYMS["city"]),
        FieldSpec("source", gettext_lazy("Source"), max_length=100, synonyms=(*SYNONYMS["source"], "线索来源")),
        FieldSpec("notes", gettext_lazy("Notes"), max_length=10000, synonyms=SYNONYMS["notes"]),
        FieldSpec("external_id", gettext_lazy("External id"), max_length=100, synonyms=(*SYNONYMS["external_id"], "线索编号")),
        FieldSpec("has_budget", gettext_lazy("Budget confirmed"), parse_bool, synonyms=("预算", "有预算", "budget")),
        FieldSpec("has_authority", gettext_lazy("Decision maker reached"), parse_bool, synonyms=("决策人", "authority")),
        FieldSpec("has_need", gettext_lazy("Need confirmed"), parse_bool, synonyms=("需求", "need")),
        FieldSpec("has_timeline", gettext_lazy("Timeline known"), parse_bool, synonyms=("时间", "timeline")),
    ]


WRITABLE = (*LEAD_FIELDS, "has_budget", "has_authority", "has_need", "has_timeline")


def write_leads(ctx: WriteContext, rows: list[ValidRow]) -> BatchOutcome:
    out = BatchOutcome()
    for round_rows in upsert_rounds(rows, ctx.key.field):
        _write_round(ctx, round_rows, out)
    return out


def _write_round(ctx: WriteContext, rows: list[ValidRow], out: BatchOutcome) -> None:
    key = ctx.key.field
    now = timezone.now()
    keyed = []
    for row in rows:
        if row.values.get(key):
            keyed.append(row)
        else:
            out.error(row.number, ctx.column(key), _("Empty, but records are matched on this column."))
    qs = Lead.all_objects.filter(**{f"{key}__in": {r.values[key] for r in keyed}}).select_related("owner")
    if not ctx.dry_run:
        qs = qs.select_for_update(of=("self",)).order_by("pk")
    matches: dict[Any, list[Lead]] = {}
    for lead in qs:
        matches.setdefault(getattr(lead, key), []).append(lead)
    ids = [ld.pk for ls in matches.values() for ld in ls]
    editable = set(editable_queryset(ctx.actor, Lead.all_objects.filter(pk__in=ids)).values_list("pk", flat=True)) if ids else set()
    creates: list[Lead] = []
    updates: list[tuple[Lead, dict[str, Any]]] = []
    for row in keyed:
        found = matches.get(row.values[key], [])
        target = found[0] if found else None
        if len(found) > 1:
            out.error(row.number, ctx.column(key), _("%(n)d records have this value; match on another column.") % {"n": len(found)})
            continue
        if target is not None and target.deleted_at is not None:
            out.error(row.number, ctx.column(key), _("A record with this value is in the trash; restore it first."))
            continue
        if target is not None and target.pk not in editable:
            out.error(row.number, ctx.column(key), exists_message(target))
            continue
        if target is not None and target.status == LeadStatus.CONVERTED:
            out.error(row.number, ctx.column(key), _("This lead has already been converted."))
            continue
        values = {k: v for k, v in row.values.items() if k in WRITABLE}
        if target is None:
            if ctx.dry_run and row.values[key] in ctx.pending:
                out.add("updated")
                continue
            lead = _owned(Lead, ctx, now)
            apply_changes(lead, values, new=True)
            creates.append(lead)
            if ctx.dry_run:
                ctx.pending.add(row.values[key])
        else:
            updates.append((target, apply_changes(target, values)))
    changed = [(ld, ch) for ld, ch in updates if ch]
    out.add("created", len(creates))
    out.add("updated", len(changed))
    out.add("unchanged", len(updates) - len(changed))
    if ctx.dry_run:
        return
    audit = AuditBuffer(ctx.actor)
    inserted = insert_rows(Lead, creates)
    if len(inserted) != len(creates):
        out.add("created", len(inserted) - len(creates))
    for lead in inserted:
        audit.created(lead)
    if changed:
        for lead, changes in changed:
            lead.version += 1
            lead.updated_at = now
            audit.updated(lead, changes)
        update_rows(Lead, [ld for ld, _ch in changed], [*sorted({f for _ld, ch in changed for f in ch}), "version", "updated_at"])
    audit.flush()


LEAD_SPEC = register_spec(ImportSpec(
    object_type="lead",
    label=gettext_lazy("Leads"),
    fields=lead_fields,
    keys=(
        KeyOption("external_id", gettext_lazy("External id"), "external_id"),
        KeyOption("mobile", gettext_lazy("Mobile"), "mobile"),
        KeyOption("email", gettext_lazy("Email"), "email"),
    ),
    writer=write_leads,
    can_import=lambda actor: may_write(actor, Lead),
))
