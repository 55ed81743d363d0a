"""Wiring of activities, SPIN call plans, reminders, calendar feeds and forecasts, imported by
``SalesConfig.ready()``: visibility delegates, the 360° timeline provider, job handlers and
notification kinds register themselves here."""

from __future__ import annotations

from guanxi.customers.timeline import register_timeline_provider
from guanxi.sales import forecast, reminders, rollups  # noqa: F401  (job handlers register on import)
from guanxi.sales.activities import timeline_items
from guanxi.sales.models import CallNeed, CallPlan, CallQuestion
from guanxi.users.visibility import register_delegate

# A call plan (and its questions and needs) is visible and editable exactly when its activity is.
register_delegate(CallPlan, via="activity")
register_delegate(CallQuestion, via="plan")
register_delegate(CallNeed, via="plan")

register_timeline_provider("activity", timeline_items)
