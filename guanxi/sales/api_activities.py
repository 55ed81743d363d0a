"""Sales API: activities, SPIN call plans, call quality, targets, forecasts, calendar feeds (/api/v1/sales/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["sales"])
