"""Job handlers that ship with the platform. DataioConfig.ready imports this module so that every
process (web, worker, scheduler) knows them; apps register their own handlers in their ready()."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.audit.lifecycle import purge_expired
from guanxi.core.models import SoftDeleteModel
from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.dataio.models import JobStepLog


def _refers_to(model: type[models.Model], target: type[models.Model]) -> bool:
    """Whether a row of ``model`` can stop a row of ``target`` from being deleted: a foreign key that
    protects or restricts it (SET_NULL and CASCADE references never block a purge)."""
    blocking = (models.PROTECT, models.RESTRICT)
    return any(f.many_to_one and f.related_model is target and getattr(f.remote_field, "on_delete", None) in blocking
               for f in model._meta.get_fields())


def trash_models() -> list[type[models.Model]]:
    """Every concrete model with a trash: owned records (``OwnedModel``) and delegated ones like
    orders. Referencing models come first (orders before accounts), so an account whose orders
    expire in the same run can go too."""
    remaining = sorted(
        (m for m in apps.get_models() if issubclass(m, SoftDeleteModel) and not m._meta.proxy), key=lambda m: m._meta.label_lower
    )
    ordered: list[type[models.Model]] = []
    while remaining:
        free = next((m for m in remaining if not any(_refers_to(o, m) for o in remaining if o is not m)), remaining[0])
        ordered.append(free)
        remaining.remove(free)
    return ordered


@job_handler("trash.purge")  # started daily by `manage.py scheduler`
def trash_purge(ctx: JobContext) -> dict[str, Any]:
    """Hard-delete what has been in the trash longer than TRASH_RETENTION_DAYS, model by model.

    Purging is idempotent (a purged row is gone), so after a crash the model in progress is simply
    purged again; the checkpoint saves redoing the models already done."""
    targets = trash_models()
    purged: dict[str, int] = dict((ctx.checkpoint or {}).get("purged", {}))
    kept: dict[str, int] = dict((ctx.checkpoint or {}).get("kept", {}))
    for index, model in enumerate(targets, start=1):
        label = model._meta.label_lower
        if label in purged:
            continue
        purged[label] = purge_expired(model)
        cutoff = timezone.now() - timedelta(days=settings.TRASH_RETENTION_DAYS)
        # Rows purge_expired had to keep because other records still point to them.
        kept[label] = model._base_manager.filter(deleted_at__lt=cutoff).count()
        ctx.save_checkpoint(
            {"purged": purged, "kept": kept},
            percent=100 * index / len(targets),
            message=_("Emptied the trash of %(objects)s (%(done)d of %(total)d).")
            % {"objects": model._meta.verbose_name_plural, "done": index, "total": len(targets)},
        )
    total = sum(purged.values())
    return {
        "purged": purged,
        "kept": {k: v for k, v in kept.items() if v},
        "total": total,
        "message": ngettext(
            "%(n)d record older than %(days)d days was deleted for good.",
            "%(n)d records older than %(days)d days were deleted for good.",
            total,
        )
        % {"n": total, "days": settings.TRASH_RETENTION_DAYS},
    }


@job_handler("demo.count")
def demo_count(ctx: JobContext, *, n: int = 10, delay: float = 0.0) -> dict[str, Any]:
    """Count from 1 to ``n``: the smallest job that shows the resumability contract.

    Each step writes its JobStepLog row and the checkpoint in ONE transaction, so whenever the
    worker dies the log and the checkpoint agree, and the resumed run continues with the next step:
    the log ends with every step exactly once (the unique constraint would fail the job otherwise)."""
    n = max(0, min(int(n), 100_000))
    start = int((ctx.checkpoint or {}).get("next", 1))
    for step in range(start, n + 1):
        with transaction.atomic():
            JobStepLog.objects.create(job_id=ctx.job.pk, step=step, attempt=ctx.attempt)
            ctx.save_checkpoint(
                {"next": step + 1},
                percent=100 * step / n,
                message=_("Counted %(step)d of %(n)d.") % {"step": step, "n": n},
            )
        if delay:
            time.sleep(float(delay))
    return {"counted": n, "message": _("Counted to %(n)d.") % {"n": n}}
