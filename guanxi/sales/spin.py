"""SPIN call planning (DOMAIN §2): the question library, call plans and call logging.

* The library holds questions per industry tagged S (背景), P (难点), I (影响), N (解决). Sales
  managers and administrators curate it; everyone else reads it (``question_library``).
* Before a call or visit (an activity of kind call / visit) the rep writes a plan: an objective and
  questions picked from the library or written freely. The plan may change until the call is logged.
* After the call the rep logs which questions were asked (plus any asked off-plan), the hidden
  (隐藏性需求) and explicit (明确性需求) needs found, the outcome (order / advance / continuation /
  no sale) and the agreed next step, which becomes a new activity on the same account and
  opportunity. The counts kept on the plan feed the call-quality metrics (``quality.py``).

A call plan is visible and editable exactly when its activity is (``register_delegate``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.sales.activities import activity_complete, activity_create
from guanxi.sales.models import (
    Activity,
    ActivityKind,
    CallNeed,
    CallOutcome,
    CallPlan,
    CallQuestion,
    NeedKind,
    SpinKind,
    SpinQuestion,
)
from guanxi.sales.rollups import record_call
from guanxi.users.models import RoleCode, User
from guanxi.users.visibility import can_see, editable_by

SPIN_ORDER = Case(*(When(kind=k, then=Value(i)) for i, k in enumerate("SPIN")), output_field=IntegerField())
MAX_QUESTIONS = 50
MAX_NEEDS = 50
PLANNABLE_KINDS = (ActivityKind.CALL, ActivityKind.VISIT)


# --- the question library ----------------------------------------------------------------------------

def can_curate(actor: Any) -> bool:
    """Sales managers and administrators curate the library."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return bool(actor.is_admin or (actor.role_id and actor.role.code == RoleCode.SALES_MANAGER))


def _require_curator(actor: User) -> None:
    if not can_curate(actor):
        raise PermissionDenied(_("Only sales managers and administrators may change the question library."))


def question_library(actor: User, industry: str | None = None, *, include_inactive: bool = False) -> QuerySet[SpinQuestion]:
    """Questions for an industry (and those for every industry), ordered S, P, I, N.
    ``industry=None`` lists the whole library. Inactive questions only for curators who ask."""
    qs = SpinQuestion.objects.all()
    if industry is not None:
        qs = qs.filter(Q(industry=industry) | Q(industry=""))
    if not (include_inactive and can_curate(actor)):
        qs = qs.filter(active=True)
    return qs.annotate(spin_order=SPIN_ORDER).order_by("spin_order", "industry", "id")


def _clean_question(data: dict[str, Any]) -> dict[str, Any]:
    allowed = {"kind", "text", "industry", "active"}
    errors: dict[str, list[str]] = {name: [_("Unknown or read-only field.")] for name in sorted(set(data) - allowed)}
    cleaned = {k: v for k, v in data.items() if k in allowed}
    if "kind" in cleaned and cleaned["kind"] not in SpinKind.values:
        errors["kind"] = [_("Choose S, P, I or N.")]
    if "text" in cleaned:
        cleaned["text"] = str(cleaned["text"] or "").strip()
        if not cleaned["text"] or len(cleaned["text"]) > 500:
            errors["text"] = [_("Write the question (at most 500 characters).")]
    if "industry" in cleaned:
        cleaned["industry"] = str(cleaned["industry"] or "").strip()
        if len(cleaned["industry"]) > 100:
            errors["industry"] = [_("At most 100 characters.")]
    if "active" in cleaned and not isinstance(cleaned["active"], bool):
        errors["active"] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def question_create(*, actor: User, kind: str, text: str, industry: str = "") -> SpinQuestion:
    _require_curator(actor)
    cleaned = _clean_question({"kind": kind, "text": text, "industry": industry})
    question = SpinQuestion.objects.create(created_by=actor, **cleaned)
    audit_record(actor=actor, obj=question, action=Action.CREATE)
    return question


