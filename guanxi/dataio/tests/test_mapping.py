import pytest

from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.customers.models import CustomField
from guanxi.dataio import importing, mapping
from guanxi.dataio.errors import MappingInvalid
from guanxi.dataio.models import MappingTemplate


def account_fields():
    return importing.get_spec("account").fields()


def suggest(headers):
    return dict(zip(headers, mapping.suggest_mapping(headers, account_fields()), strict=True))


@pytest.mark.django_db
def test_chinese_headers_are_mapped_to_the_fields_people_mean():
    got = suggest(["客户名称", "统一社会信用代码", "公司电话", "省份", "城市", "详细地址", "所属行业", "客户来源", "外部编号",
                   "联系人", "联系人手机", "电子邮箱", "微信号", "备注"])
    assert got == {
        "客户名称": "name", "统一社会信用代码": "credit_code", "公司电话": "phone", "省份": "province", "城市": "city",
        "详细地址": "address", "所属行业": "industry", "客户来源": "source", "外部编号": "external_id", "联系人": "contact_name",
        "联系人手机": "contact_mobile", "电子邮箱": "contact_email", "微信号": "contact_wechat", "备注": "notes",
    }


@pytest.mark.django_db
def test_english_headers_width_case_and_hints_do_not_matter():
    got = suggest(["Account Name", "USCC", "ＭＯＢＩＬＥ", "E-mail", "手机号码（必填）", "Website*", "Unknown column"])
    assert got["Account Name"] == "name"
    assert got["USCC"] == "credit_code"
    assert got["ＭＯＢＩＬＥ"] == "contact_mobile"
    assert got["E-mail"] == "contact_email"
    assert got["手机号码（必填）"] == ""  # the mobile field is taken by the earlier column
    assert got["Website*"] == "website"
    assert got["Unknown column"] == ""


@pytest.mark.django_db
def test_short_generic_headers_map_too():
    assert suggest(["名称", "信用代码", "电话", "手机", "地址"]) == {
        "名称": "name", "信用代码": "credit_code", "电话": "phone", "手机": "contact_mobile", "地址": "address"}


@pytest.mark.django_db
def test_custom_fields_are_suggested_by_key_and_label():
    CustomField.objects.create(object_type="account", key="employees", label="员工人数", label_en="Employees", field_type="number")
    got = suggest(["客户名称", "员工人数"])
    assert got["员工人数"] == "custom.employees"
    assert suggest(["Employees"])["Employees"] == "custom.employees"


@pytest.mark.django_db
def test_mapping_validation_names_the_problem():
    headers = ["客户名称", "名称2", "电话"]
    with pytest.raises(MappingInvalid) as exc:
        mapping.validate_mapping(headers, ["name", "name", "owner"], account_fields())
    errors = exc.value.extra["errors"]
    assert "名称2" in errors and "电话" in errors  # name twice, and a field that is not importable
    with pytest.raises(MappingInvalid) as exc:
        mapping.validate_mapping(headers, ["", "", "phone"], account_fields(), key_field="credit_code")
    assert len(exc.value.extra["errors"]) == 2  # name is required; the match key has no column


@pytest.mark.django_db
def test_templates_are_private_to_their_owner(carol, dave):
    template = mapping.template_save(actor=carol, object_type="account", name="CRM 导出", headers=["公司", "Tel"],
                                     mapping=["name", "phone"], fields=account_fields())
    assert template.mapping == {"公司": "name", "Tel": "phone"}
    assert list(mapping.templates_for(actor=dave, object_type="account")) == []
    with pytest.raises(NotFound):
        mapping.template_get(actor=dave, pk=template.pk)
    with pytest.raises(NotFound):
        mapping.template_delete(actor=dave, pk=template.pk)
    assert MappingTemplate.objects.filter(pk=template.pk).exists()
    applied = mapping.mapping_from_template(["Tel", "其他", "公司"], template.mapping, account_fields())
    assert applied == ["phone", "", "name"]


@pytest.mark.django_db
def test_a_template_cannot_smuggle_in_owner_or_other_protected_fields(carol):
    with pytest.raises(ValidationFailed):
        mapping.template_save(actor=carol, object_type="account", name="x", headers=["a"], mapping=["owner_id"], fields=account_fields())


@pytest.mark.django_db
def test_api_templates_of_another_user_are_404(client, carol, dave):
    client.force_login(carol)
    r = client.post("/api/v1/imports/templates", {"object_type": "account", "name": "mine", "mapping": {"公司": "name"}},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    client.force_login(dave)
    assert client.get("/api/v1/imports/templates?object_type=account").json() == []
    assert client.delete(f"/api/v1/imports/templates/{pk}").status_code == 404
