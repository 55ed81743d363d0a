from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from guanxi.audit.models import AuditEntry


def history_for(obj: models.Model) -> QuerySet[AuditEntry]:
    """The history of one record. Callers must already have checked that the actor may see ``obj``."""
    ct = ContentType.objects.get_for_model(type(obj))
    return AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")
