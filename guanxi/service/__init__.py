"""Service (客户支持与服务管理, DOMAIN §4): complaints, SLAs, satisfaction surveys, follow-up visits
and approvals."""
