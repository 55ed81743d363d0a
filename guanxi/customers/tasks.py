"""Background jobs of the customer archive (imported by CustomersConfig.ready, so the worker and the
scheduler know them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from guanxi.customers.classify import recompute_all
from guanxi.dataio.jobs import JobContext, job_handler


@job_handler("customers.classify_all", every=timedelta(days=1))
def classify_all(ctx: JobContext) -> dict[str, Any]:
    """The nightly full recompute of the classifications (DOMAIN §1); the scheduler starts it once a
    day (``every``). Idempotent: a rerun after a
    crash ranks everyone again and writes only what still differs, so no checkpoint is needed."""
    ctx.progress(5, _("Ranking accounts by gross profit…"))
    messages = {"ranked": _("Ranked; storing the changed classifications…"), "stored": _("Stored.")}
    result = recompute_all(progress=lambda pct, step: ctx.progress(pct, messages.get(step, step)))
    return {
        "accounts": result.accounts,
        "ranked": result.ranked,
        "rows_changed": result.rows_changed,
        "seconds": round(result.seconds, 2),
        "message": _("Classified %(accounts)d accounts; %(changed)d changed.")
        % {"accounts": result.accounts, "changed": result.rows_changed},
    }
