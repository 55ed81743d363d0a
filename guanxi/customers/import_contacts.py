"""Importing contacts on their own: CSV, XLSX or a vCard file exported from a phone or a mail client.

Contacts are upserted on mobile, e-mail or external id (a vCard's UID). The Organization/公司
column links the contact to an account of that name or credit code that the importer can see; a
name that matches no visible account is simply not linked (counted as ``accounts_not_found``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers.import_accounts import _owned, may_write, refresh_search
from guanxi.customers.import_fields import custom_field_specs, parse_birthday, parse_email, parse_phone, parse_phone_list
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.dataio.bulk import insert_rows, update_rows
from guanxi.dataio.importing import BatchOutcome, FieldSpec, ImportSpec, KeyOption, ValidRow, WriteContext, register_spec
from guanxi.dataio.mapping import SYNONYMS
from guanxi.dataio.writers import AuditBuffer, apply_changes, exists_message, upsert_rounds
from guanxi.users.visibility import editable_queryset, visible_to

CONTACT_FIELDS = ("name", "title", "department_name", "mobile", "other_phones", "email", "wechat", "birthday", "external_id", "notes")


def contact_fields() -> list[FieldSpec]:
    return [
        FieldSpec("name", gettext_lazy("Name"), required=True, max_length=100, synonyms=(*SYNONYMS["contact_name"], "name", "名字")),
        FieldSpec("title", gettext_lazy("Title"), max_length=100, synonyms=SYNONYMS["title"]),
        FieldSpec("department_name", gettext_lazy("Department"), max_length=100, synonyms=SYNONYMS["department"]),
        FieldSpec("mobile", gettext_lazy("Mobile"), parse_phone, synonyms=SYNONYMS["mobile"]),
        FieldSpec("other_phones", gettext_lazy("Other phones"), parse_phone_list, synonyms=(*SYNONYMS["other_phones"], *SYNONYMS["phone"])),
        FieldSpec("email", gettext_lazy("Email"), parse_email, synonyms=SYNONYMS["email"]),
        FieldSpec("wechat", gettext_lazy("WeChat ID"), max_length=50, synonyms=SYNONYMS["wechat"]),
        FieldSpec("birthday", gettext_lazy("Birthday"), parse_birthday, synonyms=SYNONYMS["birthday"]),
        FieldSpec("external_id", gettext_lazy("External id"), max_length=100, synonyms=(*SYNONYMS["external_id"], "uid")),
        FieldSpec("notes", gettext_lazy("Notes"), max_length=10000, synonyms=SYNONYMS["notes"]),
        FieldSpec("account", gettext_lazy("Account"), max_length=200,
                  synonyms=(*SYNONYMS["organization"], "客户名称", "公司名称", "所属客户", "account", "account name")),
        *custom_field_specs("contact"),
    ]


def write_contacts(ctx: WriteContext, rows: list[ValidRow]) -> BatchOutcome:
    out = BatchOutcome()
    for round_rows in upsert_rounds(rows, ctx.key.field):
        _write_round(ctx, round_rows, out)
    return out


def _accounts_named(actor: Any, names: set[str]) -> dict[str, Account]:
    """Visible accounts by exact name or credit code (the first by id when several share a name)."""
    if not names:
        return {}
    found: dict[str, Account] = {}
    qs = visible_to(actor, Account.objects.all())
    for account in qs.filter(name__in=names).order_by("pk"):
        found.setdefault(account.name, account)
    for account in qs.filter(credit_code__in=[n.upper() for n in names]).order_by("pk"):
        found.setdefault(account.credit_code or "", account)
    return found


def _write_round(ctx: WriteContext, rows: list[ValidRow], out: BatchOutcome) -> None:
    key = ctx.key.field
    now = timezone.now()
    keyed = []
    for row in rows:
        if row.values.get(key):
            keyed.append(row)
        else:
            out.error(row.number, ctx.column(key), _("Empty, but records are matched on this column."))
    qs = Contact.all_objects.filter(**{f"{key}__in": {r.values[key] for r in keyed}}).select_related("owner")
    if not ctx.dry_run:
        qs = qs.select_for_update(of=("self",)).order_by("pk")
    matches: dict[Any, list[Contact]] = {}
    for contact in qs:
        matches.setdefault(getattr(contact, key), []).append(contact)
    ids = [c.pk for cs in matches.values() for c in cs]
    editable = set(editable_queryset(ctx.actor, Contact.all_objects.filter(pk__in=ids)).values_list("pk", flat=True)) if ids else set()
    accounts = _accounts_named(ctx.actor, {r.values["account"] for r in keyed if r.values.get("account")})
    creates: list[tuple[Contact, Account | None]] = []
    updates: list[tuple[Contact, dict[str, Any], Account | None]] = []
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
        account = accounts.get(row.values.get("account", ""))
        if row.values.get("account") and account is None:
            out.add("accounts_not_found")
        values = {k: v for k, v in row.values.items() if k in CONTACT_FIELDS or k.startswith("custom.")}
        if target is None:
            if ctx.dry_run and row.values[key] in ctx.pending:
                out.add("updated")
                continue
            contact = _owned(Contact, ctx, now, custom={})
            apply_changes(contact, values, new=True)
            refresh_search(contact)
            creates.append((contact, account))
            if ctx.dry_run:
                ctx.pending.add(row.values[key])
        else:
            changes = apply_changes(target, values)
            if changes:
                refresh_search(target)
            updates.append((target, changes, account))
    changed = [(c, ch) for c, ch, _a in updates if ch]
    out.add("created", len(creates))
    out.add("updated", len(changed))
    out.add("unchanged", len(updates) - len(changed))
    if ctx.dry_run:
        return
    audit = AuditBuffer(ctx.actor)
    account_of = {id(c): a for c, a in creates}
    inserted = insert_rows(Contact, [c for c, _a in creates])
    if len(inserted) != len(creates):
        out.add("created", len(inserted) - len(creates))
    for contact in inserted:
        account = account_of[id(contact)]
        audit.created(contact, extra={"accounts": [None, [account.pk]]} if account else None)
    if changed:
        for contact, changes in changed:
            contact.version += 1
            contact.updated_at = now
            audit.updated(contact, changes)
        update_rows(Contact, [c for c, _ch in changed], [*sorted({f for _c, ch in changed for f in ch}), "search_text", "name_sort",
                                                          "version", "updated_at"])
    # Links: new contacts to their account; existing ones gain a link they do not have yet.
    wanted = [(c.pk, a.pk) for c in inserted if (a := account_of[id(c)]) is not None]
    wanted += [(c.pk, a.pk) for c, _ch, a in updates if a is not None]
    have = set(ContactAccount.objects.filter(contact_id__in=[c for c, _a in wanted]).values_list("contact_id", "account_id"))
    primaries = set(ContactAccount.objects.filter(account_id__in=[a for _c, a in wanted], is_primary=True).values_list("account_id", flat=True))
    links = []
    for contact_id, account_id in dict.fromkeys(wanted):
        if (contact_id, account_id) not in have:
            links.append(ContactAccount(contact_id=contact_id, account_id=account_id, is_primary=account_id not in primaries))
            primaries.add(account_id)
    insert_rows(ContactAccount, links)
    audit.flush()


CONTACT_SPEC = register_spec(ImportSpec(
    object_type="contact",
    label=gettext_lazy("Contacts"),
    fields=contact_fields,
    keys=(
        KeyOption("mobile", gettext_lazy("Mobile"), "mobile"),
        KeyOption("email", gettext_lazy("Email"), "email"),
        KeyOption("external_id", gettext_lazy("External id"), "external_id"),
    ),
    writer=write_contacts,
    can_import=lambda actor: may_write(actor, Contact),
    formats=("csv", "xlsx", "vcard"),
    analyze=("customers_contact", "customers_contactaccount"),
))
