"""Importing accounts with their contacts (one row = an account, optionally with one contact).

Rows are upserted on the key the user picks (credit code, external id or phone). Per batch, one
query finds the existing records by key, one asks ``editable_queryset`` which of them the importer
may change, a few more check the other unique values and the 查重 rule; then the new and changed
accounts, contacts, links and audit entries are written with one bulk statement each
(dataio.bulk: COPY + INSERT … SELECT … ON CONFLICT on PostgreSQL).

Permissions are those of the services: new records belong to the importer (their team and
department); an existing record is changed only if the importer may edit it, otherwise the row fails
with "exists, owned by X" (DOMAIN §1 查重). An empty cell never blanks a stored value.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers.dedupe import name_key
from guanxi.customers.import_fields import (
    custom_field_specs,
    parse_credit_code,
    parse_email,
    parse_kind,
    parse_nature,
    parse_phone,
    parse_phone_list,
    parse_website,
)
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.search import refresh_search_fields as refresh_search
from guanxi.customers.search import search_fields_for
from guanxi.dataio.bulk import insert_rows, update_rows
from guanxi.dataio.importing import BatchOutcome, FieldSpec, ImportSpec, KeyOption, ValidRow, WriteContext, register_spec
from guanxi.dataio.mapping import SYNONYMS
from guanxi.dataio.writers import AuditBuffer, apply_changes, exists_message, new_instance, taken_message, upsert_rounds
from guanxi.users.models import Scope
from guanxi.users.visibility import editable_queryset, visible_to

ACCOUNT_FIELDS = ("name", "short_name", "credit_code", "kind", "nature", "industry", "province", "city", "address", "phone",
                  "other_phones", "website", "source", "external_id", "notes")
# Row column → Contact field.
CONTACT_FIELDS = {"contact_name": "name", "contact_title": "title", "contact_department": "department_name",
                  "contact_mobile": "mobile", "contact_email": "email", "contact_wechat": "wechat"}
DERIVED = ("search_text", "name_sort", "name_key")


def _s(concept: str, *extra: str) -> tuple[str, ...]:
    return (*SYNONYMS[concept], *extra)


def account_fields() -> list[FieldSpec]:
    return [
        FieldSpec("name", gettext_lazy("Name"), required=True, max_length=200, synonyms=_s("name")),
        FieldSpec("short_name", gettext_lazy("Short name"), max_length=100, synonyms=_s("short_name")),
        FieldSpec("credit_code", gettext_lazy("Unified social credit code"), parse_credit_code, synonyms=_s("credit_code")),
        FieldSpec("kind", gettext_lazy("Kind"), parse_kind, synonyms=_s("kind")),
        FieldSpec("nature", gettext_lazy("Nature"), parse_nature, synonyms=_s("nature")),
        FieldSpec("industry", gettext_lazy("Industry"), max_length=100, synonyms=_s("industry")),
        FieldSpec("province", gettext_lazy("Province"), max_length=50, synonyms=_s("province")),
        FieldSpec("city", gettext_lazy("City"), max_length=50, synonyms=_s("city")),
        FieldSpec("address", gettext_lazy("Address"), max_length=300, synonyms=_s("address")),
        FieldSpec("phone", gettext_lazy("Phone"), parse_phone, synonyms=_s("phone")),
        FieldSpec("other_phones", gettext_lazy("Other phones"), parse_phone_list, synonyms=_s("other_phones")),
        FieldSpec("website", gettext_lazy("Website"), parse_website, synonyms=_s("website")),
        FieldSpec("source", gettext_lazy("Source"), max_length=100, synonyms=_s("source")),
        FieldSpec("external_id", gettext_lazy("External id"), max_length=100, synonyms=_s("external_id")),
        FieldSpec("notes", gettext_lazy("Notes"), max_length=10000, synonyms=_s("notes")),
        FieldSpec("contact_name", gettext_lazy("Contact name"), max_length=100, synonyms=_s("contact_name")),
        FieldSpec("contact_title", gettext_lazy("Contact title"), max_length=100, synonyms=_s("title")),
        FieldSpec("contact_department", gettext_lazy("Contact department"), max_length=100, synonyms=_s("department")),
        FieldSpec("contact_mobile", gettext_lazy("Contact mobile"), parse_phone, synonyms=_s("mobile")),
        FieldSpec("contact_email", gettext_lazy("Contact email"), parse_email, synonyms=_s("email")),
        FieldSpec("contact_wechat", gettext_lazy("Contact WeChat ID"), max_length=50, synonyms=_s("wechat")),
        *custom_field_specs("account"),
    ]


def may_write(actor: Any, model: type[Any]) -> bool:
    """Importing creates records, so the importer needs some write scope on them (read-only roles
    cannot import)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_admin:
        return True
    role = actor.role
    if role is None:
        return False
    label = f"{model._meta.app_label}.{model._meta.model_name}"
    row = next((s for s in role.scopes.all() if s.object_type == label), None)
    return (row.write_scope if row else role.default_write_scope) != Scope.NONE


