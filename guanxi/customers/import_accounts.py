"""Importing accounts with their contacts (one row = an account, optionally with one contact).

Rows are upserted on the key the user picks (credit code, external id or phone). Per batch, a few
queries read the existing records by key as plain values (no model instances: a re-import is
mostly unchanged rows), ask ``editable_queryset`` which of them the importer may change, and check
the other unique values and the 查重 rule; then the new accounts, contacts, links and audit entries
are written with one COPY each (dataio.bulk), and the rows that change a record lock and re-read
it before it is updated (no lost update).

The work is split in a read-only plan (``plan_accounts``) and its writing (``write_planned``), so
that on PostgreSQL the engine plans the next batch while this one is written (dataio.importing:
``_BatchWriter``).

Permissions are those of the services: new records belong to the importer (their team and
department); an existing record is changed only if the importer may edit it, otherwise the row fails
with "exists, owned by X" (DOMAIN §1 查重). An empty cell never blanks a stored value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.audit.models import Action
from guanxi.audit.services import _plain
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
from guanxi.dataio.bulk import PreparedInsert, insert_rows, insert_values, is_postgres, update_rows
from guanxi.dataio.importing import BatchOutcome, FieldSpec, ImportSpec, KeyOption, ValidRow, WriteContext, register_spec
from guanxi.dataio.mapping import SYNONYMS
from guanxi.dataio.writers import (
    AuditBuffer,
    apply_changes,
    base_changes,
    created_changes,
    exists_message,
    new_instance,
    taken_message,
    upsert_rounds,
)
from guanxi.users.models import Scope
from guanxi.users.visibility import editable_queryset, visible_to

ACCOUNT_FIELDS = ("name", "short_name", "credit_code", "kind", "nature", "industry", "province", "city", "address", "phone",
                  "other_phones", "website", "source", "external_id", "notes")
# Row column → Contact field.
CONTACT_FIELDS = {"contact_name": "name", "contact_title": "title", "contact_department": "department_name",
                  "contact_mobile": "mobile", "contact_email": "email", "contact_wechat": "wechat"}
DERIVED = ("search_text", "name_sort", "name_key")
_ACCOUNT_FIELD_SET = frozenset(ACCOUNT_FIELDS)


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
    values["__account_search"] = search_fields_for(SimpleNamespace(**{k: v for k, v in values.items() if k in _ACCOUNT_FIELD_SET}))
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
    return write_planned(ctx, plan_accounts(ctx, rows))


@dataclass
class RoundPlan:
    """What one upsert round will do, decided from reads alone (no locks, no writes)."""

    now: Any
    creates: list[tuple[ValidRow, Account, dict[str, Any]]] = field(default_factory=list)
    candidates: list[tuple[ValidRow, int, dict[str, Any]]] = field(default_factory=list)  # rows that would change their account
    unchanged: list[tuple[ValidRow, int]] = field(default_factory=list)
    new: NewRecords | None = None  # the creates, ready to COPY (PostgreSQL, real runs)


@dataclass
class NewRecords:
    """A round's new accounts and the contacts their rows carry, ready to COPY (ids allocated,
    rows converted), with their links and audit entries. Built while planning, on PostgreSQL, so
    that the thread writing the previous batch only sends rows: Python's share of a created row
    moves off the write path, and the database and Python overlap (dataio.importing)."""

    accounts: PreparedInsert[Account]
    account_entries: list[tuple[Any, ...]]  # one per account, in the same order
    contacts: PreparedInsert[Contact]
    contact_accounts: list[int]  # each contact's account id, in the same order
    contact_entries: list[tuple[Any, ...]]


def _contact_values(row: ValidRow) -> dict[str, Any]:
    return {CONTACT_FIELDS[k]: v for k, v in row.values.items() if k in CONTACT_FIELDS}


def _new_contact(ctx: WriteContext, row: ValidRow, values: dict[str, Any], now: Any) -> Contact:
    """The contact a row creates (not saved), its derived columns from validation when prepared."""
    contact = _owned(Contact, ctx, now)
    apply_changes(contact, values, new=True)
    _derived(contact, row.values, "__contact_search")
    return contact


def _contact_created(base: dict[str, Any], values: dict[str, Any], account_id: int) -> dict[str, Any]:
    """A created contact's audit changes: its values and the account it was linked to."""
    return {**created_changes(base, values), "accounts": [None, [account_id]]}


