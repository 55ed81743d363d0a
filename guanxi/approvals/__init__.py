"""Approvals (审批): a generic engine any object can use through a registry (DOMAIN §4, issue 6)."""
