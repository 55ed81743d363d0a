"""Loaded by the dataio app (autodiscover): the sales import and export specs."""

from guanxi.sales import exports, import_leads  # noqa: F401