def _prepare_new(ctx: WriteContext, creates: list[tuple[ValidRow, Account, dict[str, Any]]], now: Any) -> NewRecords:
    audit = AuditBuffer(ctx.actor)
    accounts = PreparedInsert(Account, [a for _r, a, _v in creates])
    base = base_changes(_owned(Account, ctx, now, custom={}))
    account_entries = [audit.row(Account, a.id, a.name, Action.CREATE, created_changes(base, v)) for _r, a, v in creates]
    contacts: list[tuple[Contact, int, dict[str, Any]]] = []
    for row, account, _v in creates:
        if "contact_name" in row.values:  # a new account has no contacts yet: each row's contact is new
            values = _contact_values(row)
            contacts.append((_new_contact(ctx, row, values, now), account.id, values))
    cbase = base_changes(_owned(Contact, ctx, now)) if contacts else {}
    return NewRecords(
        accounts=accounts,
        account_entries=account_entries,
        contacts=PreparedInsert(Contact, [c for c, _a, _v in contacts]),
        contact_accounts=[a for _c, a, _v in contacts],
        contact_entries=[audit.row(Contact, c.id, c.name, Action.CREATE, _contact_created(cbase, v, a)) for c, a, v in contacts],
    )


def _write_new(new: NewRecords, audit: AuditBuffer, out: BatchOutcome) -> set[int]:
    """COPY the prepared accounts, then their contacts, links and audit entries; returns the ids
    of the accounts written (all, unless a concurrent writer took one's unique value meanwhile:
    that account, its contact and their entries are left out)."""
    inserted = {a.id for a in insert_rows(Account, (), prepared=new.accounts)}
    audit.entries.extend(e for a, e in zip(new.accounts.objs, new.account_entries, strict=True) if a.id in inserted)
    contacts, owners, entries = new.contacts, new.contact_accounts, new.contact_entries
    if len(inserted) < len(new.accounts.objs):
        keep = [i for i, a in enumerate(owners) if a in inserted]
        contacts = PreparedInsert(Contact, [contacts.objs[i] for i in keep])
        owners, entries = [owners[i] for i in keep], [entries[i] for i in keep]
    written = {c.id for c in insert_rows(Contact, (), prepared=contacts)}
    # The first contact an account gets is its primary one.
    insert_values(ContactAccount, ("contact_id", "account_id", "is_primary"),
                  [(c.id, a, True) for c, a in zip(contacts.objs, owners, strict=True) if c.id in written])
    audit.entries.extend(e for c, e in zip(contacts.objs, entries, strict=True) if c.id in written)
    out.add("contacts_created", len(written))
    return inserted


@dataclass
class AccountsPlan:
    out: BatchOutcome
    first: RoundPlan | None
    later: list[list[ValidRow]]  # rounds 2+, planned when written: they update what round 1 creates


def plan_accounts(ctx: WriteContext, rows: list[ValidRow]) -> AccountsPlan:
    """The read-only half of ``write_accounts``: the engine may run it on its own connection while
    the previous batch is written (``ImportSpec.planner``)."""
    out = BatchOutcome()
    rounds = upsert_rounds(rows, ctx.key.field)
    return AccountsPlan(out, _plan_round(ctx, rounds[0], out) if rounds else None, rounds[1:])


def write_planned(ctx: WriteContext, plan: AccountsPlan) -> BatchOutcome:
    if plan.first is not None:
        _write_round_plan(ctx, plan.first, plan.out)
    for round_rows in plan.later:
        _write_round_plan(ctx, _plan_round(ctx, round_rows, plan.out), plan.out)
    return plan.out


def touches_existing(plan: AccountsPlan) -> bool:
    """Does the plan lock or change existing records (so it is written with no other batch in
    flight)? Only a plan that creates every account of its rows, with their contacts, does not."""
    first = plan.first
    return first is None or bool(plan.later or first.candidates or first.unchanged or first.new is None)


def batch_keys(ctx: WriteContext, rows: list[ValidRow]) -> set[tuple[str, Any]]:
    """The unique values a batch may create or change: a batch holding one of those of the batch
    being written must wait for it (the planning would not see that batch's rows yet)."""
    fields = {ctx.key.field, "credit_code", "external_id"}
    return {(f, v) for r in rows for f in fields if (v := r.values.get(f))}


# What the planning reads of a matched account: enough to judge each row (trash, permission,
# unique values) and to see whether it would change anything, as plain values — a re-import, where
# nearly every row is unchanged, then builds no model instances at all. Rows that do change are
# read again as instances, locked, before they are changed (``_lock_changed``).
MATCH_COLUMNS = ("pk", "deleted_at", "owner_id", *ACCOUNT_FIELDS, "custom")
CONTACT_COLUMNS = ("name", "title", "department_name", "mobile", "email", "wechat")


