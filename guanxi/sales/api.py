"""Sales API: leads, pipelines, opportunities, products (/api/v1/sales/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["sales"])
