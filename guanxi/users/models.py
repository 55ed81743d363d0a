"""The organisation: users, a department tree, teams, roles with data scopes, shares, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel


class Department(TimeStampedModel):
    """A node of the department tree. ``path`` ("/1/4/9/") makes "this department and below" one
    indexed prefix filter instead of a recursive query."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent department"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            old = self.path
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)
            if old:
                # Moving a department moves its whole subtree.
                for child in type(self).objects.filter(path__startswith=old).exclude(pk=self.pk):
                    type(self).objects.filter(pk=child.pk).update(path=path + child.path[len(old) :])

    def subtree_ids(self) -> models.QuerySet[Department]:
        return Department.objects.filter(path__startswith=self.path).values_list("pk", flat=True)  # type: ignore[return-value]


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Scope(models.TextChoices):
    NONE = "none", _("Nothing")
    OWN = "own", _("Own records")
    SUBORDINATES = "subordinates", _("Own and subordinates' records")
    DEPARTMENT = "department", _("Own department")
    DEPARTMENT_TREE = "department_tree", _("Department and its sub-departments")
    ALL = "all", _("Everything")


class RoleCode(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales rep")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETING = "marketing", _("Marketing")
    READ_ONLY = "read_only", _("Read-only")


class Role(TimeStampedModel):
    code = models.CharField(_("code"), max_length=40, unique=True, choices=RoleCode.choices)
    name = models.CharField(_("name"), max_length=100)
    is_admin = models.BooleanField(_("administrator"), default=False, help_text=_("Sees and manages everything."))
    default_read_scope = models.CharField(_("default read scope"), max_length=20, choices=Scope.choices, default=Scope.OWN)
    default_write_scope = models.CharField(_("default write scope"), max_length=20, choices=Scope.choices, default=Scope.OWN)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class RoleScope(models.Model):
    """Data scope of a role for one object type, e.g. sales_rep × customers.account → own."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="scopes")
    object_type = models.CharField(_("object type"), max_length=100, help_text=_("app_label.model, e.g. customers.account"))
    read_scope = models.CharField(_("read scope"), max_length=20, choices=Scope.choices)
    write_scope = models.CharField(_("write scope"), max_length=20, choices=Scope.choices)

    class Meta:
        verbose_name = _("data scope")
        verbose_name_plural = _("data scopes")
        constraints = [models.UniqueConstraint(fields=["role", "object_type"], name="uniq_role_object_type")]


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="members")
    role = models.ForeignKey(Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    timezone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return bool(self.is_superuser or (self.role_id and self.role and self.role.is_admin))


class Share(TimeStampedModel):
    """A record shared with a user or a team, read-only or editable."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="shares")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="shares")
    can_edit = models.BooleanField(_("can edit"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False)),
                name="share_user_xor_team",
            )
        ]


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(TimeStampedModel):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "gx_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12, editable=False, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=20, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class LoginFailure(models.Model):
    """One failed login, kept for the throttling window (then purged)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)


class Notification(models.Model):
    """A message to one user (in-app, and by email when their preference says so). ``kind`` is a
    code such as ``sales.activity_reminder``; ``key`` makes a notification idempotent per user
    (a reminder is sent once however often the job runs). Visible to its recipient alone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, max_length=5000)
    url = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(max_length=200, null=True, blank=True, editable=False)
    in_app = models.BooleanField(default=True, editable=False, help_text="False: sent by email only (kept for idempotency).")
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=Q(key__isnull=False), name="uniq_notification_key"),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="users_notif_list"),
            models.Index(fields=["user", "id"], name="users_notif_unread", condition=Q(read_at__isnull=True, in_app=True)),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Per user and kind: show in the app, send by email. No row: the kind's defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=60)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by email"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_preference")]