def _by_value(field: str, values: set[Any]) -> dict[Any, list[dict[str, Any]]]:
    found: dict[Any, list[dict[str, Any]]] = {}
    if values:
        for current in Account.all_objects.filter(**{f"{field}__any": list(values)}).values(*MATCH_COLUMNS):
            found.setdefault(current[field], []).append(current)
    return found


def _unique_holders(field: str, values: set[Any], matches: dict[Any, list[dict[str, Any]]]) -> dict[Any, list[dict[str, Any]]]:
    """Who holds each unique value: the matched accounts (already read) and any other account,
    read with just the columns the 查重 message needs. A re-import asks nothing here."""
    holders: dict[Any, list[dict[str, Any]]] = {}
    loaded = [a for found in matches.values() for a in found]
    for account in loaded:
        value = account[field]
        if value in values:
            holders.setdefault(value, []).append(account)
    rest = values - holders.keys()  # a unique value the matched accounts hold has no other holder
    if rest:
        others = Account.all_objects.filter(**{f"{field}__any": list(rest)}).exclude(pk__any=[a["pk"] for a in loaded])
        for account in others.values("pk", field, "owner_id"):
            holders.setdefault(account[field], []).append(account)
    return holders


class _Owners:
    """The owners named in 查重 messages, read only for the rows that need one."""

    def __init__(self) -> None:
        self.users: dict[Any, Any] = {}

    def holder(self, record: dict[str, Any]) -> SimpleNamespace:
        owner_id = record["owner_id"]
        if owner_id is not None and owner_id not in self.users:
            from guanxi.users.models import User

            self.users[owner_id] = User.objects.filter(pk=owner_id).first()
        return SimpleNamespace(owner=self.users.get(owner_id))


def _differs(current: dict[str, Any], values: dict[str, Any]) -> bool:
    """Would setting ``values`` (custom.* included) change the record read as ``current``? Compared
    as the audit diff compares (JSON-ready forms), so False means ``apply_changes`` finds nothing."""
    custom = current.get("custom") or {}
    for name, value in values.items():
        old = custom.get(name[7:]) if name.startswith("custom.") else current[name]
        if old != value and _plain(old) != _plain(value):
            return True
    return False


def _plan_round(ctx: WriteContext, rows: list[ValidRow], out: BatchOutcome) -> RoundPlan:
    key = ctx.key.field
    actor = ctx.actor
    now = timezone.now()
    keyed = []
    for row in rows:
        if row.values.get(key):
            keyed.append(row)
        else:
            out.error(row.number, ctx.column(key), _("Empty, but records are matched on this column."))
    matches = _by_value(key, {r.values[key] for r in keyed})
    matched_ids = [a["pk"] for found in matches.values() for a in found]
    uniques = {f: _unique_holders(f, {r.values[f] for r in keyed if r.values.get(f)}, matches) for f in ("credit_code", "external_id") if f != key}
    editable = set(editable_queryset(actor, Account.all_objects.filter(pk__any=matched_ids)).values_list("pk", flat=True)) if matched_ids else set()
    owners = _Owners()

    plans: list[tuple[ValidRow, dict[str, Any] | None]] = []
    claimed: dict[tuple[str, Any], int] = {}
    for row in keyed:
        found = matches.get(row.values[key], [])
        target = found[0] if found else None
        problem = ""
        if len(found) > 1:
            problem = _("%(n)d records have this value; match on another column.") % {"n": len(found)}
        elif target is not None and target["deleted_at"] is not None:
            problem = _("A record with this value is in the trash; restore it first.")
        elif target is not None and target["pk"] not in editable:
            problem = exists_message(owners.holder(target))
        if problem:
            out.error(row.number, ctx.column(key), problem)
            continue
        for f in uniques:
            value = row.values.get(f)
            if not value:
                continue
            other = next((a for a in uniques[f].get(value, []) if target is None or a["pk"] != target["pk"]), None)
            if other is not None:
                problem = taken_message(owners.holder(other))
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
    plan = RoundPlan(now)
    creates, candidates, unchanged = plan.creates, plan.candidates, plan.unchanged
    for row, target in plans:
        account_values = {k: v for k, v in row.values.items() if k in _ACCOUNT_FIELD_SET or k[:7] == "custom."}
        if target is None:
            if ctx.dry_run and row.values[key] in ctx.pending:
                out.add("updated")
                continue
            nk = new_keys[row.number]
            if nk in hidden:
                out.error(row.number, ctx.column("name"), exists_message(owners.holder({"owner_id": hidden[nk]})))
                continue
            account = _owned(Account, ctx, now, custom={})
            apply_changes(account, account_values, new=True)
            account.name_key = nk
            _derived(account, row.values, "__account_search")
            creates.append((row, account, account_values))
        elif _differs(target, account_values):
            candidates.append((row, target["pk"], account_values))
        else:
            unchanged.append((row, target["pk"]))
    if creates and not ctx.dry_run and is_postgres():
        plan.new = _prepare_new(ctx, creates, now)
    return plan


