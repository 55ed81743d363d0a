"""Sales API: activities, SPIN call plans, call quality, targets, forecasts, calendar feeds (/api/v1/sales/).

Thin: parse, call a service or selector, return. Conventions as in ``customers/orders_api.py``:
schemas forbid unknown fields, problem+json errors, ``version`` for optimistic locking, 404 for
what the caller may not see, 403 for what they may see but not change, cursor pages.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.sales import activities as activity_services
from guanxi.sales import feeds, forecast, quality, spin, targets
from guanxi.sales.models import (
    Activity,
    ActivityKind,
    CallOutcome,
    CallPlan,
    SpinKind,
    SpinQuestion,
    TargetMeasure,
    TargetPeriod,
    TargetScope,
)
from guanxi.users.models import Team, User
from guanxi.users.visibility import visible_to

router = Router(tags=["sales"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Text10k = Annotated[str, StringConstraints(max_length=10000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]
MAX_RANGE_DAYS = 366


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound()
    return team


def _user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def _days(**days: date | None) -> None:
    """Dates far outside business use would overflow the period arithmetic: refuse them (422)."""
    bad = {name: [_("Enter a date between 1970 and 2999.")] for name, day in days.items()
           if day is not None and not 1970 <= day.year <= 2999}
    if bad:
        raise ValidationFailed(bad)


def _range(start: date, end: date) -> None:
    _days(start=start, end=end)
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed({"end": [_("The end must be on or after the start, at most %(n)d days later.") % {"n": MAX_RANGE_DAYS}]})


# --- activities --------------------------------------------------------------------------------------

class ActivityWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: ActivityKind | None = None
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: Text10k | None = None
    due_at: datetime | None = None
    duration_minutes: Annotated[int, Field(ge=0, le=activity_services.MAX_DURATION_MINUTES)] | None = None
    remind_minutes_before: Annotated[int, Field(ge=0, le=activity_services.MAX_REMIND_MINUTES)] | None = None
    result: Text10k | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    opportunity_id: Id | None = None


class ActivityCreate(ActivityWrite):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]  # type: ignore[assignment]


class ActivityUpdate(ActivityWrite):
    version: StrictInt = Field(..., ge=1, description="The version you read; a stale version is refused with 409.")


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(..., ge=1)


class CompleteIn(VersionIn):
    result: Text10k | None = None


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    description: str
    due_at: datetime | None
    duration_minutes: int
    remind_minutes_before: int | None
    remind_at: datetime | None
    reminded_at: datetime | None
    done_at: datetime | None
    result: str
    account_id: int | None
    contact_id: int | None
    opportunity_id: int | None
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class ActivityListParams(Schema):
    owner_id: Id | None = None
    account_id: Id | None = None
    opportunity_id: Id | None = None
    open: bool | None = Field(None, description="true: not done; false: done.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/activities", response={200: CursorPage[ActivityOut], **ERROR_RESPONSES})
def list_activities(request: HttpRequest, params: Query[ActivityListParams]) -> Any:
    qs = visible_to(request.user, Activity.objects.all())
    for name in ("owner_id", "account_id", "opportunity_id"):
        if getattr(params, name) is not None:
            qs = qs.filter(**{name: getattr(params, name)})
    if params.open is not None:
        qs = qs.filter(done_at__isnull=params.open)
    page = keyset_page(qs, order=("-id",), after=params.after, limit=params.limit)
    return CursorPage[ActivityOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/activities", response={201: ActivityOut, **ERROR_RESPONSES})
def create_activity(request: HttpRequest, payload: ActivityCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    return Status(201, activity_services.activity_create(actor=request.user, data=data))  # type: ignore[arg-type]


@router.get("/activities/{int:activity_id}", response={200: ActivityOut, **ERROR_RESPONSES})
def get_activity(request: HttpRequest, activity_id: int) -> Any:
    return lifecycle.get_visible(request.user, Activity, activity_id)


@router.patch("/activities/{int:activity_id}", response={200: ActivityOut, **ERROR_RESPONSES})
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityUpdate) -> Any:
    activity = lifecycle.get_visible(request.user, Activity, activity_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return activity_services.activity_update(actor=request.user, activity=activity, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/activities/{int:activity_id}", response={204: None, **ERROR_RESPONSES})
def delete_activity(request: HttpRequest, activity_id: int, version: int | None = Query(None, ge=1)) -> Any:  # type: ignore[type-arg]
    activity = lifecycle.get_visible(request.user, Activity, activity_id)
    activity_services.activity_delete(actor=request.user, activity=activity, version=version)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/activities/{int:activity_id}/complete", response={200: ActivityOut, **ERROR_RESPONSES})
def complete_activity(request: HttpRequest, activity_id: int, payload: CompleteIn) -> Any:
    activity = lifecycle.get_visible(request.user, Activity, activity_id)
    return activity_services.activity_complete(actor=request.user, activity=activity, version=payload.version,  # type: ignore[arg-type]
                                               result=payload.result)


@router.post("/activities/{int:activity_id}/reopen", response={200: ActivityOut, **ERROR_RESPONSES})
def reopen_activity(request: HttpRequest, activity_id: int, payload: VersionIn) -> Any:
    activity = lifecycle.get_visible(request.user, Activity, activity_id)
    return activity_services.activity_reopen(actor=request.user, activity=activity, version=payload.version)  # type: ignore[arg-type]


class MyDayOut(Schema):
    day: date
    overdue: list[ActivityOut]  # the latest OVERDUE_SHOWN overdue items, oldest first
    today: list[ActivityOut]
    overdue_total: int  # all overdue items, shown or not


@router.get("/my-day", response={200: MyDayOut, **ERROR_RESPONSES})
def my_day(request: HttpRequest, day: date | None = None) -> Any:
    _days(day=day)
    return activity_services.my_day(request.user, today=day)  # type: ignore[arg-type]


class CalendarParams(Schema):
    start: date
    end: date = Field(..., description="Inclusive; at most 366 days after start.")
    owner_id: Id | None = None


@router.get("/calendar", response={200: list[ActivityOut], **ERROR_RESPONSES})
def calendar(request: HttpRequest, params: Query[CalendarParams]) -> Any:
    _range(params.start, params.end)
    zone = activity_services.user_zone(request.user)
    since, _end = activity_services.day_bounds(params.start, zone)
    until, _end = activity_services.day_bounds(params.end + timedelta(days=1), zone)
    return list(activity_services.calendar_range(request.user, since, until, owner_id=params.owner_id)[:2000])  # type: ignore[arg-type]


class FeedOut(Schema):
    url: str
    token: str


@router.post("/calendar-feed", response={201: FeedOut, **ERROR_RESPONSES})
def create_calendar_feed(request: HttpRequest) -> Any:
    """Create or rotate your iCalendar feed; the URL is shown only now."""
    token = feeds.feed_create(actor=request.user)  # type: ignore[arg-type]
    return Status(201, {"url": request.build_absolute_uri(reverse("calendar:feed", args=[token])), "token": token})


@router.delete("/calendar-feed", response={204: None, **ERROR_RESPONSES})
def revoke_calendar_feed(request: HttpRequest) -> Any:
    feeds.feed_revoke(actor=request.user)  # type: ignore[arg-type]
    return Status(204, None)


# --- SPIN question library ------------------------------------------------------------------------

class QuestionOut(Schema):
    id: int
    kind: str
    text: str
    industry: str
    active: bool


class QuestionCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: SpinKind
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    industry: Annotated[str, StringConstraints(max_length=100)] = ""


class QuestionUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: SpinKind | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    industry: Annotated[str, StringConstraints(max_length=100)] | None = None
    active: StrictBool | None = None


@router.get("/spin-questions", response={200: list[QuestionOut], **ERROR_RESPONSES})
def list_questions(request: HttpRequest, industry: str | None = Query(None, max_length=100),  # type: ignore[type-arg]
                   include_inactive: bool = False) -> Any:
    if industry is not None and "\x00" in industry:
        raise ValidationFailed({"industry": [_("Unknown industry.")]})
    return list(spin.question_library(request.user, industry, include_inactive=include_inactive)[:1000])  # type: ignore[arg-type]


@router.post("/spin-questions", response={201: QuestionOut, **ERROR_RESPONSES})
def create_question(request: HttpRequest, payload: QuestionCreate) -> Any:
    return Status(201, spin.question_create(actor=request.user, **payload.model_dump()))  # type: ignore[arg-type]


def _question(question_id: int) -> SpinQuestion:
    question = SpinQuestion.objects.filter(pk=question_id).first()
    if question is None:
        raise NotFound()
    return question


@router.patch("/spin-questions/{int:question_id}", response={200: QuestionOut, **ERROR_RESPONSES})
def update_question(request: HttpRequest, question_id: int, payload: QuestionUpdate) -> Any:
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return spin.question_update(actor=request.user, question=_question(question_id), data=data)  # type: ignore[arg-type]


@router.delete("/spin-questions/{int:question_id}", response={204: None, **ERROR_RESPONSES})
def deactivate_question(request: HttpRequest, question_id: int) -> Any:
    """Questions are deactivated, not deleted: plans keep their copy."""
    spin.question_deactivate(actor=request.user, question=_question(question_id))  # type: ignore[arg-type]
    return Status(204, None)


# --- call plans --------------------------------------------------------------------------------------

class PlannedQuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    library_question_id: Id | None = None
    kind: SpinKind | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None


class ExtraQuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: SpinKind
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CallPlanCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    activity_id: Id
    objective: Annotated[str, StringConstraints(max_length=300)] = ""
    questions: list[PlannedQuestionIn] = Field(default_factory=list, max_length=spin.MAX_QUESTIONS)


class CallPlanUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(..., ge=1)
    objective: Annotated[str, StringConstraints(max_length=300)] | None = None
    questions: list[PlannedQuestionIn] | None = Field(None, max_length=spin.MAX_QUESTIONS)


class NextStepIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: ActivityKind
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    due_at: datetime | None = None


NeedText = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CallLogIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt = Field(..., ge=1)
    asked_question_ids: list[Id] = Field(default_factory=list, max_length=spin.MAX_QUESTIONS)
    extra_asked: list[ExtraQuestionIn] = Field(default_factory=list, max_length=spin.MAX_QUESTIONS)
    hidden_needs: list[NeedText] = Field(default_factory=list, max_length=spin.MAX_NEEDS)
    explicit_needs: list[NeedText] = Field(default_factory=list, max_length=spin.MAX_NEEDS)
    outcome: CallOutcome
    next_step: NextStepIn | None = None


class CallQuestionOut(Schema):
    id: int
    library_question_id: int | None
    kind: str
    text: str
    position: int
    asked: bool


class CallNeedOut(Schema):
    id: int
    kind: str
    text: str


class CallPlanOut(Schema):
    id: int
    activity_id: int
    objective: str
    outcome: str
    logged_at: datetime | None
    next_step_id: int | None
    s_asked: int
    p_asked: int
    i_asked: int
    n_asked: int
    hidden_needs: int
    explicit_needs: int
    version: int
    questions: list[CallQuestionOut]
    needs: list[CallNeedOut]

    @staticmethod
    def resolve_questions(obj: CallPlan) -> list[Any]:
        return list(obj.questions.all())

    @staticmethod
    def resolve_needs(obj: CallPlan) -> list[Any]:
        return list(obj.needs.all())


def _questions_in(items: list[PlannedQuestionIn] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [i.model_dump(exclude_none=True) for i in items]


@router.post("/call-plans", response={201: CallPlanOut, **ERROR_RESPONSES})
def create_call_plan(request: HttpRequest, payload: CallPlanCreate) -> Any:
    activity = lifecycle.get_visible(request.user, Activity, payload.activity_id)
    plan = spin.call_plan_create(actor=request.user, activity=activity, objective=payload.objective,  # type: ignore[arg-type]
                                 questions=_questions_in(payload.questions))
    return Status(201, plan)


@router.get("/call-plans/{int:plan_id}", response={200: CallPlanOut, **ERROR_RESPONSES})
def get_call_plan(request: HttpRequest, plan_id: int) -> Any:
    return lifecycle.get_visible(request.user, CallPlan, plan_id)


@router.patch("/call-plans/{int:plan_id}", response={200: CallPlanOut, **ERROR_RESPONSES})
def update_call_plan(request: HttpRequest, plan_id: int, payload: CallPlanUpdate) -> Any:
    plan = lifecycle.get_visible(request.user, CallPlan, plan_id)
    return spin.call_plan_update(actor=request.user, plan=plan, version=payload.version, objective=payload.objective,  # type: ignore[arg-type]
                                 questions=_questions_in(payload.questions))


@router.post("/call-plans/{int:plan_id}/log", response={200: CallPlanOut, **ERROR_RESPONSES})
def log_call(request: HttpRequest, plan_id: int, payload: CallLogIn) -> Any:
    plan = lifecycle.get_visible(request.user, CallPlan, plan_id)
    data = payload.model_dump()
    return spin.call_log(actor=request.user, plan=plan, **data)  # type: ignore[arg-type]


# --- call quality ------------------------------------------------------------------------------------

class QualityOut(Schema):
    calls: int
    logged_calls: int
    s: int
    p: int
    i: int
    n: int
    explicit_needs: int
    hidden_needs: int
    p_to_s_ratio: Decimal | None
    n_per_call: Decimal | None
    n_vs_team_average: Decimal | None
    advance_rate: Decimal | None
    explicit_needs_per_call: Decimal | None
    hidden_to_explicit: Decimal | None


class RepQualityOut(Schema):
    user_id: int
    name: str
    team_id: int | None
    quality: QualityOut


class TeamQualityOut(Schema):
    team_id: int
    name: str
    quality: QualityOut


class QualityReportOut(Schema):
    start: date
    end: date
    overall: QualityOut
    reps: list[RepQualityOut]
    teams: list[TeamQualityOut]


class MonthQualityOut(Schema):
    month: date
    quality: QualityOut


class QualityParams(Schema):
    start: date
    end: date
    team_id: Id | None = None
    user_id: Id | None = None


@router.get("/call-quality", response={200: QualityReportOut, **ERROR_RESPONSES})
def call_quality(request: HttpRequest, params: Query[QualityParams]) -> Any:
    _range(params.start, params.end)
    return quality.quality_report(request.user, start=params.start, end=params.end,  # type: ignore[arg-type]
                                  team_id=params.team_id, user_id=params.user_id)


@router.get("/call-quality/trend", response={200: list[MonthQualityOut], **ERROR_RESPONSES})
def call_quality_trend(request: HttpRequest, params: Query[QualityParams]) -> Any:
    _days(start=params.start, end=params.end)
    if params.end < params.start or (params.end - params.start).days > 3 * MAX_RANGE_DAYS:
        raise ValidationFailed({"end": [_("The end must be on or after the start, at most three years later.")]})
    rows = quality.quality_trend(request.user, start=params.start, end=params.end,  # type: ignore[arg-type]
                                 team_id=params.team_id, user_id=params.user_id)
    return [{"month": month, "quality": q} for month, q in rows]


# --- targets -----------------------------------------------------------------------------------------

class TargetOut(Schema):
    id: int
    scope: str
    team_id: int | None
    user_id: int | None
    period: str
    period_start: date
    measure: str
    value: Decimal
    currency: str
    version: int


class TargetSet(Schema):
    model_config = ConfigDict(extra="forbid")
    scope: TargetScope
    team_id: Id | None = None
    user_id: Id | None = None
    period: TargetPeriod
    period_start: date = Field(..., description="Any day of the period; stored as its first day.")
    measure: TargetMeasure = TargetMeasure.AMOUNT
    value: Money
    version: StrictInt | None = Field(None, ge=1, description="When changing an existing target: the version you read.")


class TargetListParams(Schema):
    period: TargetPeriod | None = None
    period_start: date | None = None
    measure: TargetMeasure | None = None
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class LayeringOut(Schema):
    parent: Decimal
    children_total: Decimal
    difference: Decimal
    ok: bool


class TargetRowOut(Schema):
    target: TargetOut
    subject: str
    actual: Decimal
    attainment: Decimal | None
    layering: LayeringOut | None
    under_allocated: bool


class OverviewParams(Schema):
    period: TargetPeriod
    period_start: date
    measure: TargetMeasure = TargetMeasure.AMOUNT


@router.get("/targets", response={200: CursorPage[TargetOut], **ERROR_RESPONSES})
def list_targets(request: HttpRequest, params: Query[TargetListParams]) -> Any:
    _days(period_start=params.period_start)
    qs = targets.visible_targets(request.user)
    if params.period is not None:
        qs = qs.filter(period=params.period)
        if params.period_start is not None:
            qs = qs.filter(period_start=targets.period_start_of(params.period, params.period_start))
    if params.measure is not None:
        qs = qs.filter(measure=params.measure)
    page = keyset_page(qs, order=("-id",), after=params.after, limit=params.limit)
    return CursorPage[TargetOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.put("/targets", response={200: TargetOut, **ERROR_RESPONSES})
def set_target(request: HttpRequest, payload: TargetSet) -> Any:
    """Create or change a target (one per subject, period and measure)."""
    _days(period_start=payload.period_start)
    team = _team(payload.team_id)
    user = _user(payload.user_id)
    return targets.target_set(actor=request.user, scope=payload.scope, team=team, user=user, period=payload.period,  # type: ignore[arg-type]
                              period_start=payload.period_start, measure=payload.measure, value=payload.value,
                              version=payload.version)


@router.get("/targets/overview", response={200: list[TargetRowOut], **ERROR_RESPONSES})
def target_overview(request: HttpRequest, params: Query[OverviewParams]) -> Any:
    _days(period_start=params.period_start)
    return targets.target_overview(request.user, period=params.period, period_start=params.period_start,  # type: ignore[arg-type]
                                   measure=params.measure)


@router.delete("/targets/{int:target_id}", response={204: None, **ERROR_RESPONSES})
def delete_target(request: HttpRequest, target_id: int, version: int | None = Query(None, ge=1)) -> Any:  # type: ignore[type-arg]
    target = targets.get_target(request.user, target_id)  # type: ignore[arg-type]
    targets.target_delete(actor=request.user, target=target, version=version)  # type: ignore[arg-type]
    return Status(204, None)


# --- forecast ----------------------------------------------------------------------------------------

class ForecastRowOut(Schema):
    month: date
    weighted: Decimal
    best_case: Decimal
    actual: Decimal
    target: Decimal | None
    gap_to_target: Decimal | None
    attainment: Decimal | None


class ForecastParams(Schema):
    start: date | None = Field(None, description="Any day of the first month (default: this month).")
    months: int = Field(6, ge=1, le=36)
    team_id: Id | None = None
    user_id: Id | None = None


class DealOut(Schema):
    id: int
    name: str
    account_id: int
    owner_id: int | None
    stage_id: int
    amount: Decimal
    currency: str
    probability: int
    expected_close: date | None
    weighted: Decimal

    @staticmethod
    def resolve_probability(obj: Any) -> int:
        return int(obj.probability if obj.probability is not None else obj.stage.probability)

    @staticmethod
    def resolve_weighted(obj: Any) -> Decimal:
        return (Decimal(obj.weighted_x100) / 100).quantize(Decimal("0.01"))


class DealParams(Schema):
    month: date | None = Field(None, description="Any day of the month; default: this month.")
    first_month: date | None = Field(None, description="The table's first month: its drill-down also lists overdue deals.")
    team_id: Id | None = None
    user_id: Id | None = None
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=1000, description="The next_cursor of the previous page.")


class AccuracyParams(Schema):
    months: int = Field(6, ge=1, le=36)
    team_id: Id | None = None
    user_id: Id | None = None


class AccuracyOut(Schema):
    month: date
    forecast: Decimal | None
    actual: Decimal
    accuracy: Decimal | None


@router.get("/forecast", response={200: list[ForecastRowOut], **ERROR_RESPONSES})
def forecast_table(request: HttpRequest, params: Query[ForecastParams]) -> Any:
    _days(start=params.start)
    return forecast.forecast_for(request.user, team=_team(params.team_id), user=_user(params.user_id),  # type: ignore[arg-type]
                                 months=params.months, start=params.start)


@router.get("/forecast/deals", response={200: CursorPage[DealOut], **ERROR_RESPONSES})
def forecast_deals(request: HttpRequest, params: Query[DealParams]) -> Any:
    month = params.month or timezone.localdate().replace(day=1)
    _days(month=month, first_month=params.first_month)
    qs = forecast.forecast_deals(request.user, month, team=_team(params.team_id), user=_user(params.user_id),  # type: ignore[arg-type]
                                 first_month=params.first_month)
    page = keyset_page(qs, order=("-weighted_x100", "-id"), after=params.after, limit=params.limit)
    return CursorPage[DealOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.get("/forecast/accuracy", response={200: list[AccuracyOut], **ERROR_RESPONSES})
def forecast_accuracy(request: HttpRequest, params: Query[AccuracyParams]) -> Any:
    return forecast.forecast_accuracy(request.user, months=params.months, team=_team(params.team_id),  # type: ignore[arg-type]
                                      user=_user(params.user_id))

