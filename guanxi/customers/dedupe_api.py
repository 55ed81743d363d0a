from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field, StrictInt

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES
from guanxi.customers import dedupe
from guanxi.customers.models import Account
from guanxi.customers.schemas import AccountOut

router = Router(tags=["duplicates"])


class CandidateOut(Schema):
    id: int
    first_id: int
    second_id: int
    reasons: list[str]
    score: int
    status: str


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    merged_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    choices: dict[str, str] = Field(default_factory=dict, description="field → 'survivor' or 'merged'")


@router.get("/duplicates", response={200: list[CandidateOut], **ERROR_RESPONSES})
def list_duplicates(request: HttpRequest) -> Any:
    return list(dedupe.duplicate_queue(actor=request.user)[:200])  # type: ignore[arg-type]


@router.post("/{int:account_id}/merge", response={200: AccountOut, **ERROR_RESPONSES})
def merge(request: HttpRequest, account_id: int, payload: MergeIn) -> Any:
    survivor = lifecycle.get_visible(request.user, Account, account_id)
    merged = lifecycle.get_visible(request.user, Account, payload.merged_id)
    return dedupe.account_merge(actor=request.user, survivor=survivor, merged=merged, choices=payload.choices)  # type: ignore[arg-type]
