"""Cell parsers for importing accounts and contacts: each takes the cell text and returns the value
to store, or raises ValueError with the message the user sees next to the row.

They give the same results as the services' own cleaning (phones to E.164 with phonenumbers,
region CN; credit codes checked with python-stdnum; e-mail addresses with Django's validator), with
one shortcut for speed: Chinese mobile numbers (11 digits, 1[3-9]…) are checked with phonenumbers
once per five-digit prefix. In phonenumbers' CN metadata both the validity of a mobile number and the
carrier prefixes it strips (179xx) are decided by at most the first five digits; a test compares the
shortcut with phonenumbers on random numbers so a metadata update cannot slip past.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from guanxi.customers.custom_fields import active_fields, clean_value
from guanxi.customers.models import AccountKind, Nature
from guanxi.customers.phones import normalise_phone
from guanxi.dataio.importing import FieldSpec

_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_MOBILE_PREFIX_OK: dict[str, bool] = {}
_URL = URLValidator(schemes=["http", "https"])


def parse_phone(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    match = _MOBILE.fullmatch(_PHONE_NOISE.sub("", text))
    if match:
        # A mobile number with or without +86 / 0086 / 86 in front: always judged on its 11 digits,
        # so the answer never depends on what the cache has seen.
        digits = match.group(1)
        if _MOBILE_PREFIX_OK.get(digits[:5]):
            return "+86" + digits
        text = digits
    try:
        value = normalise_phone(text)
    except ValueError as exc:
        raise ValueError(_("Not a valid phone number: %(value)s") % {"value": raw[:40]}) from exc
    if match and value == "+86" + text:
        _MOBILE_PREFIX_OK[text[:5]] = True
    return value


def parse_phone_list(raw: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[,，;；/、]", raw) if p.strip()]
    if len(parts) > 10:
        raise ValueError(_("Give at most 10 phone numbers."))
    return [parse_phone(p) for p in parts]


def parse_email(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if len(value) > 254:
        raise ValueError(_("Not a valid email address."))
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError(_("Not a valid email address.")) from exc
    return value


_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100-2015, as in stdnum
_USCC_VALUE = {ch: i for i, ch in enumerate(uscc._alphabet)}


def uscc_check_digit(first17: str) -> str:
    """stdnum's ``uscc.calc_check_digit`` for an already compacted code, without its generic
    cleaning (a third of an import row's validation time); a test checks both always agree."""
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=False))
    return uscc._alphabet[(31 - total) % 31]


def parse_credit_code(raw: str) -> str:
    """GB 32100-2015: stdnum's rules (8 digits, then the code alphabet, then stdnum's check digit),
    with the shape checked by one regular expression instead of stdnum's slower generic cleaning."""
    value = unicodedata.normalize("NFKC", raw).replace(" ", "").replace("-", "").upper()
    try:
        if not _USCC_SHAPE.fullmatch(value) or value[-1] != uscc_check_digit(value[:17]):
            raise StdnumError()
    except StdnumError as exc:
        raise ValueError(_("Not a valid unified social credit code (统一社会信用代码).")) from exc
    return value


def parse_website(raw: str) -> str:
    value = raw.strip()
    if "://" not in value:
        value = "https://" + value
    if len(value) > 200:
        raise ValueError(_("At most %(n)d characters.") % {"n": 200})
    try:
        _URL(value)
    except ValidationError as exc:
        raise ValueError(_("Not a valid web address.")) from exc
    return value


def _choice_parser(enum: Any, extra: dict[str, str]) -> Any:
    def parse(raw: str) -> str:
        key = unicodedata.normalize("NFKC", raw).strip().casefold()
        table = {str(v).casefold(): v for v in enum.values}
        table.update({str(label).casefold(): v for v, label in enum.choices})
        table.update({k.casefold(): v for k, v in extra.items()})
        if key in table:
            return str(table[key])
        raise ValueError(_("Choose one of: %(choices)s") % {"choices": ", ".join(str(label) for _v, label in enum.choices)})

    return parse


# DOMAIN §1 客户性质, as people type it.
parse_nature = _choice_parser(Nature, {
    "政府机构": "government", "政府": "government", "机关": "government", "特殊公司": "special", "普通公司": "ordinary",
    "公司": "ordinary", "企业": "ordinary", "个人": "individual", "顾客": "individual", "顾客(个人)": "individual",
    "交易伙伴": "partner", "伙伴": "partner", "经销商": "partner", "代理商": "partner", "合作伙伴": "partner",
})
parse_kind = _choice_parser(AccountKind, {"公司": "company", "企业": "company", "单位": "company", "个人": "individual"})

_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def parse_date(raw: str) -> date:
    text = unicodedata.normalize("NFKC", raw).strip().split(" ")[0]
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                break
    raise ValueError(_("Enter a date as YYYY-MM-DD."))


def parse_birthday(raw: str) -> date:
    value = parse_date(raw)
    if not date(1900, 1, 1) <= value <= timezone.localdate():
        raise ValueError(_("The birthday must be between 1900 and today."))
    return value


def custom_field_specs(object_type: str) -> list[FieldSpec]:
    """Administrator-defined fields, importable like built-in ones (column 'custom.<key>')."""
    specs = []
    for cf in active_fields(object_type):
        def parse(raw: str, cf: Any = cf) -> Any:
            return clean_value(cf, raw)

        specs.append(FieldSpec(f"custom.{cf.key}", cf.label, parse=parse, required=cf.required,
                               synonyms=tuple(s for s in (cf.key, cf.label, cf.label_en) if s)))
    return specs
