import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads and job results made by these tests go to a temporary storage, never to var/media."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
