"""Surveys, satisfaction analysis, follow-up visits and the service dashboard (/api/v1/service/…).

Thin: parse, call a service or selector, return. Conventions as in ``customers/orders_api.py``:
schemas forbid unknown fields, problem+json errors, ``version`` for optimistic locking, 404 for
what the caller may not see, 403 for what they may see but not change, cursor pages.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.customers.models import Account, Contact
from guanxi.service import (
    analysis,
    dashboard_data,
    followups,
    surveys,
    surveys_ready,  # noqa: F401  (response visibility delegate; ServiceConfig.ready imports it too)
)
from guanxi.service.models import Dimension, FollowUpOutcome, FollowUpRule, FollowUpTrigger, FollowUpVisit, SurveyItem

router = Router(tags=["service: surveys and follow-ups"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]
Segment = Annotated[str, StringConstraints(max_length=12, pattern=r"^[a-z_]*$")]
Version = Annotated[StrictInt, Field(ge=1, description="The version you read; a stale version is refused with 409.")]
MAX_RANGE_DAYS = 3 * 366


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: Version


# --- surveys -----------------------------------------------------------------------------------------

class SurveyWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    intro: Annotated[str, StringConstraints(max_length=5000)] | None = None
    scale_max: Annotated[StrictInt, Field(ge=3, le=10)] | None = None
    ask_nps: StrictBool | None = None
    ask_csat: StrictBool | None = None
    trigger_events: Annotated[list[Literal["order_delivered", "complaint_closed"]], Field(max_length=2)] | None = None
    active: StrictBool | None = None


class SurveyCreate(SurveyWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]  # type: ignore[assignment]


class SurveyUpdate(SurveyWrite):
    version: Version


class ItemOut(Schema):
    id: int
    code: str
    text: str
    dimension: str
    service_element: str
    ask_expectation: bool
    ask_desired: bool
    ask_adequate: bool
    ask_importance: bool
    position: int


class SurveyOut(Schema):
    id: int
    name: str
    intro: str
    scale_max: int
    ask_nps: bool
    ask_csat: bool
    active: bool
    trigger_events: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class SurveyDetailOut(SurveyOut):
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj: Any) -> list[SurveyItem]:
        return list(obj.items.all())


class PageParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class SurveyListParams(PageParams):
    active: bool | None = None


def _survey(survey_id: int) -> Any:
    return surveys.get_survey(survey_id)


def _item(item_id: int) -> SurveyItem:
    item = SurveyItem.objects.select_related("survey").filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    return item


@router.get("/surveys", response={200: CursorPage[SurveyOut], **ERROR_RESPONSES})
def list_surveys(request: HttpRequest, params: Query[SurveyListParams]) -> Any:
    qs = surveys.survey_list()
    if params.active is not None:
        qs = qs.filter(active=params.active)
    page = keyset_page(qs, order=("-id",), after=params.after, limit=params.limit)
    return CursorPage[SurveyOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/surveys", response={201: SurveyDetailOut, **ERROR_RESPONSES})
def create_survey(request: HttpRequest, payload: SurveyCreate) -> Any:
    return Status(201, surveys.survey_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/surveys/{int:survey_id}", response={200: SurveyDetailOut, **ERROR_RESPONSES})
def get_survey(request: HttpRequest, survey_id: int) -> Any:
    return _survey(survey_id)


@router.patch("/surveys/{int:survey_id}", response={200: SurveyDetailOut, **ERROR_RESPONSES})
def update_survey(request: HttpRequest, survey_id: int, payload: SurveyUpdate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return surveys.survey_update(actor=request.user, survey=_survey(survey_id), version=version, data=data)  # type: ignore[arg-type]


@router.post("/surveys/{int:survey_id}/deactivate", response={200: SurveyDetailOut, **ERROR_RESPONSES})
def deactivate_survey(request: HttpRequest, survey_id: int, payload: VersionIn) -> Any:
    return surveys.survey_deactivate(actor=request.user, survey=_survey(survey_id), version=payload.version)  # type: ignore[arg-type]


class ItemWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    code: Code | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    dimension: Dimension | None = None
    service_element: Annotated[str, StringConstraints(max_length=60)] | None = None
    ask_expectation: StrictBool | None = None
    ask_desired: StrictBool | None = None
    ask_adequate: StrictBool | None = None
    ask_importance: StrictBool | None = None
    position: Annotated[StrictInt, Field(ge=0, le=32767)] | None = None


class ItemCreate(ItemWrite):
    code: Code  # type: ignore[assignment]
    text: Annotated[str, StringConstraints(min_length=1, max_length=300)]  # type: ignore[assignment]
    dimension: Dimension  # type: ignore[assignment]


class ReorderIn(Schema):
    model_config = ConfigDict(extra="forbid")
    item_ids: Annotated[list[Id], Field(min_length=1, max_length=surveys.MAX_ITEMS)]


def _item_data(payload: ItemWrite) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    if data.get("dimension") is not None:
        data["dimension"] = str(data["dimension"])
    return data


@router.post("/surveys/{int:survey_id}/items", response={201: ItemOut, **ERROR_RESPONSES})
def add_item(request: HttpRequest, survey_id: int, payload: ItemCreate) -> Any:
    return Status(201, surveys.item_add(actor=request.user, survey=_survey(survey_id), data=_item_data(payload)))  # type: ignore[arg-type]


@router.post("/surveys/{int:survey_id}/items/reorder", response={200: list[ItemOut], **ERROR_RESPONSES})
def reorder_items(request: HttpRequest, survey_id: int, payload: ReorderIn) -> Any:
    return surveys.item_reorder(actor=request.user, survey=_survey(survey_id), item_ids=payload.item_ids)  # type: ignore[arg-type]


@router.patch("/survey-items/{int:survey_item_id}", response={200: ItemOut, **ERROR_RESPONSES})
def update_item(request: HttpRequest, survey_item_id: int, payload: ItemWrite) -> Any:
    return surveys.item_update(actor=request.user, item=_item(survey_item_id), data=_item_data(payload))  # type: ignore[arg-type]


@router.delete("/survey-items/{int:survey_item_id}", response={204: None, **ERROR_RESPONSES})
def remove_item(request: HttpRequest, survey_item_id: int) -> Any:
    surveys.item_remove(actor=request.user, item=_item(survey_item_id))  # type: ignore[arg-type]
    return Status(204, None)


# --- invitations and responses ---------------------------------------------------------------------

class InvitationCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    contact_id: Id | None = None
    account_id: Id | None = None
    send: StrictBool = Field(True, description="Email the link to the contact now.")
    expires_in_days: Annotated[StrictInt, Field(ge=1, le=surveys.MAX_EXPIRY_DAYS)] = 30


class InvitationOut(Schema):
    id: int
    survey_id: int
    account_id: int | None
    contact_id: int | None
    event: str
    state: str
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    link: str = Field(..., description="The single-use answer link; shown only now (only its hash is stored).")
    emailed: bool


@router.post("/surveys/{int:survey_id}/invitations", response={201: InvitationOut, **ERROR_RESPONSES})
def create_invitation(request: HttpRequest, survey_id: int, payload: InvitationCreate) -> Any:
    survey = _survey(survey_id)
    if not surveys.can_design(request.user):
        raise PermissionDenied(_("Only managers and administrators may send surveys."))
    contact = lifecycle.get_visible(request.user, Contact, payload.contact_id) if payload.contact_id else None
    account = lifecycle.get_visible(request.user, Account, payload.account_id) if payload.account_id else None
    invitation, token = surveys.invite(survey=survey, contact=contact, account=account, expires_in_days=payload.expires_in_days)
    emailed = surveys.send_invitation(invitation=invitation, token=token) if payload.send else False
    fields = ("id", "survey_id", "account_id", "contact_id", "event", "state", "sent_at", "expires_at", "answered_at")
    return Status(201, {**{name: getattr(invitation, name) for name in fields}, "link": surveys.survey_link(token), "emailed": emailed})


class AnswerOut(Schema):
    item_id: int
    expectation: Decimal | None
    desired: Decimal | None
    adequate: Decimal | None
    experience: Decimal | None
    importance: Decimal | None


class ResponseOut(Schema):
    id: int
    survey_id: int
    account_id: int | None
    contact_id: int | None
    segment: str
    answered_at: datetime
    nps: int | None
    csat: int | None
    comment: str
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj: Any) -> list[Any]:
        return list(obj.answers.all())


class ResponseListParams(PageParams):
    survey_id: Id | None = None
    account_id: Id | None = None


@router.get("/survey-responses", response={200: CursorPage[ResponseOut], **ERROR_RESPONSES})
def list_responses(request: HttpRequest, params: Query[ResponseListParams]) -> Any:
    qs = surveys.responses_for(request.user).prefetch_related("answers")
    if params.survey_id is not None:
        qs = qs.filter(survey_id=params.survey_id)
    if params.account_id is not None:
        qs = qs.filter(account_id=params.account_id)
    page = keyset_page(qs, order=("-answered_at", "-id"), after=params.after, limit=params.limit)
    return CursorPage[ResponseOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


# --- analysis ------------------------------------------------------------------------------------

class AnalysisParams(Schema):
    start: date | None = Field(None, description="First day (YYYY-MM-DD); default: 12 months ago.")
    end: date | None = Field(None, description="Last day included; default: today.")
    survey_id: Id | None = None
    segment: Segment | None = Field(None, description="Value tier when answered: key, general, scattered.")
    account_id: Id | None = None


def _period(actor: Any, start: date | None, end: date | None) -> tuple[date, date]:
    default = analysis.default_filter(actor)
    start, end = start or default.start, end or default.end
    if not (1970 <= start.year <= 2999 and 1970 <= end.year <= 2999):
        raise ValidationFailed({"start": [_("Enter a date between 1970 and 2999.")]})
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed({"end": [_("The end must be on or after the start, at most %(n)d days later.") % {"n": MAX_RANGE_DAYS}]})
    return start, end


def _filter(request: HttpRequest, p: AnalysisParams) -> analysis.AnalysisFilter:
    start, end = _period(request.user, p.start, p.end)
    return analysis.AnalysisFilter(start=start, end=end, survey_id=p.survey_id, segment=p.segment, account_id=p.account_id)


class GapParams(AnalysisParams):
    by: Literal["item", "dimension", "account", "segment", "month"] = "dimension"


class GapOut(Schema):
    key: str | None = Field(..., description="Item code, dimension, account id, segment or month (YYYY-MM-01); null: none.")
    n: int
    skipped: int
    mean_experience: Decimal | None
    mean_expectation: Decimal | None
    mean_gap: Decimal | None = Field(..., description="satisfaction = experience − expectation")


def _key(value: Any) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


@router.get("/analysis/gaps", response={200: list[GapOut], **ERROR_RESPONSES})
def gaps(request: HttpRequest, params: Query[GapParams]) -> Any:
    result = analysis.gaps(request.user, _filter(request, params), by=params.by)
    return [GapOut(key=_key(k), **vars(v)) for k, v in result.items()]


class KeyExperienceOut(Schema):
    item: str
    dimension: str
    importance: Decimal | None
    shortfall: Decimal
    score: Decimal
    fix_first: bool


@router.get("/analysis/key-experience", response={200: list[KeyExperienceOut], **ERROR_RESPONSES})
def key_experience(request: HttpRequest, params: Query[AnalysisParams]) -> Any:
    ranking = analysis.key_experience(request.user, _filter(request, params))
    return [KeyExperienceOut(**vars(k), fix_first=i == 0 and k.score > 0) for i, k in enumerate(ranking)]


class ZoneOut(Schema):
    item: str
    adequate: Decimal
    desired: Decimal
    perceived: Decimal
    position: str
    flagged: bool


@router.get("/analysis/tolerance-zone", response={200: list[ZoneOut], **ERROR_RESPONSES})
def tolerance_zone(request: HttpRequest, params: Query[AnalysisParams]) -> Any:
    zone = analysis.tolerance_zone(request.user, _filter(request, params))
    return [ZoneOut(**vars(z), flagged=z.flagged) for z in zone]


class ScoresOut(Schema):
    csat: Decimal | None
    csat_answers: int
    nps: Decimal | None
    nps_answers: int
    promoters: int
    passives: int
    detractors: int


@router.get("/analysis/scores", response={200: ScoresOut, **ERROR_RESPONSES})
def scores(request: HttpRequest, params: Query[AnalysisParams]) -> Any:
    return vars(analysis.scores(request.user, _filter(request, params)))


class TrendParams(AnalysisParams):
    dimension: Dimension | None = None
    item: Code | None = None


class TrendOut(Schema):
    month: date
    n: int
    mean_gap: Decimal | None


@router.get("/analysis/trend", response={200: list[TrendOut], **ERROR_RESPONSES})
def trend(request: HttpRequest, params: Query[TrendParams]) -> Any:
    points = analysis.trend(request.user, _filter(request, params),
                            dimension=str(params.dimension) if params.dimension else None, item=params.item)
    return [vars(p) for p in points]


# --- follow-up rules (administrators) ------------------------------------------------------------

class RuleWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    trigger: FollowUpTrigger | None = None
    days_after: Annotated[StrictInt, Field(ge=0, le=followups.MAX_DAYS_AFTER)] | None = None
    value_tier: Segment | None = None
    active: StrictBool | None = None


class RuleCreate(RuleWrite):
    trigger: FollowUpTrigger  # type: ignore[assignment]


class RuleOut(Schema):
    id: int
    trigger: str
    days_after: int
    value_tier: str
    active: bool
    created_at: datetime
    updated_at: datetime


def _rule_data(payload: RuleWrite) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    if data.get("trigger") is not None:
        data["trigger"] = str(data["trigger"])
    return data


def _rule(request: HttpRequest, rule_id: int) -> FollowUpRule:
    followups.require_admin(request.user)
    rule = FollowUpRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


@router.get("/follow-up-rules", response={200: CursorPage[RuleOut], **ERROR_RESPONSES})
def list_rules(request: HttpRequest, params: Query[PageParams]) -> Any:
    followups.require_admin(request.user)
    page = keyset_page(FollowUpRule.objects.all(), order=("id",), after=params.after, limit=params.limit)
    return CursorPage[RuleOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/follow-up-rules", response={201: RuleOut, **ERROR_RESPONSES})
def create_rule(request: HttpRequest, payload: RuleCreate) -> Any:
    return Status(201, followups.rule_create(actor=request.user, data=_rule_data(payload)))  # type: ignore[arg-type]


@router.get("/follow-up-rules/{int:follow_up_rule_id}", response={200: RuleOut, **ERROR_RESPONSES})
def get_rule(request: HttpRequest, follow_up_rule_id: int) -> Any:
    return _rule(request, follow_up_rule_id)


@router.patch("/follow-up-rules/{int:follow_up_rule_id}", response={200: RuleOut, **ERROR_RESPONSES})
def update_rule(request: HttpRequest, follow_up_rule_id: int, payload: RuleWrite) -> Any:
    return followups.rule_update(actor=request.user, rule=_rule(request, follow_up_rule_id), data=_rule_data(payload))  # type: ignore[arg-type]


@router.delete("/follow-up-rules/{int:follow_up_rule_id}", response={204: None, **ERROR_RESPONSES})
def delete_rule(request: HttpRequest, follow_up_rule_id: int) -> Any:
    followups.rule_delete(actor=request.user, rule=_rule(request, follow_up_rule_id))  # type: ignore[arg-type]
    return Status(204, None)


# --- follow-up visits ----------------------------------------------------------------------------

class FollowUpOut(Schema):
    id: int
    account_id: int
    contact_id: int | None
    rule_id: int | None
    trigger: str
    source_id: int | None
    due_at: datetime
    done_at: datetime | None
    outcome: str
    satisfaction: int | None
    notes: str
    owner_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class FollowUpListParams(PageParams):
    overdue: bool | None = Field(None, description="true: not done and past due, most overdue first.")
    open: bool | None = Field(None, description="true: not done; false: done.")
    account_id: Id | None = None
    owner_id: Id | None = None


class CompleteIn(VersionIn):
    outcome: FollowUpOutcome
    satisfaction: Annotated[StrictInt, Field(ge=1, le=5)] | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""


@router.get("/follow-ups", response={200: CursorPage[FollowUpOut], **ERROR_RESPONSES})
def list_follow_ups(request: HttpRequest, params: Query[FollowUpListParams]) -> Any:
    if params.overdue:
        qs = followups.overdue(request.user)
        order: tuple[str, ...] = ("due_at", "id")
    else:
        qs = followups.follow_ups_for(request.user)
        order = ("-due_at", "-id")
        if params.overdue is False:
            qs = qs.exclude(pk__in=followups.overdue(request.user).values("pk"))
    if params.open is not None:
        qs = qs.filter(done_at__isnull=params.open)
    for name in ("account_id", "owner_id"):
        if getattr(params, name) is not None:
            qs = qs.filter(**{name: getattr(params, name)})
    page = keyset_page(qs, order=order, after=params.after, limit=params.limit)
    return CursorPage[FollowUpOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.get("/follow-ups/{int:follow_up_id}", response={200: FollowUpOut, **ERROR_RESPONSES})
def get_follow_up(request: HttpRequest, follow_up_id: int) -> Any:
    return lifecycle.get_visible(request.user, FollowUpVisit, follow_up_id)


@router.post("/follow-ups/{int:follow_up_id}/complete", response={200: FollowUpOut, **ERROR_RESPONSES})
def complete_follow_up(request: HttpRequest, follow_up_id: int, payload: CompleteIn) -> Any:
    visit = lifecycle.get_visible(request.user, FollowUpVisit, follow_up_id)
    return followups.followup_complete(actor=request.user, visit=visit, outcome=str(payload.outcome),  # type: ignore[arg-type]
                                       satisfaction=payload.satisfaction, notes=payload.notes, version=payload.version)


# --- the service dashboard -----------------------------------------------------------------------

class PeriodParams(Schema):
    start: date | None = Field(None, description="First day (YYYY-MM-DD); default: 12 months ago.")
    end: date | None = Field(None, description="Last day included; default: today.")


class BucketOut(Schema):
    key: str | None
    label: str
    count: int


class ChurnOut(Schema):
    account_id: int
    account_name: str
    overdue_complaints: int


class DashboardOut(Schema):
    start: date
    end: date
    total: int
    by_type: list[BucketOut]
    by_channel: list[BucketOut]
    by_department: list[BucketOut]
    response_compliance: Decimal | None = Field(..., description="% of decided complaints responded to by respond_by")
    resolution_compliance: Decimal | None = Field(..., description="% of decided complaints resolved by resolve_by")
    resolved: int
    mean_hours_to_resolve: Decimal | None = Field(..., description="Wall-clock hours")
    median_hours_to_resolve: Decimal | None = Field(..., description="Wall-clock hours")
    reopen_rate: Decimal | None
    gaps_by_dimension: list[GapOut]
    key_experience: list[KeyExperienceOut]
    churn_signals: list[ChurnOut]


@router.get("/dashboard", response={200: DashboardOut, **ERROR_RESPONSES})
def dashboard(request: HttpRequest, params: Query[PeriodParams]) -> Any:
    start, end = _period(request.user, params.start, params.end)
    d = dashboard_data.service_dashboard(request.user, start=start, end=end)
    buckets = {name: [BucketOut(key=_key(b.key), label=b.label, count=b.count) for b in getattr(d, name)]
               for name in ("by_type", "by_channel", "by_department")}
    return {
        **{k: v for k, v in vars(d).items() if k not in buckets and k not in ("gaps_by_dimension", "key_experience", "churn_signals")},
        **buckets,
        "gaps_by_dimension": [GapOut(key=_key(k), **vars(v)) for k, v in d.gaps_by_dimension.items()],
        "key_experience": [KeyExperienceOut(**vars(k), fix_first=i == 0 and k.score > 0) for i, k in enumerate(d.key_experience)],
        "churn_signals": [vars(c) for c in d.churn_signals],
    }
