from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import Conflict


class DuplicateCreditCode(Conflict):
    """查重 (DOMAIN §1) by credit code: names the owner (or the public pool), never the record."""

    code = "account.duplicate_uscc"
    default_detail = _("An account with this unified social credit code already exists.")

    def __init__(self, *, owner: str | None, in_pool: bool = False) -> None:
        detail: Any
        if in_pool:
            detail = _("An account with this unified social credit code is already in the public pool; claim it there.")
        elif owner:
            detail = _("An account with this unified social credit code already exists, owned by %(owner)s.") % {"owner": owner}
        else:
            detail = self.default_detail
        super().__init__(detail, owner=owner, in_pool=in_pool)


class DuplicateAccount(Conflict):
    """查重 (DOMAIN §1): the account exists already. Says who owns it (or that it is in the public
    pool) and nothing else about a record the caller may not see."""

    code = "account.duplicate"
    default_detail = _("This customer already exists.")
