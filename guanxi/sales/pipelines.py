"""Configurable pipelines and their stages (DOMAIN §2; default stages 初步接触 → 需求确认 → 方案报价 →
商务谈判 → 赢单 / 输单 with a loss reason). Everyone reads; administrators write."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.sales.catalogue import require_admin
from guanxi.sales.models import LossReason, Opportunity, Pipeline, Stage, StageKind
from guanxi.users.models import User

PIPELINE_WRITABLE = ("name_zh", "name_en", "is_default", "active", "position")
STAGE_WRITABLE = ("name_zh", "name_en", "code", "kind", "probability")
LOSS_REASON_WRITABLE = ("name_zh", "name_en", "active", "position")
_CODE = re.compile(r"^[a-z0-9_-]{1,30}$")


def _clean_names(data: dict[str, Any], allowed: tuple[str, ...], *, creating: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in ("name_zh", "name_en"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()[:100]
        if (key in cleaned or creating) and not cleaned.get(key):
            errors[key] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def pipelines_for_everyone() -> Any:
    return Pipeline.objects.filter(active=True).prefetch_related("stages")


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.filter(active=True).first()


@transaction.atomic
def pipeline_create(*, actor: User, data: dict[str, Any], with_default_stages: bool = True) -> Pipeline:
    """A new pipeline; by default it starts with a won and a lost stage (every pipeline needs both
    for ``opportunity_win`` / ``opportunity_lose``) and one open stage."""
    require_admin(actor)
    cleaned = _clean_names(data, PIPELINE_WRITABLE, creating=True)
    if cleaned.get("is_default"):
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(**cleaned)
    if with_default_stages:
        Stage.objects.bulk_create([
            Stage(pipeline=pipeline, code="open", name_zh="初步接触", name_en="Initial contact", position=0, probability=10),
            Stage(pipeline=pipeline, code="won", name_zh="赢单", name_en="Won", position=1, probability=100, kind=StageKind.WON),
            Stage(pipeline=pipeline, code="lost", name_zh="输单", name_en="Lost", position=2, probability=0, kind=StageKind.LOST),
        ])
    audit_record(actor=actor, obj=pipeline, action=Action.CREATE)
    return pipeline


@transaction.atomic
def pipeline_update(*, actor: User, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    require_admin(actor)
    cleaned = _clean_names(data, PIPELINE_WRITABLE, creating=False)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if cleaned.get("is_default"):
        Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
    if cleaned.get("active") is False and (cleaned.get("is_default") or (pipeline.is_default and "is_default" not in cleaned)):
        raise ValidationFailed({"active": [_("The default pipeline cannot be deactivated; make another one the default first.")]})
    before = snapshot(pipeline)
    for key, value in cleaned.items():
        setattr(pipeline, key, value)
    pipeline.save()
    audit_record(actor=actor, obj=pipeline, action=Action.UPDATE, before=before)
    return pipeline


def _clean_stage(pipeline: Pipeline, data: dict[str, Any], *, current: Stage | None) -> dict[str, Any]:
    cleaned = _clean_names(data, STAGE_WRITABLE, creating=current is None)
    errors: dict[str, list[str]] = {}
    if "code" in cleaned:
        cleaned["code"] = str(cleaned["code"] or "").strip().lower()
        if not _CODE.match(cleaned["code"]):
            errors["code"] = [_("Use 1 to 30 lowercase letters, digits, - or _.")]
        elif Stage.objects.filter(pipeline=pipeline, code=cleaned["code"]).exclude(pk=current.pk if current else 0).exists():
            errors["code"] = [_("Another stage of this pipeline has this code.")]
    elif current is None:
        errors["code"] = [_("This field is required.")]
    if "kind" in cleaned and cleaned["kind"] not in StageKind.values:
        errors["kind"] = [_("Unknown stage kind.")]
    if "probability" in cleaned:
        p = cleaned["probability"]
        if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p <= 100:
            errors["probability"] = [_("Enter a probability from 0 to 100.")]
    if current is not None and "kind" in cleaned and cleaned["kind"] != current.kind and current.opportunities.exists():
        errors["kind"] = [_("Opportunities are in this stage; its kind can no longer change.")]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def stage_create(*, actor: User, pipeline: Pipeline, data: dict[str, Any], position: int | None = None) -> Stage:
    """Add a stage at ``position`` (0 = first; default: after the last open stage)."""
    require_admin(actor)
    cleaned = _clean_stage(pipeline, data, current=None)
    stages = list(Stage.objects.select_for_update().filter(pipeline=pipeline).order_by("position"))
    if position is None:
        opens = [i for i, s in enumerate(stages) if s.kind == StageKind.OPEN]
        position = (opens[-1] + 1) if opens else 0
    position = max(0, min(position, len(stages)))
    stage = Stage(pipeline=pipeline, position=len(stages) + 1000, **cleaned)
    stage.save()
    stages.insert(position, stage)
    _renumber(stages)
    audit_record(actor=actor, obj=stage, action=Action.CREATE)
    return stage


@transaction.atomic
def stage_update(*, actor: User, stage: Stage, data: dict[str, Any]) -> Stage:
    require_admin(actor)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    cleaned = _clean_stage(stage.pipeline, data, current=stage)
    before = snapshot(stage)
    for key, value in cleaned.items():
        setattr(stage, key, value)
    stage.save()
    audit_record(actor=actor, obj=stage, action=Action.UPDATE, before=before)
    return stage


def _renumber(stages: list[Stage]) -> None:
    """Positions are unique per pipeline: park them out of the way, then write the new order."""
    if not stages:
        return
    offset = (Stage.objects.filter(pipeline_id=stages[0].pipeline_id).aggregate(m=Max("position"))["m"] or 0) + 1
    for i, stage in enumerate(stages):
        Stage.objects.filter(pk=stage.pk).update(position=offset + i)
    for i, stage in enumerate(stages):
        Stage.objects.filter(pk=stage.pk).update(position=i)
        stage.position = i


@transaction.atomic
def stages_reorder(*, actor: User, pipeline: Pipeline, stage_ids: list[int]) -> list[Stage]:
    """Put the pipeline's stages in the order of ``stage_ids`` (every stage exactly once)."""
    require_admin(actor)
    stages = {s.pk: s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
    if sorted(stage_ids) != sorted(stages) or len(set(stage_ids)) != len(stage_ids):
        raise ValidationFailed({"stage_ids": [_("List every stage of this pipeline exactly once.")]})
    ordered = [stages[i] for i in stage_ids]
    before = [s.pk for s in sorted(stages.values(), key=lambda s: s.position)]
    _renumber(ordered)
    audit_record(actor=actor, obj=pipeline, action=Action.UPDATE, changes={"stages": [before, stage_ids]})
    return ordered


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage) -> None:
    """Refused while any opportunity (even one in the trash) or stage history refers to the stage,
    and for the last won or lost stage of the pipeline."""
    require_admin(actor)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if Opportunity.all_objects.filter(stage=stage).exists():
        raise Conflict(_("Opportunities are in this stage; move them to another stage first."), code="stage.in_use")
    if stage.kind != StageKind.OPEN and not Stage.objects.filter(pipeline_id=stage.pipeline_id, kind=stage.kind).exclude(pk=stage.pk).exists():
        raise Conflict(_("A pipeline needs a won and a lost stage."), code="stage.last_of_kind")
    from guanxi.sales.models import StageChange

    if StageChange.objects.filter(from_stage=stage).exists() or StageChange.objects.filter(to_stage=stage).exists():
        raise Conflict(_("The stage history of opportunities refers to this stage; rename it instead."), code="stage.in_use")
    pipeline = stage.pipeline
    audit_record(actor=actor, obj=stage, action=Action.DELETE, changes={})
    stage.delete()
    _renumber(list(Stage.objects.filter(pipeline=pipeline).order_by("position")))


@transaction.atomic
def loss_reason_create(*, actor: User, data: dict[str, Any]) -> LossReason:
    require_admin(actor)
    cleaned = _clean_names(data, LOSS_REASON_WRITABLE, creating=True)
    reason = LossReason.objects.create(**cleaned)
    audit_record(actor=actor, obj=reason, action=Action.CREATE)
    return reason


@transaction.atomic
def loss_reason_update(*, actor: User, reason: LossReason, data: dict[str, Any]) -> LossReason:
    require_admin(actor)
    cleaned = _clean_names(data, LOSS_REASON_WRITABLE, creating=False)
    before = snapshot(reason)
    for key, value in cleaned.items():
        setattr(reason, key, value)
    reason.save()
    audit_record(actor=actor, obj=reason, action=Action.UPDATE, before=before)
    return reason
