"""Bulk actions on accounts: assign owner, add tag, move to the public pool, delete.

Every id is checked through ``editable_queryset`` (SECURITY.md: a list with a foreign id changes
nothing of it); the ids that may not be changed are reported as skipped. More than
BULK_INLINE_LIMIT rows run as a background job with progress."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.audit.models import Action
from guanxi.audit.services import audit_record
from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Account, Tag
from guanxi.customers.pool import pool_release
from guanxi.dataio.jobs import JobContext, job_handler, job_start
from guanxi.users.models import User
from guanxi.users.visibility import editable_queryset

BULK_INLINE_LIMIT = 1000
BULK_MAX = 1_000_000
ACTIONS = ("assign_owner", "add_tag", "move_to_pool", "delete")


def _validate(action: str, args: dict[str, Any]) -> None:
    if action not in ACTIONS:
        raise ValidationFailed({"action": [_("Unknown bulk action.")]})
    if action == "assign_owner":
        owner_id = args.get("owner_id")
        if not isinstance(owner_id, int) or not User.objects.filter(pk=owner_id, is_active=True).exists():
            raise ValidationFailed({"owner_id": [_("Choose an active user.")]})
    if action == "add_tag":
        tag = str(args.get("tag") or "").strip()
        if not tag or len(tag) > 50:
            raise ValidationFailed({"tag": [_("A tag has 1 to 50 characters.")]})


def _apply_one(actor: User, account: Account, action: str, args: dict[str, Any]) -> None:
    if action == "assign_owner":
        new_owner = User.objects.get(pk=args["owner_id"])
        if account.owner_id != new_owner.pk:
            lifecycle.record_transfer(actor=actor, obj=account, new_owner=new_owner)
    elif action == "add_tag":
        tag, _created = Tag.objects.get_or_create(name=str(args["tag"]).strip())
        if not account.tags.filter(pk=tag.pk).exists():
            account.tags.add(tag)
            audit_record(actor=actor, obj=account, action=Action.UPDATE, changes={"tags": [None, tag.name]})
    elif action == "move_to_pool":
        pool_release(actor=actor, account=account, reason="bulk")
    elif action == "delete":
        lifecycle.record_delete(actor=actor, obj=account)


def bulk_run(*, actor: User, ids: list[int], action: str, args: dict[str, Any], ctx: JobContext | None = None) -> dict[str, Any]:
    """Apply ``action`` to the editable accounts among ``ids``; resumable from ctx.checkpoint."""
    _validate(action, args)
    ids = sorted(set(ids))
    checkpoint = (ctx.checkpoint if ctx else None) or {}
    start, done, skipped = checkpoint.get("offset", 0), checkpoint.get("done", 0), checkpoint.get("skipped", 0)
    batch_size = 200
    for offset in range(start, len(ids), batch_size):
        chunk = ids[offset : offset + batch_size]
        with transaction.atomic():
            editable = {a.pk: a for a in editable_queryset(actor, Account.objects.filter(pk__in=chunk))}
            for pk in chunk:
                account = editable.get(pk)
                if account is None:
                    skipped += 1
                    continue
                _apply_one(actor, account, action, args)
                done += 1
            if ctx:
                ctx.save_checkpoint({"offset": offset + len(chunk), "done": done, "skipped": skipped}, percent=100 * (offset + len(chunk)) / max(1, len(ids)),
                                    message=_("%(done)d of %(total)d") % {"done": offset + len(chunk), "total": len(ids)})
    return {"done": done, "skipped": skipped, "total": len(ids)}


def bulk_start(*, actor: User, ids: list[int], action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run small selections now; start a background job for large ones. Returns the result or the job id."""
    _validate(action, args)
    if len(ids) > BULK_MAX:
        raise ValidationFailed({"ids": [_("Select at most %(n)d rows.") % {"n": BULK_MAX}]})
    if len(ids) <= BULK_INLINE_LIMIT:
        return {"result": bulk_run(actor=actor, ids=ids, action=action, args=args)}
    job = job_start(actor=actor, kind="customers.bulk", params={"actor_id": actor.pk, "ids": ids, "action": action, "args": args})
    return {"job_id": str(job.pk)}


@job_handler("customers.bulk")
def _bulk_job(ctx: JobContext, *, actor_id: int, ids: list[int], action: str, args: dict[str, Any]) -> dict[str, Any]:
    # Re-read the actor: a deactivated user's job changes nothing (visibility answers "none").
    actor = User.objects.select_related("role", "department").get(pk=actor_id)
    return bulk_run(actor=actor, ids=ids, action=action, args=args, ctx=ctx)
