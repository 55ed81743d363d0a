"""The abstract base of every record that has an owner and so takes part in data scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel


class OwnedModel(TimeStampedModel, SoftDeleteModel, VersionedModel):
    """Owner, team and department decide who sees the record (``visible_to``).

    ``department`` is the owner's department when the record was assigned, so that moving a person
    does not silently move their history between departments.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "users.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    # Fields a generic update may never touch: ownership moves only through the audited transfer.
    PROTECTED_FIELDS = frozenset(
        {"id", "owner", "owner_id", "team", "team_id", "department", "department_id", "version", "created_at",
         "updated_at", "deleted_at", "deleted_by", "deleted_by_id", "created_by", "created_by_id"}
    )

    class Meta:
        abstract = True
