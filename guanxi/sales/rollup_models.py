"""The call-quality rollup (data only; ``guanxi.sales.rollups`` keeps it, ``guanxi.sales.quality``
reads it).

A manager's dashboard shows a year of call quality for a team: tens of thousands of logged calls,
too many to read per page view (DOMAIN §2 SPIN; issue 5 item 12). This table holds, per local
month, rep and team, the sums from which ``metrics`` computes every figure — calls, calls with an
outcome, successes, S/P/I/N questions, needs — plus the time of the latest call (a rep's team is the
team of their latest call). The month is in the zone recorded in ``CallRollupState``.

Keys are plain integers, not foreign keys: a rollup row blocks no delete and is rebuilt nightly.
"""

from __future__ import annotations

from django.db import models


class CallRollupState(models.Model):
    """One row once the rollup has been built in full: the zone of its months and when it was built.
    Readers use the rollup only when this row exists and its zone is theirs; otherwise raw rows."""

    name = models.CharField(max_length=20, unique=True)
    zone = models.CharField(max_length=64)
    built_at = models.DateTimeField()


class CallQualityMonth(models.Model):
    """Logged calls (alive activities with an owner) per month, rep (the activity's owner) and team
    (the activity's team; 0 = none)."""

    month = models.DateField()
    rep_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0)
    calls = models.IntegerField(default=0)
    logged = models.IntegerField(default=0)  # with an outcome
    successes = models.IntegerField(default=0)  # outcome order or advance
    s = models.IntegerField(default=0)
    p = models.IntegerField(default=0)
    i = models.IntegerField(default=0)
    n = models.IntegerField(default=0)
    explicit_needs = models.IntegerField(default=0)
    hidden_needs = models.IntegerField(default=0)
    last_logged_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "rep_id", "team_id"], name="uniq_call_quality_month")]
        indexes = [
            models.Index(fields=["rep_id", "month"], name="sales_cqm_rep"),
            models.Index(fields=["team_id", "month"], name="sales_cqm_team"),
        ]
