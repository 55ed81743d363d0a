from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt, StringConstraints

from guanxi.customers.models import AccountKind, Nature

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(max_length=100)]


class AccountWrite(Schema):
    """Writable fields only: owner, team, version and timestamps are not accepted here."""

    model_config = ConfigDict(extra="forbid")

    kind: AccountKind | None = None
    name: Name | None = None
    short_name: Short | None = None
    credit_code: Annotated[str, StringConstraints(max_length=30)] | None = None
    nature: Nature | None = None
    industry: Annotated[str, StringConstraints(max_length=100)] | None = None
    province: Annotated[str, StringConstraints(max_length=50)] | None = None
    city: Annotated[str, StringConstraints(max_length=50)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    other_phones: Annotated[list[Annotated[str, StringConstraints(max_length=40)]], Field(max_length=10)] | None = None
    source: Annotated[str, StringConstraints(max_length=100)] | None = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    website: Annotated[str, StringConstraints(max_length=200)] | None = None
    notes: Annotated[str, StringConstraints(max_length=10000)] | None = None
    custom: Annotated[dict[str, Any], Field(max_length=100)] | None = None


class AccountCreate(AccountWrite):
    name: Name  # type: ignore[assignment]


class AccountUpdate(AccountWrite):
    version: StrictInt = Field(..., ge=1, description="The version you read; a stale version is refused with 409.")


class AccountTransfer(Schema):
    model_config = ConfigDict(extra="forbid")
    owner_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    version: StrictInt = Field(..., ge=1)


class AccountOut(Schema):
    id: int
    name: str
    short_name: str
    credit_code: str | None
    nature: str
    industry: str
    province: str
    city: str
    address: str
    phone: str
    other_phones: list[str]
    kind: str
    source: str
    external_id: str | None
    website: str
    notes: str
    custom: dict[str, Any]
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
