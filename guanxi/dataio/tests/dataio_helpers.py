"""Helpers for the import/export tests: a private temporary storage and a one-call import."""

import pytest

from guanxi.dataio import importing, jobs
from guanxi.dataio.models import Job


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads and results go to a temporary private storage, never to var/media."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    # Django's setting_changed handler resets default_storage for us.


def import_file(actor, data: bytes, *, filename="customers.csv", object_type="account", key=None, mapping=None, run=True):
    """Upload, map (the suggestions unless given), start and run the import job; returns (upload, job)."""
    upload = importing.upload_create(actor=actor, object_type=object_type, filename=filename, data=data)
    importing.upload_set_mapping(actor=actor, upload=upload, mapping=mapping or upload.mapping, key=key or upload.upsert_key)
    job = importing.import_start(actor=actor, upload=upload)
    if run:
        jobs.run(str(job.pk))
        job = Job.objects.get(pk=job.pk)
    return upload, job
