"""Schemas of the sales API: writable fields listed explicitly (owner, team, version, stage,
timestamps are never writable through a generic update), outputs without secrets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.sales.models import BuyingRole, DecisionType, LeadStatus, StageKind

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
StrictId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1, description="The version you read; a stale version is refused with 409.")]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]


T20 = Annotated[str, StringConstraints(max_length=20)]
T30 = Annotated[str, StringConstraints(max_length=30)]
T40 = Annotated[str, StringConstraints(max_length=40)]
T50 = Annotated[str, StringConstraints(max_length=50)]
T100 = Annotated[str, StringConstraints(max_length=100)]
T200 = Annotated[str, StringConstraints(max_length=200)]
T254 = Annotated[str, StringConstraints(max_length=254)]
T500 = Annotated[str, StringConstraints(max_length=500)]
T5000 = Annotated[str, StringConstraints(max_length=5000)]
T10000 = Annotated[str, StringConstraints(max_length=10000)]


class Forbid(Schema):
    model_config = ConfigDict(extra="forbid")


# --- leads -----------------------------------------------------------------------------------------

class LeadWrite(Forbid):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)] | None = None
    company: T200 | None = None
    title: T100 | None = None
    mobile: T40 | None = None
    email: T254 | None = None
    wechat: T50 | None = None
    credit_code: T30 | None = None
    industry: T100 | None = None
    province: T50 | None = None
    city: T50 | None = None
    source: T100 | None = None
    status: LeadStatus | None = Field(None, description="new or contacted; use qualify / disqualify / convert for the others.")
    has_budget: StrictBool | None = None
    has_authority: StrictBool | None = None
    has_need: StrictBool | None = None
    has_timeline: StrictBool | None = None
    notes: T10000 | None = None
    external_id: T100 | None = None


class LeadCreate(LeadWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]  # type: ignore[assignment]


class LeadUpdate(LeadWrite):
    version: Version


class VersionOnly(Forbid):
    version: Version | None = None


class LeadDisqualify(Forbid):
    version: Version | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LeadOut(Schema):
    id: int
    name: str
    company: str
    title: str
    mobile: str
    email: str
    wechat: str
    credit_code: str
    industry: str
    province: str
    city: str
    source: str
    status: str
    has_budget: bool
    has_authority: bool
    has_need: bool
    has_timeline: bool
    disqualify_reason: str
    notes: str
    external_id: str | None
    converted_at: datetime | None
    converted_account_id: int | None
    converted_contact_id: int | None
    converted_opportunity_id: int | None
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class MatchOut(Schema):
    id: int
    name: str
    owner_id: int | None
    reasons: list[str]


class HiddenMatchOut(Schema):
    kind: str
    owner: str | None
    in_pool: bool


class DuplicatesOut(Schema):
    accounts: list[MatchOut]
    contacts: list[MatchOut]
    hidden: list[HiddenMatchOut]
    hidden_count: int


class ConvertOpportunity(Forbid):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    amount: Money | None = None
    currency: Currency | None = None
    probability: Percent | None = None
    expected_close: date | None = None
    decision_type: DecisionType | None = None
    pipeline_id: StrictId | None = None
    stage_id: StrictId | None = None


class LeadConvert(Forbid):
    version: Version | None = None
    account_id: StrictId | None = Field(None, description="Link this existing account; empty: create one from the lead.")
    contact_id: StrictId | None = Field(None, description="Link this existing contact; empty: create one (see create_contact).")
    create_contact: StrictBool = True
    create_opportunity: StrictBool = True
    opportunity: ConvertOpportunity | None = None
    contact_role: BuyingRole | None = Field(None, description="The new or linked contact's role in the opportunity.")


class ConvertOut(Schema):
    lead: LeadOut
    account_id: int
    contact_id: int | None
    opportunity_id: int | None
    created_account: bool
    created_contact: bool


# --- catalogue -------------------------------------------------------------------------------------

class ProductWrite(Forbid):
    code: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    unit: T20 | None = None
    description: T5000 | None = None
    active: StrictBool | None = None


class ProductCreate(ProductWrite):
    code: Annotated[str, StringConstraints(min_length=1, max_length=50)]  # type: ignore[assignment]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]  # type: ignore[assignment]


class ProductOut(Schema):
    id: int
    code: str
    name: str
    unit: str
    description: str
    active: bool


class PriceListWrite(Forbid):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    currency: Currency | None = None
    is_default: StrictBool | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class PriceListCreate(PriceListWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]


class PriceOut(Schema):
    product_id: int
    unit_price: Decimal


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    is_default: bool
    valid_from: date | None
    valid_to: date | None


class PriceListDetailOut(PriceListOut):
    prices: list[PriceOut]


class PriceSet(Forbid):
    unit_price: Money


# --- pipelines -------------------------------------------------------------------------------------

class StageOut(Schema):
    id: int
    pipeline_id: int
    code: str
    name_zh: str
    name_en: str
    name: str
    position: int
    kind: str
    probability: int


class PipelineOut(Schema):
    id: int
    name_zh: str
    name_en: str
    name: str
    is_default: bool
    active: bool
    position: int
    stages: list[StageOut]


class PipelineWrite(Forbid):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    is_default: StrictBool | None = None
    active: StrictBool | None = None
    position: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None


class PipelineCreate(PipelineWrite):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]


class StageWrite(Forbid):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    code: Annotated[str, StringConstraints(min_length=1, max_length=30)] | None = None
    kind: StageKind | None = None
    probability: Percent | None = None


class StageCreate(StageWrite):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    code: Annotated[str, StringConstraints(min_length=1, max_length=30)]  # type: ignore[assignment]
    position: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None


class StageOrder(Forbid):
    stage_ids: Annotated[list[StrictId], Field(min_length=1, max_length=100)]


class LossReasonOut(Schema):
    id: int
    name_zh: str
    name_en: str
    name: str
    active: bool
    position: int


class LossReasonWrite(Forbid):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    active: StrictBool | None = None
    position: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None


class LossReasonCreate(LossReasonWrite):
    name_zh: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]


# --- opportunities ---------------------------------------------------------------------------------

class LineIn(Forbid):
    product_id: StrictId
    quantity: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3, allow_inf_nan=False)] = Decimal("1")
    unit_price: Money | None = Field(None, description="Empty: the price list's price.")
    discount_pct: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)] = Decimal("0")


class ContactIn(Forbid):
    contact_id: StrictId
    role: BuyingRole


class OpportunityWrite(Forbid):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)] | None = None
    amount: Money | None = None
    currency: Currency | None = None
    probability: Percent | None = Field(None, description="Overrides the stage's probability; null: use the stage's.")
    expected_close: date | None = None
    decision_type: DecisionType | None = None
    source: T100 | None = None
    notes: T10000 | None = None
    external_id: T100 | None = None


class OpportunityCreate(OpportunityWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]  # type: ignore[assignment]
    account_id: StrictId
    pipeline_id: StrictId | None = None
    stage_id: StrictId | None = None
    price_list_id: StrictId | None = None
    lines: Annotated[list[LineIn], Field(max_length=200)] = Field(default_factory=list)
    contacts: Annotated[list[ContactIn], Field(max_length=50)] = Field(default_factory=list)


class OpportunityUpdate(OpportunityWrite):
    version: Version


class OpportunityMove(Forbid):
    stage_id: StrictId
    version: Version
    before_id: StrictId | None = Field(None, description="Place the card right above this card of the column; empty: on top.")


class OpportunityWin(Forbid):
    version: Version
    create_order: StrictBool = False
    order_date: date | None = None
    gross_profit: Money | None = None


class OpportunityLose(Forbid):
    version: Version
    loss_reason_id: StrictId
    note: T500 = ""


class LinesPut(Forbid):
    version: Version
    lines: Annotated[list[LineIn], Field(max_length=200)]
    update_amount: StrictBool = True
    price_list_id: StrictId | None = None


class ContactsPut(Forbid):
    version: Version
    contacts: Annotated[list[ContactIn], Field(max_length=50)]


class OpportunityOut(Schema):
    id: int
    name: str
    account_id: int
    pipeline_id: int
    stage_id: int
    is_open: bool
    amount: Decimal
    currency: str
    probability: int | None
    effective_probability: int
    expected_close: date | None
    decision_type: str
    source: str
    lead_id: int | None
    loss_reason_id: int | None
    loss_note: str
    closed_at: datetime | None
    stage_entered_at: datetime | None
    won_order_id: int | None
    notes: str
    external_id: str | None
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class LineOut(Schema):
    id: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    total: Decimal


class ContactLinkOut(Schema):
    contact_id: int
    role: str


class StageChangeOut(Schema):
    from_stage_id: int | None
    to_stage_id: int
    changed_at: datetime
    changed_by_id: int | None
    seconds_in_previous: int | None


class StageDurationOut(Schema):
    stage_id: int
    seconds: int
    visits: int
    current: bool


class HistoryOut(Schema):
    changes: list[StageChangeOut]
    durations: list[StageDurationOut]


class CardOut(Schema):
    id: int
    name: str
    account_id: int
    account_name: str
    amount: Decimal
    currency: str
    effective_probability: int
    expected_close: date | None
    owner_id: int | None
    version: int


class ColumnOut(Schema):
    stage: StageOut
    cards: list[CardOut]
    total: int
    amount: Decimal
    weighted: Decimal
    next_cursor: str | None


class BoardOut(Schema):
    pipeline_id: int
    columns: list[ColumnOut]
