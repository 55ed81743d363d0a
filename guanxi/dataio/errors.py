"""Errors of the import/export engine, with stable codes (RFC 9457 problem details in the API)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import GuanxiError


class FileRefused(GuanxiError):
    """The uploaded file cannot be read as a table: too large, too many rows, unknown encoding,
    a hostile workbook ... The message says what to do about it."""

    status = 422
    code = "import.file_refused"
    default_detail = _("This file cannot be imported.")


class MappingInvalid(GuanxiError):
    status = 422
    code = "import.mapping_invalid"
    default_detail = _("The column mapping is not valid.")


class ImportStateError(GuanxiError):
    status = 409
    code = "import.state"
    default_detail = _("This import has already been started.")