@transaction.atomic
def question_update(*, actor: User, question: SpinQuestion, data: dict[str, Any]) -> SpinQuestion:
    _require_curator(actor)
    cleaned = _clean_question(data)
    before = snapshot(question)
    for name, value in cleaned.items():
        setattr(question, name, value)
    question.save()
    audit_record(actor=actor, obj=question, action=Action.UPDATE, before=before)
    return question


def question_deactivate(*, actor: User, question: SpinQuestion) -> SpinQuestion:
    """Questions are never deleted (plans keep their own copy of the text); they stop being offered."""
    return question_update(actor=actor, question=question, data={"active": False})


# --- call plans --------------------------------------------------------------------------------------

def _require_editable(actor: User, activity: Activity) -> None:
    if not editable_by(actor, activity):
        raise PermissionDenied() if can_see(actor, activity) else NotFound()


def _plan_questions(questions: list[dict[str, Any]], *, field: str = "questions") -> list[CallQuestion]:
    """Library picks ({library_question_id}) and free questions ({kind, text}), in the given order."""
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise ValidationFailed({field: [_("At most %(n)d questions.") % {"n": MAX_QUESTIONS}]})
    library_ids = [q.get("library_question_id") for q in questions if isinstance(q, dict) and q.get("library_question_id") is not None]
    library = {q.pk: q for q in SpinQuestion.objects.filter(pk__in=[i for i in library_ids if isinstance(i, int)], active=True)}
    result: list[CallQuestion] = []
    errors: list[str] = []
    for position, item in enumerate(questions):
        if not isinstance(item, dict):
            errors.append(_("Question %(n)d: give a library question or a type and a text.") % {"n": position + 1})
            continue
        pick = item.get("library_question_id")
        if pick is not None:
            chosen = library.get(pick) if isinstance(pick, int) else None
            if chosen is None:
                errors.append(_("Question %(n)d: no such question in the library.") % {"n": position + 1})
                continue
            result.append(CallQuestion(library_question=chosen, kind=chosen.kind, text=chosen.text, position=position))
            continue
        kind, text = item.get("kind"), str(item.get("text") or "").strip()
        if kind not in SpinKind.values or not text or len(text) > 500:
            errors.append(_("Question %(n)d: give a library question or a type and a text.") % {"n": position + 1})
            continue
        result.append(CallQuestion(kind=kind, text=text, position=position))
    if errors:
        raise ValidationFailed({field: errors})
    return result


def _clean_objective(objective: Any) -> str:
    text = str(objective or "").strip()
    if len(text) > 300:
        raise ValidationFailed({"objective": [_("At most 300 characters.")]})
    return text


@transaction.atomic
def call_plan_create(*, actor: User, activity: Activity, objective: str = "", questions: list[dict[str, Any]] | None = None) -> CallPlan:
    """Plan a call or visit (one plan per activity)."""
    _require_editable(actor, activity)
    if activity.kind not in PLANNABLE_KINDS:
        raise ValidationFailed({"activity_id": [_("Only calls and visits have a SPIN call plan.")]})
    if CallPlan.objects.filter(activity_id=activity.pk).exists():
        raise Conflict(_("This activity already has a call plan."), code="spin.plan_exists")
    plan = CallPlan.objects.create(activity=activity, objective=_clean_objective(objective))
    rows = _plan_questions(questions or [])
    for row in rows:
        row.plan = plan
    CallQuestion.objects.bulk_create(rows)
    audit_record(actor=actor, obj=plan, action=Action.CREATE)
    return plan


def _lock_plan(plan: CallPlan, version: int | None) -> CallPlan:
    current = CallPlan.objects.select_for_update().get(pk=plan.pk)
    if version is not None and current.version != version:
        raise VersionConflict(current_version=current.version)
    return current


