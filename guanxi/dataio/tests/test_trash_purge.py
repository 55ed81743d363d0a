"""The scheduled ``trash.purge`` job: after 30 days in the trash a record is deleted for good (its
history keeps a PURGE entry); before that it stays restorable."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.audit import lifecycle
from guanxi.audit.models import Action, AuditEntry
from guanxi.customers.models import Account, Order
from guanxi.customers.services import account_create
from guanxi.dataio.handlers import trash_models
from guanxi.dataio.jobs import JobContext, job_start, run
from guanxi.dataio.models import Job, JobState

pytestmark = pytest.mark.django_db


def deleted_days_ago(actor, name: str, days: int) -> Account:
    account = account_create(actor=actor, data={"name": name})
    lifecycle.record_delete(actor=actor, obj=account)
    Account._base_manager.filter(pk=account.pk).update(deleted_at=timezone.now() - timedelta(days=days))
    return Account._base_manager.get(pk=account.pk)


def purge() -> Job:
    job = job_start(actor=None, kind="trash.purge")
    run(str(job.pk))
    job.refresh_from_db()
    return job


def test_an_account_deleted_31_days_ago_is_purged_and_one_deleted_29_days_ago_stays_restorable(carol):
    old = deleted_days_ago(carol, "杭州旧客户有限公司", 31)
    recent = deleted_days_ago(carol, "苏州新客户有限公司", 29)
    kept = account_create(actor=carol, data={"name": "南京在用客户有限公司"})

    job = purge()

    assert job.state == JobState.SUCCEEDED and job.progress == 100
    assert job.result["purged"]["customers.account"] == 1 and job.result["total"] == 1
    assert not Account._base_manager.filter(pk=old.pk).exists()
    entry = AuditEntry.objects.get(object_id=old.pk, action=Action.PURGE)
    assert entry.object_repr == "杭州旧客户有限公司" and entry.actor is None and entry.source == "task"
    assert Account.objects.filter(pk=kept.pk).exists()
    restored = lifecycle.record_restore(actor=carol, obj=Account._base_manager.get(pk=recent.pk))
    assert restored.deleted_at is None and Account.objects.filter(pk=recent.pk).exists()


def test_purge_keeps_an_expired_account_that_orders_still_point_to_and_reports_it(carol):
    referenced = deleted_days_ago(carol, "广州有订单客户有限公司", 40)
    Order.objects.create(account=referenced, order_date=date(2026, 1, 5), amount=Decimal("100.00"))
    free = deleted_days_ago(carol, "深圳无订单客户有限公司", 40)

    job = purge()

    assert job.state == JobState.SUCCEEDED
    assert job.result["purged"]["customers.account"] == 1 and job.result["kept"] == {"customers.account": 1}
    assert Account._base_manager.filter(pk=referenced.pk).exists()
    assert not Account._base_manager.filter(pk=free.pk).exists()
    assert not AuditEntry.objects.filter(object_id=referenced.pk, action=Action.PURGE).exists()


def test_an_expired_order_and_its_expired_account_are_purged_together(carol):
    account = deleted_days_ago(carol, "厦门旧订单客户有限公司", 40)
    order = Order.objects.create(account=account, order_date=date(2025, 6, 1), amount=Decimal("80.00"))
    Order.all_objects.filter(pk=order.pk).update(deleted_at=timezone.now() - timedelta(days=40))

    job = purge()

    assert job.result["purged"]["customers.order"] == 1 and job.result["purged"]["customers.account"] == 1
    assert not Order.all_objects.filter(pk=order.pk).exists() and not Account.all_objects.filter(pk=account.pk).exists()
    assert AuditEntry.objects.filter(action=Action.PURGE).count() == 2


def test_purge_reports_progress_once_per_model_up_to_100(carol, monkeypatch):
    reports = []
    original = JobContext.save_checkpoint

    def spy(self, data, *, percent=None, message=None):
        reports.append((percent, message))
        original(self, data, percent=percent, message=message)

    monkeypatch.setattr(JobContext, "save_checkpoint", spy)
    purge()
    models = trash_models()
    assert len(models) >= 3 and len(reports) == len(models)
    assert [round(p) for p, _ in reports] == [round(100 * i / len(models)) for i in range(1, len(models) + 1)]
    assert all(message for _, message in reports)


def test_purge_resumes_after_the_models_its_checkpoint_marks_done(carol):
    old = deleted_days_ago(carol, "成都旧客户有限公司", 31)
    job = Job.objects.create(kind="trash.purge", checkpoint={"purged": {"customers.account": 0}, "kept": {}})
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result["purged"]["customers.account"] == 0
    assert Account._base_manager.filter(pk=old.pk).exists(), "the checkpoint said accounts were done"
    assert "customers.contact" in job.result["purged"]