def prepare_row(values: dict[str, Any]) -> None:
    """The derived columns of the account (and contact) a row would create — search text, pinyin
    sort key, the 查重 name key — computed with validation, off the write path. A row that updates
    an existing record recomputes them from the merged values instead (``_write_round``)."""
    values["__account_search"] = search_fields_for(SimpleNamespace(**{k: v for k, v in values.items() if k in ACCOUNT_FIELDS}))
    values["__name_key"] = name_key(values["name"])
    if "contact_name" in values:
        contact = {CONTACT_FIELDS[k]: v for k, v in values.items() if k in CONTACT_FIELDS}
        values["__contact_search"] = search_fields_for(SimpleNamespace(**contact))


def _derived(obj: Any, values: dict[str, Any], key: str) -> None:
    prepared = values.get(key)
    if prepared is None:
        refresh_search(obj)
    else:
        obj.search_text, obj.name_sort = prepared


def check_row(values: dict[str, Any]) -> dict[str, str]:
    if any(k in values for k in CONTACT_FIELDS) and "contact_name" not in values:
        return {"contact_name": _("Give the contact's name when the row has contact details.")}
    return {}


def _team_id(ctx: WriteContext) -> Any:
    if "team_id" not in ctx.cache:
        team = ctx.actor.teams.order_by("pk").first()
        ctx.cache["team_id"] = team.pk if team else None
    return ctx.cache["team_id"]


def _owned(model: type[Any], ctx: WriteContext, now: Any, **values: Any) -> Any:
    return new_instance(model, owner_id=ctx.actor.pk, team_id=_team_id(ctx), department_id=ctx.actor.department_id,
                        created_by_id=ctx.actor.pk, created_at=now, updated_at=now, **values)


def write_accounts(ctx: WriteContext, rows: list[ValidRow]) -> BatchOutcome:
    out = BatchOutcome()
    for round_rows in upsert_rounds(rows, ctx.key.field):
        _write_round(ctx, round_rows, out)
    return out


def _by_value(qs: Any, field: str, values: set[Any], *, lock: bool = False) -> dict[Any, list[Account]]:
    found: dict[Any, list[Account]] = {}
    if values:
        qs = qs.filter(**{f"{field}__any": list(values)}).select_related("owner")
        if lock:
            # The rows this batch may update stay as read until it commits (no lost updates).
            qs = qs.select_for_update(of=("self",)).order_by("pk")
        for acc in qs:
            found.setdefault(getattr(acc, field), []).append(acc)
    return found


def _unique_holders(field: str, values: set[Any], matches: dict[Any, list[Account]]) -> dict[Any, list[Account]]:
    """Who holds each unique value: the matched accounts (already loaded) and any other account,
    read with just the columns the 查重 message needs. Re-imports find nothing new here."""
    holders: dict[Any, list[Account]] = {}
    loaded = [a for found in matches.values() for a in found]
    for account in loaded:
        value = getattr(account, field)
        if value in values:
            holders.setdefault(value, []).append(account)
    if values:
        others = (Account.all_objects.filter(**{f"{field}__any": list(values)}).exclude(pk__any=[a.pk for a in loaded])
                  .select_related("owner").only("pk", field, "owner"))
        for account in others:
            holders.setdefault(getattr(account, field), []).append(account)
    return holders


