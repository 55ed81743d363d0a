"""Column mapping: which column of the file fills which field.

Suggestions come from Chinese and English header synonyms (客户名称 / Company → name, 手机 /
Mobile → mobile, 统一社会信用代码 / USCC → credit_code …) and from custom field keys and labels.
Headers are compared normalised (full-width folded, case, spaces, punctuation and hints in
brackets such as “（必填）” ignored). An exact synonym wins over a header that ends with one, which
wins over a header that merely contains one, because in Chinese the head noun comes last:
联系人手机 is a 手机 (mobile), not a 联系人 (contact name).

A mapping is a list aligned with the headers: the target field name of each column, or "" for a
column that is not imported. Saved templates store header → field and are private to their owner.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.dataio.errors import MappingInvalid
from guanxi.dataio.models import MappingTemplate

# Concept → synonyms. Specs give each field the synonyms of its concept (contact_mobile ← "mobile").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "公司名称", "企业名称", "单位名称", "客户全称", "公司全称", "名称", "客户", "公司", "客户名", "公司名",
             "account name", "account", "company name", "company", "customer name", "customer", "organization name", "name"),
    "short_name": ("客户简称", "公司简称", "简称", "short name", "abbreviation"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "统一信用代码", "信用代码", "uscc", "credit code", "unified social credit code",
                    "纳税人识别号", "税号", "tax id"),
    "nature": ("客户性质", "单位性质", "性质", "nature"),
    "kind": ("客户类型", "类型", "kind", "account type"),
    "industry": ("所属行业", "行业", "industry", "sector"),
    "province": ("省份", "所在省份", "省", "province", "state"),
    "city": ("城市", "所在城市", "市", "city"),
    "address": ("详细地址", "公司地址", "通讯地址", "地址", "address", "street"),
    "phone": ("电话", "公司电话", "座机", "固定电话", "总机", "phone", "telephone", "tel", "office phone", "work phone"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "联系人手机", "mobile", "mobile phone", "cell", "cell phone", "cellphone"),
    "other_phones": ("其他电话", "其他号码", "备用电话", "other phones", "other phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "联系人邮箱", "email", "e-mail", "mail"),
    "wechat": ("微信", "微信号", "联系人微信", "wechat", "wechat id", "weixin"),
    "website": ("网址", "网站", "官网", "主页", "website", "web site", "homepage", "url"),
    "source": ("客户来源", "来源", "source", "lead source"),
    "external_id": ("外部编号", "客户编号", "编号", "外部id", "external id", "customer id", "customer number", "id"),
    "notes": ("备注", "说明", "notes", "note", "remarks", "comments"),
    "contact_name": ("联系人", "联系人姓名", "姓名", "contact", "contact name", "contact person", "full name"),
    "title": ("职位", "职务", "头衔", "title", "job title", "position"),
    "department": ("部门", "所属部门", "department", "dept"),
    "birthday": ("生日", "出生日期", "birthday", "date of birth", "birth date"),
    "organization": ("公司", "单位", "organization", "company"),
}

_BRACKETED = re.compile(r"[(\[（【][^)\]）】]{0,20}[)\]）】]")


class FieldLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> Any: ...
    @property
    def synonyms(self) -> tuple[str, ...]: ...
    @property
    def required(self) -> bool: ...


def normalise_header(text: str) -> str:
    """'手机号码（必填）' → '手机号码'; ' Account Name* ' → 'accountname'."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = _BRACKETED.sub("", folded)
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _score(header: str, synonym: str) -> tuple[int, int]:
    if not header or not synonym:
        return (0, 0)
    if header == synonym:
        return (3, len(synonym))
    if len(synonym) >= 2 and header.endswith(synonym):
        return (2, len(synonym))
    if len(synonym) >= 2 and synonym in header:
        return (1, len(synonym))
    return (0, 0)


