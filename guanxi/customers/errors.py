from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import Conflict


class DuplicateCreditCode(Conflict):
    code = "account.duplicate_uscc"
    default_detail = _("An account with this unified social credit code already exists.")


class DuplicateAccount(Conflict):
    """查重 (DOMAIN §1): the account exists already. Says who owns it (or that it is in the public
    pool) and nothing else about a record the caller may not see."""

    code = "account.duplicate"
    default_detail = _("This customer already exists.")
