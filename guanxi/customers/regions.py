"""Chinese place names as people write them: with or without the administrative suffix.

One file says 北京, the next 北京市; 广西 and 广西壮族自治区 are the same province. A filter on
the province or the city must find both (DOMAIN §1: the basic data of the archive, 基础资料, is
filled by hand and by imports from many sources), so a region typed in any of these forms is
matched in all of them. Pure functions, no ORM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Provincial-level divisions whose full name is not simply the short name plus 省 or 市.
_FULL_NAMES = {
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}
# Longest first: 自治区 before 区 would matter if 区 were here (it is not: 城区 is a name).
_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "地区", "省", "市", "盟")
_SHORT_OF_FULL = {full: short for short, full in _FULL_NAMES.items()}


def region_base(name: str) -> str:
    """'北京市' → '北京', '广西壮族自治区' → '广西', '广东' → '广东'; a name that is only a suffix
    ('市') or too short to strip stays as it is."""
    text = "".join(name.split())
    if text in _SHORT_OF_FULL:
        return _SHORT_OF_FULL[text]
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


def region_forms(name: str) -> list[str]:
    """Every way the region ``name`` is commonly written, ``name`` itself first: its base with each
    suffix ('北京' → 北京, 北京市, 北京省, 北京地区, 北京盟), plus the full name of an autonomous
    region or SAR. Forms no place has (北京省) match nothing and let one rule serve provinces and
    cities alike."""
    text = "".join(name.split())
    if not text:
        return []
    base = region_base(text)
    if not base or any(ch.isascii() for ch in base):  # Latin names (Beijing) are compared as typed
        return [text]
    forms = [text, base, base + "市", base + "省", base + "地区", base + "盟"]
    if base in _FULL_NAMES:
        forms.append(_FULL_NAMES[base])
    return list(dict.fromkeys(forms))


def region_filter(field: str) -> Callable[[Any, list[str], Any], Any]:
    """A list filter (``core.listing.Filter.apply``) matching ``field`` in every form of each
    value typed: province=北京 finds 北京 and 北京市."""

    def apply(qs: Any, values: list[str], actor: Any) -> Any:
        forms = [form for v in values for form in region_forms(v)]
        return qs.filter(**{f"{field}__in": forms}) if forms else qs

    return apply
