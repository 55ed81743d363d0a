from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import Conflict


class DuplicateCreditCode(Conflict):
    code = "account.duplicate_uscc"
    default_detail = _("An account with this unified social credit code already exists.")