def _write_round_plan(ctx: WriteContext, plan: RoundPlan, out: BatchOutcome) -> None:
    key = ctx.key.field
    actor = ctx.actor
    now = plan.now
    creates, candidates, unchanged = plan.creates, plan.candidates, list(plan.unchanged)
    if ctx.dry_run:
        for row, _acc, _v in creates:
            ctx.pending.add(row.values[key])
        out.add("created", len(creates))
        out.add("updated", len(candidates))
        out.add("unchanged", len(unchanged))
        return

    audit = AuditBuffer(actor)
    if plan.new is not None:
        inserted = _write_new(plan.new, audit, out)
    else:
        inserted = {a.id for a in insert_rows(Account, [a for _r, a, _v in creates])}
        base = None
        for _row, account, account_values in creates:
            if account.id in inserted:
                base = base or base_changes(_owned(Account, ctx, now, custom={}))
                audit.entry(Account, account.id, account.name, Action.CREATE, created_changes(base, account_values))
    for row, account, _v in creates:
        if account.id not in inserted:
            out.error(row.number, ctx.column(key), _("Someone else created this record while the import ran; import the row again."))
    creates = [(r, a, v) for r, a, v in creates if a.id in inserted]
    locked = _lock_changed(actor, [pk for _r, pk, _v in candidates])
    changed: list[tuple[ValidRow, Account, dict[str, Any]]] = []
    for row, pk, account_values in candidates:
        target = locked.get(pk)
        if target is None:  # deleted, or no longer the importer's to change, since the planning read
            out.error(row.number, ctx.column(key), _("This record was changed while the import ran; import the row again."))
            continue
        changes = apply_changes(target, account_values)
        if not changes:
            unchanged.append((row, pk))
            continue
        if "name" in changes:  # derived columns only change when their sources do
            target.name_key = name_key(target.name)
        refresh_search(target)
        target.version += 1
        target.updated_at = now
        audit.updated(target, changes)
        changed.append((row, target, changes))
    if changed:
        fields = sorted({f for _r, _t, c in changed for f in c})
        update_rows(Account, [t for _r, t, _c in changed], [*fields, *DERIVED, "version", "updated_at"])
    out.add("created", len(creates))
    out.add("updated", len(changed))
    out.add("unchanged", len(unchanged))
    new_rows = [] if plan.new is not None else [(r, a.id, True) for r, a, _v in creates]  # prepared: written above
    _write_contacts(ctx, new_rows + [(r, t.id, False) for r, t, _c in changed] + [(r, pk, False) for r, pk in unchanged],
                    audit, out, now)
    audit.flush()


def _lock_changed(actor: Any, ids: list[int]) -> dict[int, Account]:
    """The accounts a batch will change, read again and locked until it commits (no lost update),
    keeping only those the importer may still change."""
    if not ids:
        return {}
    qs = editable_queryset(actor, Account.all_objects.filter(pk__any=ids, deleted_at__isnull=True))
    return {a.pk: a for a in qs.select_for_update(of=("self",)).order_by("pk")}


def _hidden_by_name_key(actor: Any, keys: set[str]) -> dict[str, Any]:
    """name key → owner id of an account with that key which the importer cannot see (one query:
    the visibility rule is asked per candidate row, never about all the importer's accounts)."""
    if not keys:
        return {}
    visible = visible_to(actor, Account.objects.filter(pk=OuterRef("pk")))
    hidden = Account.objects.filter(name_key__any=list(keys)).exclude(Exists(visible)).values_list("name_key", "owner_id")
    return dict(hidden)


