"""Rollup tables of the service dashboard and the satisfaction analysis (data only; the logic is
in ``guanxi.service.rollups``).

A year of a large company (a million complaints, two million survey responses with several answers
each) cannot be aggregated from raw rows at every page view. These tables hold the same sums and
counts per local day (``grain = "d"``) and per local month (``grain = "m"``, the sum of its days),
in the zone recorded in ``RollupState``: a period reads whole months from month rows and the days
at its edges from day rows, a few thousand rows whatever the data.

Keys are plain integers, not foreign keys: a rollup row outlives nothing and blocks no delete; a
department that no longer exists reads as "no department", as the complaints it was cleared from do.
"""

from __future__ import annotations

from typing import Any

from django.db import models

DAY, MONTH = "d", "m"


def _sum() -> Any:
    """An exact sum of one-decimal ratings."""
    return models.DecimalField(max_digits=20, decimal_places=1, default=0)


class RollupState(models.Model):
    """One row per rollup family ("complaints", "answers") once it has been built in full: the
    time zone its days are in and when. Readers use a family only when its row exists and its zone
    is the reader's; otherwise they read the raw rows."""

    name = models.CharField(max_length=20, unique=True)
    zone = models.CharField(max_length=64)
    built_at = models.DateTimeField()


class ComplaintRollup(models.Model):
    """Complaints (alive) opened in the period, by type, channel and responsible department."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    complaint_type_id = models.BigIntegerField()
    channel = models.CharField(max_length=8)
    department_id = models.BigIntegerField(default=0)  # 0: none
    n = models.IntegerField(default=0)
    resp_done = models.IntegerField(default=0)  # a response target and a response
    resp_ok = models.IntegerField(default=0)  # ... in time
    res_done = models.IntegerField(default=0)  # a resolution target and a resolution
    res_ok = models.IntegerField(default=0)  # ... in time
    resolved = models.IntegerField(default=0)
    once_resolved = models.IntegerField(default=0)  # resolved now or reopened at least once
    reopened = models.IntegerField(default=0)
    resolve_us = models.BigIntegerField(default=0)  # sum of resolved_at - opened_at, microseconds

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "period", "complaint_type_id", "channel", "department_id"],
                                               name="uniq_complaint_rollup")]


class ComplaintResolveHistogram(models.Model):
    """Resolved complaints by whole hours from opening to resolution: where the median lies."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    bucket = models.IntegerField()  # floor(hours)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "period", "bucket"], name="uniq_complaint_resolve_histogram")]


class AnswerRollup(models.Model):
    """Survey answers by item and segment (the account's value tier when it answered)."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    item_id = models.BigIntegerField()
    segment = models.CharField(max_length=40, default="")
    total = models.IntegerField(default=0)
    n = models.IntegerField(default=0)  # answers with experience and expectation
    s_exp = _sum()
    s_expect = _sum()
    s_short = _sum()  # max(0, expectation - experience)
    n_importance = models.IntegerField(default=0)
    s_importance = _sum()
    n_adequate = models.IntegerField(default=0)
    s_adequate = _sum()
    n_desired = models.IntegerField(default=0)
    s_desired = _sum()
    n_experience = models.IntegerField(default=0)
    s_experience = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "period", "item_id", "segment"], name="uniq_answer_rollup")]


class ResponseRollup(models.Model):
    """Survey responses by survey and segment: CSAT and NPS counts."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    survey_id = models.BigIntegerField()
    segment = models.CharField(max_length=40, default="")
    responses = models.IntegerField(default=0)
    csat_n = models.IntegerField(default=0)
    csat_ok = models.IntegerField(default=0)
    nps_n = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "period", "survey_id", "segment"], name="uniq_response_rollup")]