def _write_round(ctx: WriteContext, rows: list[ValidRow], out: BatchOutcome) -> None:
    key = ctx.key.field
    actor = ctx.actor
    now = timezone.now()
    keyed = []
    for row in rows:
        if row.values.get(key):
            keyed.append(row)
        else:
            out.error(row.number, ctx.column(key), _("Empty, but records are matched on this column."))
    matches = _by_value(Account.all_objects, key, {r.values[key] for r in keyed}, lock=not ctx.dry_run)
    matched_ids = [a.pk for found in matches.values() for a in found]
    uniques = {f: _unique_holders(f, {r.values[f] for r in keyed if r.values.get(f)}, matches) for f in ("credit_code", "external_id") if f != key}
    editable = set(editable_queryset(actor, Account.all_objects.filter(pk__any=matched_ids)).values_list("pk", flat=True)) if matched_ids else set()

    plans: list[tuple[ValidRow, Account | None]] = []
    claimed: dict[tuple[str, Any], int] = {}
    for row in keyed:
        found = matches.get(row.values[key], [])
        target = found[0] if found else None
        problem = ""
        if len(found) > 1:
            problem = _("%(n)d records have this value; match on another column.") % {"n": len(found)}
        elif target is not None and target.deleted_at is not None:
            problem = _("A record with this value is in the trash; restore it first.")
        elif target is not None and target.pk not in editable:
            problem = exists_message(target)
        if problem:
            out.error(row.number, ctx.column(key), problem)
            continue
        for f in uniques:
            value = row.values.get(f)
            if not value:
                continue
            other = next((a for a in uniques[f].get(value, []) if target is None or a.pk != target.pk), None)
            if other is not None:
                problem = taken_message(other)
            elif (f, value) in claimed:
                problem = _("The same value is in row %(row)d of this file.") % {"row": claimed[(f, value)]}
            if problem:
                out.error(row.number, ctx.column(f), problem)
                break
            claimed[(f, value)] = row.number
        if not problem:
            plans.append((row, target))

    # 查重 on the name: a new account may not copy one the importer cannot see.
    new_keys = {r.number: r.values.get("__name_key") or name_key(r.values["name"]) for r, t in plans if t is None}
    hidden = _hidden_by_name_key(actor, set(new_keys.values()) - {""})
    creates: list[tuple[ValidRow, Account]] = []
    updates: list[tuple[ValidRow, Account, dict[str, Any]]] = []
    for row, target in plans:
        account_values = {k: v for k, v in row.values.items() if k in ACCOUNT_FIELDS or k.startswith("custom.")}
        if target is None:
            if ctx.dry_run and row.values[key] in ctx.pending:
                out.add("updated")
                continue
            nk = new_keys[row.number]
            if nk in hidden:
                out.error(row.number, ctx.column("name"), exists_message(hidden[nk]))
                continue
            account = _owned(Account, ctx, now, custom={})
            apply_changes(account, account_values, new=True)
            account.name_key = nk
            _derived(account, row.values, "__account_search")
            creates.append((row, account))
        else:
            changes = apply_changes(target, account_values)
            if changes:  # derived columns only change when their sources do
                if "name" in changes:
                    target.name_key = name_key(target.name)
                refresh_search(target)
            updates.append((row, target, changes))

    if ctx.dry_run:
        for row, _acc in creates:
            ctx.pending.add(row.values[key])
        out.add("created", len(creates))
        out.add("updated", sum(1 for _r, _t, c in updates if c))
        out.add("unchanged", sum(1 for _r, _t, c in updates if not c))
        return

    audit = AuditBuffer(actor)
    inserted = {a.pk for a in insert_rows(Account, [a for _r, a in creates])}
    for row, account in creates:
        if account.pk in inserted:
            audit.created(account)
        else:
            out.error(row.number, ctx.column(key), _("Someone else created this record while the import ran; import the row again."))
    creates = [(r, a) for r, a in creates if a.pk in inserted]
    changed = [(r, t, c) for r, t, c in updates if c]
    if changed:
        fields = sorted({f for _r, _t, c in changed for f in c})
        for _row, target, changes in changed:
            target.version += 1
            target.updated_at = now
            audit.updated(target, changes)
        update_rows(Account, [t for _r, t, _c in changed], [*fields, *DERIVED, "version", "updated_at"])
    out.add("created", len(creates))
    out.add("updated", len(changed))
    out.add("unchanged", len(updates) - len(changed))
    _write_contacts(ctx, [(r, a, True) for r, a in creates] + [(r, t, False) for r, t, _c in updates], audit, out, now)
    audit.flush()


