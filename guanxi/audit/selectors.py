from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from guanxi.audit.models import AuditEntry


def history_for(obj: models.Model) -> QuerySet[AuditEntry]:
    """The history of one record. Callers must already have checked that the actor may see ``obj``."""
    ct = ContentType.objects.get_for_model(type(obj))
    return AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")


def history_for_ids(model: type[models.Model], ids: list[int]) -> QuerySet[AuditEntry]:
    """The joint history of several records of one type (e.g. an account and those merged into it)."""
    ct = ContentType.objects.get_for_model(model)
    return AuditEntry.objects.filter(content_type=ct, object_id__in=ids).select_related("actor")
