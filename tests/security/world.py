"""Objects for the security tests, made through the real services: carol's accounts, contacts,
jobs, tokens..., plus a fingerprint of the database to prove that a refused request changed nothing."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client

from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account, Contact, CustomField, DuplicateCandidate, Order, SavedView
from guanxi.customers.pool import pool_release
from guanxi.customers.services import account_create, account_delete
from guanxi.dataio.models import ImportUpload, Job, JobState, MappingTemplate
from guanxi.users.models import ApiToken, Share, TokenScope, User
from guanxi.users.personas import Org
from guanxi.users.services import token_create

_counter = itertools.count(1)


class World:
    """Factories for objects owned by ``carol`` (unless told otherwise). Every call makes a new
    object, so a persona that deletes or transfers one does not disturb the next persona's check."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.users: dict[str, User] = org.users
        self._keys: dict[str, str] = {}

    def user(self, name: str) -> User:
        return self.users[name]

    # --- records with data scopes ------------------------------------------------------------
    def account(self, owner: str = "carol", **data: Any) -> Account:
        n = next(_counter)
        data.setdefault("name", f"矩阵测试客户{n}号 Matrix {n}")
        return account_create(actor=self.users[owner], data=data)

    def deleted_account(self, owner: str = "carol") -> Account:
        account = self.account(owner)
        return account_delete(actor=self.users[owner], account=account)

    def pool_account(self) -> Account:
        account = self.account("carol")
        return pool_release(actor=self.users["carol"], account=account)

    def contact(self, owner: str = "carol") -> Contact:
        n = next(_counter)
        return contact_create(actor=self.users[owner], data={"name": f"联系人{n}"}, account_ids=[self.account(owner).pk])

    def order(self, owner: str = "carol") -> Order:
        from guanxi.customers.orders import order_create

        return order_create(actor=self.users[owner], account=self.account(owner),
                            data={"order_date": date(2026, 3, 1), "amount": Decimal("1280.00")})

    def duplicate(self, owner: str = "carol") -> DuplicateCandidate:
        return DuplicateCandidate.objects.create(first=self.account(owner), second=self.account(owner), reasons=["name"], score=90)

    # --- personal objects (owner only) ---------------------------------------------------------
    def job(self, owner: str = "carol") -> Job:
        return Job.objects.create(owner=self.users[owner], kind="demo.count", params={})

    def token(self, owner: str = "carol") -> ApiToken:
        token, _key = token_create(actor=self.users[owner], name=f"token {next(_counter)}", scope=TokenScope.READ, expires_at=None)
        return token

    def saved_view(self, owner: str = "carol") -> SavedView:
        return SavedView.objects.create(owner=self.users[owner], object_type="account", name=f"view {next(_counter)}", params={})

    def upload(self, owner: str = "carol") -> ImportUpload:
        from guanxi.dataio.importing import upload_create

        return upload_create(actor=self.users[owner], object_type="account", filename="客户.csv",
                             data=f"名称\n导入测试{next(_counter)}有限公司\n".encode())

    def mapping_template(self, owner: str = "carol") -> MappingTemplate:
        return MappingTemplate.objects.create(owner=self.users[owner], object_type="account", name=f"模板{next(_counter)}",
                                              mapping={"名称": "name"})

    def finished_job(self, kind: str, result_key: str, owner: str = "carol") -> Job:
        """A finished import (failed rows) or export job with its result file in private storage."""
        stored = default_storage.save(f"dataio/results/{uuid.uuid4().hex}.csv", ContentFile("名称\n甲\n".encode()))
        return Job.objects.create(owner=self.users[owner], kind=kind, state=JobState.SUCCEEDED, progress=100,
                                  result={result_key: stored, "filename": "结果.csv"})

    def share(self, owner: str = "carol") -> tuple[Account, Share]:
        from guanxi.audit.sharing import share_create

        account = self.account(owner)
        return account, share_create(actor=self.users[owner], obj=account, user=self.users["frank"], can_edit=False)

    # --- administrator-managed objects -----------------------------------------------------------
    def custom_field(self) -> CustomField:
        return CustomField.objects.create(object_type="account", key=f"field_{next(_counter)}", label="字段", field_type="text")

    # --- clients ----------------------------------------------------------------------------------
    def api_key(self, persona: str) -> str:
        """A read_write API token of ``persona`` (one per persona and test)."""
        if persona not in self._keys:
            _token, key = token_create(actor=self.users[persona], name="security tests", scope=TokenScope.READ_WRITE, expires_at=None)
            self._keys[persona] = key
        return self._keys[persona]

    def api_client(self, persona: str | None) -> Client:
        if persona is None:
            return Client()
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.api_key(persona)}")

    def web_client(self, persona: str | None) -> Client:
        client = Client()
        if persona is not None:
            client.force_login(self.users[persona])
        return client


# Columns that change when a request is merely authenticated, not when data changes.
_VOLATILE = {("users", "apitoken"): {"last_used_at"}, ("users", "user"): {"last_login"}}


def _guanxi_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models(include_auto_created=True) if m.__module__.startswith("guanxi.")),
        key=lambda m: m._meta.label_lower,
    )


def db_fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row of every Guanxi table (soft-deleted rows included)."""
    result: dict[str, tuple[int, str]] = {}
    for model in _guanxi_models():
        skip = _VOLATILE.get((model._meta.app_label, model._meta.model_name or ""), set())
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skip and f.attname not in skip]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        digest = hashlib.sha256(json.dumps(rows, default=str, ensure_ascii=False).encode()).hexdigest()
        result[model._meta.label_lower] = (len(rows), digest)
    return result


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