@transaction.atomic
def call_plan_update(*, actor: User, plan: CallPlan, version: int | None, objective: str | None = None,
                     questions: list[dict[str, Any]] | None = None) -> CallPlan:
    """Change the objective and/or replace the questions, until the call is logged."""
    _require_editable(actor, plan.activity)
    current = _lock_plan(plan, version)
    if current.logged_at is not None:
        raise Conflict(_("This call has been logged; its plan can no longer change."), code="spin.plan_logged")
    before = snapshot(current)
    if objective is not None:
        current.objective = _clean_objective(objective)
    if questions is not None:
        rows = _plan_questions(questions)
        current.questions.all().delete()
        for row in rows:
            row.plan = current
        CallQuestion.objects.bulk_create(rows)
    current.version += 1
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return current


def _texts(values: Any, field: str) -> list[str]:
    if not isinstance(values, list) or len(values) > MAX_NEEDS:
        raise ValidationFailed({field: [_("At most %(n)d entries.") % {"n": MAX_NEEDS}]})
    texts = [str(v or "").strip() for v in values]
    if any(not t or len(t) > 500 for t in texts):
        raise ValidationFailed({field: [_("Each entry needs a text of at most 500 characters.")]})
    return texts


@transaction.atomic
def call_log(
    *,
    actor: User,
    plan: CallPlan,
    asked_question_ids: list[int],
    extra_asked: list[dict[str, Any]] | None = None,
    hidden_needs: list[str] | None = None,
    explicit_needs: list[str] | None = None,
    outcome: str,
    next_step: dict[str, Any] | None = None,
    version: int | None,
) -> CallPlan:
    """Record what happened on the call (DOMAIN §2): questions asked, needs found, the outcome and
    the next step (a new activity). Marks the call's activity done. A call is logged once."""
    activity = plan.activity
    _require_editable(actor, activity)
    current = _lock_plan(plan, version)
    if current.logged_at is not None:
        raise Conflict(_("This call has already been logged."), code="spin.plan_logged")
    if outcome not in CallOutcome.values:
        raise ValidationFailed({"outcome": [_("Choose order, advance, continuation or no sale.")]})
    planned = {q.pk: q for q in current.questions.all()}
    asked_ids = set(asked_question_ids or [])
    if not asked_ids <= set(planned):
        raise ValidationFailed({"asked_question_ids": [_("Only questions of this plan can be marked as asked.")]})
    extra = _plan_questions(extra_asked or [], field="extra_asked")
    hidden = _texts(hidden_needs or [], "hidden_needs")
    explicit = _texts(explicit_needs or [], "explicit_needs")
    if next_step is not None and not isinstance(next_step, dict):
        raise ValidationFailed({"next_step": [_("Give the next step's kind, subject and due time.")]})

    before = snapshot(current)
    CallQuestion.objects.filter(plan=current, pk__in=asked_ids).update(asked=True)
    offset = len(planned)
    for index, row in enumerate(extra):
        row.plan, row.asked, row.position = current, True, offset + index
    CallQuestion.objects.bulk_create(extra)
    CallNeed.objects.bulk_create(
        [CallNeed(plan=current, kind=NeedKind.HIDDEN, text=t) for t in hidden]
        + [CallNeed(plan=current, kind=NeedKind.EXPLICIT, text=t) for t in explicit]
    )
    kinds = Counter([planned[i].kind for i in asked_ids] + [row.kind for row in extra])
    current.s_asked, current.p_asked, current.i_asked, current.n_asked = (kinds.get(k, 0) for k in "SPIN")
    current.hidden_needs, current.explicit_needs = len(hidden), len(explicit)
    current.outcome = outcome
    current.logged_at = timezone.now()
    if next_step is not None:
        step: dict[str, Any] = {k: next_step.get(k) for k in ("kind", "subject", "due_at") if k in next_step}
        step.update(account_id=activity.account_id, contact_id=activity.contact_id, opportunity_id=activity.opportunity_id)
        try:
            current.next_step = activity_create(actor=actor, data=step)
        except ValidationFailed as exc:
            raise ValidationFailed({f"next_step.{k}": v for k, v in exc.errors.items()}) from exc
    current.version += 1
    current.save()
    record_call(current, activity=activity)  # the call-quality rollup (quality.py reads it)
    if activity.done_at is None:
        activity_complete(actor=actor, activity=activity)
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return current
