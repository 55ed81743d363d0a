"""Registers the customer archive's import and export specs with the dataio engine (discovered by
``DataioConfig.ready`` like admin.py modules are)."""

from guanxi.customers import exports, import_accounts, import_contacts  # noqa: F401
