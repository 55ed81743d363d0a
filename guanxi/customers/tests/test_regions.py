"""Province and city names match however they are written (北京 = 北京市, 广西 = 广西壮族自治区)."""

import pytest

from guanxi.customers.regions import region_base, region_forms
from guanxi.customers.services import account_create


def test_region_base_strips_the_administrative_suffix():
    assert region_base("北京市") == "北京"
    assert region_base("广东省") == "广东"
    assert region_base("广西壮族自治区") == "广西"
    assert region_base("新疆维吾尔自治区") == "新疆"
    assert region_base("香港特别行政区") == "香港"
    assert region_base(" 广 州 市 ") == "广州"
    assert region_base("市") == "市"  # nothing left to name a place: kept
    assert region_base("沙市") == "沙市"  # 沙市 (in 荆州) is a name, not 沙 + 市


def test_region_forms_cover_short_and_full_names_and_leave_latin_alone():
    assert {"北京", "北京市"} <= set(region_forms("北京市"))
    assert {"广西", "广西壮族自治区"} <= set(region_forms("广西"))
    assert {"内蒙古", "内蒙古自治区"} <= set(region_forms("内蒙古自治区"))
    assert region_forms("Beijing") == ["Beijing"]
    assert region_forms("  ") == []


@pytest.mark.django_db
def test_province_and_city_filters_find_every_spelling_of_the_place(client, carol):
    for name, province, city in [("北京甲科技有限公司", "北京", "北京"), ("北京乙科技有限公司", "北京市", "北京市"),
                                 ("南宁丙贸易有限公司", "广西壮族自治区", "南宁市"), ("北京路丁商店", "广东", "广州")]:
        account_create(actor=carol, data={"name": name, "province": province, "city": city})
    client.force_login(carol)

    def names(query: str) -> set[str]:
        response = client.get(f"/api/v1/accounts/?{query}")
        assert response.status_code == 200
        return {item["name"] for item in response.json()["items"]}

    assert names("city=北京") == names("city=北京市") == {"北京甲科技有限公司", "北京乙科技有限公司"}
    assert names("province=北京市") == {"北京甲科技有限公司", "北京乙科技有限公司"}
    assert names("province=广西") == {"南宁丙贸易有限公司"}
    assert names("city=南宁") == {"南宁丙贸易有限公司"}
    assert names("province=广东省&province=北京") == {"北京路丁商店", "北京甲科技有限公司", "北京乙科技有限公司"}
    page = client.get("/accounts/?city=北京").content.decode()  # the web list applies the same rule
    assert "北京乙科技有限公司" in page and "北京路丁商店" not in page