def _hidden_by_name_key(actor: Any, keys: set[str]) -> dict[str, Account]:
    if not keys:
        return {}
    same = list(Account.objects.filter(name_key__any=list(keys)).select_related("owner"))
    if not same:
        return {}
    visible = set(visible_to(actor, Account.objects.filter(pk__any=[a.pk for a in same])).values_list("pk", flat=True))
    return {a.name_key: a for a in same if a.pk not in visible}


def _write_contacts(ctx: WriteContext, rows: list[tuple[ValidRow, Account, bool]], audit: AuditBuffer, out: BatchOutcome, now: Any) -> None:
    """One contact per row: matched among the account's contacts by mobile, e-mail or name and
    updated (if the importer may edit it), else created and linked."""
    wanted = [(r, a, new) for r, a, new in rows if "contact_name" in r.values]
    if not wanted:
        return
    existing: dict[int, list[Contact]] = {}
    old_ids = [a.pk for _r, a, new in wanted if not new]
    if old_ids:
        for link in ContactAccount.objects.filter(account_id__in=old_ids, contact__deleted_at__isnull=True).select_related("contact"):
            existing.setdefault(link.account_id, []).append(link.contact)
    contact_ids = [c.pk for cs in existing.values() for c in cs]
    editable = set(editable_queryset(ctx.actor, Contact.objects.filter(pk__any=contact_ids)).values_list("pk", flat=True)) if contact_ids else set()
    had_contacts = {account_id for account_id, contacts in existing.items() if contacts}
    new_contacts: list[tuple[Contact, Account]] = []
    changed: list[tuple[Contact, dict[str, Any]]] = []
    for row, account, _new in wanted:
        values = {CONTACT_FIELDS[k]: v for k, v in row.values.items() if k in CONTACT_FIELDS}
        candidates = existing.get(account.pk, [])
        match = next((c for c in candidates if values.get("mobile") and c.mobile == values["mobile"]), None) \
            or next((c for c in candidates if values.get("email") and c.email == values["email"]), None) \
            or next((c for c in candidates if c.name == values["name"]), None)
        if match is None:
            contact = _owned(Contact, ctx, now)
            apply_changes(contact, values, new=True)
            _derived(contact, row.values, "__contact_search")
            new_contacts.append((contact, account))
        elif match.pk not in editable:
            out.error(row.number, ctx.column("contact_name"), exists_message(match))
        else:
            changes = apply_changes(match, values)
            if changes:
                refresh_search(match)
                match.version += 1
                match.updated_at = now
                changed.append((match, changes))
    inserted = insert_rows(Contact, [c for c, _a in new_contacts])
    account_of = {id(c): a for c, a in new_contacts}
    links = []
    for contact in inserted:
        account = account_of[id(contact)]
        # The first contact an account gets is its primary one.
        links.append(new_instance(ContactAccount, contact_id=contact.pk, account_id=account.pk, is_primary=account.pk not in had_contacts))
        had_contacts.add(account.pk)
        audit.created(contact, extra={"accounts": [None, [account.pk]]})
    insert_rows(ContactAccount, links)
    if changed:
        fields = sorted({f for _c, ch in changed for f in ch})
        for contact, changes in changed:
            audit.updated(contact, changes)
        update_rows(Contact, [c for c, _ch in changed], [*fields, "search_text", "name_sort", "version", "updated_at"])
    out.add("contacts_created", len(inserted))
    out.add("contacts_updated", len(changed))


ACCOUNT_SPEC = register_spec(ImportSpec(
    object_type="account",
    label=gettext_lazy("Accounts with contacts"),
    fields=account_fields,
    keys=(
        KeyOption("credit_code", gettext_lazy("Unified social credit code"), "credit_code"),
        KeyOption("external_id", gettext_lazy("External id"), "external_id"),
        KeyOption("phone", gettext_lazy("Phone"), "phone"),
    ),
    writer=write_accounts,
    can_import=lambda actor: may_write(actor, Account),
    check_row=check_row,
    prepare=prepare_row,
    analyze=("customers_account", "customers_contact", "customers_contactaccount"),
))