def _write_contacts(ctx: WriteContext, rows: list[tuple[ValidRow, int, bool]], audit: AuditBuffer, out: BatchOutcome, now: Any) -> None:
    """One contact per row: matched among the account's contacts by mobile, e-mail or name and
    updated (if the importer may edit it), else created and linked."""
    wanted = [(r, a, new) for r, a, new in rows if "contact_name" in r.values]
    if not wanted:
        return
    existing: dict[int, list[dict[str, Any]]] = {}
    old_ids = [a for _r, a, new in wanted if not new]
    if old_ids:
        links = ContactAccount.objects.filter(account__pk__any=old_ids, contact__deleted_at__isnull=True)
        for link in links.values("account_id", "contact_id", *(f"contact__{c}" for c in CONTACT_COLUMNS)).order_by("pk"):
            current = {c: link[f"contact__{c}"] for c in CONTACT_COLUMNS}
            current["pk"] = link["contact_id"]
            existing.setdefault(link["account_id"], []).append(current)
    had_contacts = {account_id for account_id, contacts in existing.items() if contacts}
    new_contacts: list[tuple[Contact, int, dict[str, Any]]] = []
    matched: list[tuple[ValidRow, dict[str, Any], dict[str, Any]]] = []
    for row, account_id, _new in wanted:
        values = _contact_values(row)
        candidates = existing.get(account_id, [])
        match = next((c for c in candidates if values.get("mobile") and c["mobile"] == values["mobile"]), None) \
            or next((c for c in candidates if values.get("email") and c["email"] == values["email"]), None) \
            or next((c for c in candidates if c["name"] == values["name"]), None)
        if match is None:
            new_contacts.append((_new_contact(ctx, row, values, now), account_id, values))
        else:
            matched.append((row, match, values))
    editable = set()
    if matched:
        ids = [m["pk"] for _r, m, _v in matched]
        editable = set(editable_queryset(ctx.actor, Contact.objects.filter(pk__any=ids)).values_list("pk", flat=True))
    to_change: list[tuple[ValidRow, int, dict[str, Any]]] = []
    for row, match, values in matched:
        if match["pk"] not in editable:
            full = Contact.all_objects.filter(pk=match["pk"]).select_related("owner").first()
            out.error(row.number, ctx.column("contact_name"), exists_message(full))
        elif _differs(match, values):
            to_change.append((row, match["pk"], values))
    inserted = insert_rows(Contact, [c for c, _a, _v in new_contacts])
    account_of = {id(c): (a, v) for c, a, v in new_contacts}
    links_rows = []
    base = None
    for contact in inserted:
        account_id, values = account_of[id(contact)]
        # The first contact an account gets is its primary one.
        links_rows.append((contact.pk, account_id, account_id not in had_contacts))
        had_contacts.add(account_id)
        base = base or base_changes(_owned(Contact, ctx, now))
        audit.entry(Contact, contact.pk, contact.name, Action.CREATE, _contact_created(base, values, account_id))
    insert_values(ContactAccount, ("contact_id", "account_id", "is_primary"), links_rows)
    changed: list[tuple[Contact, dict[str, Any]]] = []
    if to_change:
        locked = {c.pk: c for c in editable_queryset(ctx.actor, Contact.objects.filter(pk__any=[pk for _r, pk, _v in to_change]))
                  .select_for_update(of=("self",)).order_by("pk")}
        for row, pk, values in to_change:
            locked_contact = locked.get(pk)
            if locked_contact is None:
                out.error(row.number, ctx.column("contact_name"), _("This record was changed while the import ran; import the row again."))
                continue
            changes = apply_changes(locked_contact, values)
            if changes:
                refresh_search(locked_contact)
                locked_contact.version += 1
                locked_contact.updated_at = now
                audit.updated(locked_contact, changes)
                changed.append((locked_contact, changes))
    if changed:
        fields = sorted({f for _c, ch in changed for f in ch})
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
    planner=plan_accounts,
    plan_writer=write_planned,
    batch_keys=batch_keys,
    plan_touches_existing=touches_existing,
    can_import=lambda actor: may_write(actor, Account),
    check_row=check_row,
    prepare=prepare_row,
    analyze=("customers_account", "customers_contact", "customers_contactaccount"),
    analyze_columns={  # what the planning's lookups and the visibility filters use
        "customers_account": ("id", "credit_code", "external_id", "phone", "name_key", "owner_id", "team_id", "department_id", "deleted_at"),
        "customers_contact": ("id", "mobile", "email", "external_id", "owner_id", "team_id", "department_id", "deleted_at"),
    },
))
