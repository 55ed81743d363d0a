"""The search API (GET /api/v1/search) and the header search box / results page."""

import pytest

from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def huawei(carol):
    return account_create(actor=carol, data={"name": "北京华为科技有限公司", "short_name": "华为"})


def test_api_returns_ranked_hits_the_caller_may_see(client, carol, dave, huawei):
    account_create(actor=carol, data={"name": "华为技术有限公司"})
    client.force_login(carol)
    r = client.get("/api/v1/search", {"q": "华为"})
    assert r.status_code == 200
    assert [(i["name"], i["match"], i["type"]) for i in r.json()["items"]] == [
        ("北京华为科技有限公司", "exact", "account"), ("华为技术有限公司", "prefix", "account"),
    ]
    assert r.json()["items"][0]["url"] == f"/accounts/{huawei.pk}/"
    client.force_login(dave)
    assert client.get("/api/v1/search", {"q": "hw"}).json()["items"] == []


def test_api_types_and_limit(client, carol, huawei):
    account_create(actor=carol, data={"name": "华为技术有限公司"})
    client.force_login(carol)
    assert len(client.get("/api/v1/search", {"q": "hw", "limit": 1}).json()["items"]) == 1
    assert client.get("/api/v1/search", {"q": "hw", "types": "contact"}).json()["items"] == []
    r = client.get("/api/v1/search", {"q": "hw", "types": "order"})
    assert r.status_code == 422 and r.json()["code"] == "search.invalid_query"


@pytest.mark.parametrize("q", ["", "   ", "华" * 101])
def test_api_refuses_an_empty_or_too_long_query_as_problem_json(client, carol, q):
    client.force_login(carol)
    r = client.get("/api/v1/search", {"q": q})
    assert r.status_code == 422
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "search.invalid_query"
    assert "q" in r.json()["errors"]


def test_api_needs_authentication(client):
    assert client.get("/api/v1/search", {"q": "华为"}).status_code == 401


def test_every_page_header_has_the_search_box(client, carol):
    client.force_login(carol)
    page = client.get("/accounts/").content.decode()
    assert 'id="global-search-q"' in page and 'role="search"' in page


def test_live_results_list_links_to_the_account(client, carol, huawei):
    client.force_login(carol)
    r = client.get("/accounts/search/", {"q": "bjhw", "live": "1"}, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert f'href="/accounts/{huawei.pk}/"' in body and "北京华为科技有限公司" in body
    assert "/accounts/search/?q=bjhw" in body  # "all results" link


def test_results_page_shows_hits_and_escapes_the_query(client, carol, huawei):
    client.force_login(carol)
    page = client.get("/accounts/search/", {"q": "科技"}).content.decode()
    assert "北京华为科技有限公司" in page and 'data-testid="search-hit"' in page
    page = client.get("/accounts/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_results_page_explains_a_too_long_query(client, carol):
    client.force_login(carol)
    page = client.get("/accounts/search/", {"q": "华" * 150}).content.decode()
    assert 'role="alert"' in page