def suggest_mapping(headers: Sequence[str], fields: Iterable[FieldLike]) -> list[str]:
    """The most likely field for each column ('' when nothing fits); each field used at most once."""
    candidates: list[tuple[tuple[int, int], int, int, str]] = []
    for f_index, fld in enumerate(fields):
        synonyms = {normalise_header(s) for s in (*fld.synonyms, fld.name, str(fld.label))}
        for col, header in enumerate(headers):
            norm = normalise_header(header)
            best = max((_score(norm, s) for s in synonyms), default=(0, 0))
            if best[0]:
                # Ties: the earlier field in the spec, then the earlier column.
                candidates.append((best, -f_index, -col, fld.name))
    mapping = [""] * len(headers)
    used: set[str] = set()
    for _rank, _f, neg_col, name in sorted(candidates, reverse=True):
        col = -neg_col
        if mapping[col] or name in used:
            continue
        mapping[col] = name
        used.add(name)
    return mapping


def mapping_from_template(headers: Sequence[str], template: dict[str, str], fields: Iterable[FieldLike]) -> list[str]:
    known = {f.name for f in fields}
    by_header = {normalise_header(h): v for h, v in template.items()}
    out, used = [], set()
    for header in headers:
        target = template.get(header) or by_header.get(normalise_header(header)) or ""
        if target not in known or target in used:
            target = ""
        used.add(target)
        out.append(target)
    return out


def validate_mapping(headers: Sequence[str], mapping: Sequence[str], fields: Iterable[FieldLike], *, key_field: str = "") -> list[str]:
    """Return the mapping as a clean list, or raise MappingInvalid saying what is wrong."""
    fields = list(fields)
    known = {f.name: f for f in fields}
    errors: dict[str, list[str]] = {}
    if len(mapping) != len(headers):
        raise MappingInvalid(_("The mapping does not match the file's columns."), errors={"mapping": [_("One entry per column.")]})
    seen: dict[str, int] = {}
    clean = []
    for col, target in enumerate(mapping):
        target = str(target or "")
        if target and target not in known:
            errors.setdefault(headers[col], []).append(_("Unknown field: %(field)s") % {"field": target[:50]})
        elif target in seen:
            errors.setdefault(headers[col], []).append(
                _("“%(field)s” is already filled from column “%(other)s”.") % {"field": known[target].label, "other": headers[seen[target]]}
            )
        elif target:
            seen[target] = col
        clean.append(target)
    for fld in fields:
        if fld.required and fld.name not in seen:
            errors.setdefault(str(fld.label), []).append(_("Choose the column that holds this required field."))
    if key_field and key_field not in seen:
        label = known[key_field].label if key_field in known else key_field
        errors.setdefault(str(label), []).append(_("Records are matched on this field, so a column must be mapped to it."))
    if errors:
        raise MappingInvalid(errors=errors)
    return clean


# --- saved templates (owned objects: only their owner sees, uses, changes or deletes them) ---------


def templates_for(*, actor: Any, object_type: str) -> Any:
    return MappingTemplate.objects.filter(owner_id=actor.pk, object_type=object_type).order_by("name", "id")


def template_get(*, actor: Any, pk: Any) -> MappingTemplate:
    template = MappingTemplate.objects.filter(pk=pk, owner_id=actor.pk).first() if str(pk).isdigit() else None
    if template is None:
        raise NotFound()
    return template


@transaction.atomic
def template_save(*, actor: Any, object_type: str, name: str, headers: Sequence[str], mapping: Sequence[str],
                  fields: Iterable[FieldLike]) -> MappingTemplate:
    """Save (or overwrite the actor's own template of the same name) header → field for mapped columns."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": [_("Give the template a name of 1 to 100 characters.")]})
    known = {f.name for f in fields}
    pairs = {str(h)[:200]: str(t) for h, t in zip(headers, mapping, strict=False) if t}
    unknown = sorted(set(pairs.values()) - known)
    if unknown:  # mass assignment: only the spec's importable fields may ever be saved
        raise ValidationFailed({"mapping": [_("Unknown field: %(field)s") % {"field": unknown[0][:50]}]})
    template, _created = MappingTemplate.objects.update_or_create(
        owner=actor, object_type=object_type, name=name, defaults={"mapping": pairs}
    )
    return template


def template_delete(*, actor: Any, pk: Any) -> None:
    template_get(actor=actor, pk=pk).delete()
