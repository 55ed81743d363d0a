"""SECURITY.md, stored XSS: names, labels, messages and file names are data. Every page and htmx
partial that shows them escapes them, and a link's target is only ever http(s), mailto or tel."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from guanxi.customers.contacts import contact_create
from guanxi.customers.custom_fields import custom_field_save
from guanxi.customers.models import Account, DuplicateCandidate, Order
from guanxi.customers.orders import order_create
from guanxi.customers.saved_views import saved_view_save
from guanxi.customers.services import account_create, account_delete, account_update
from guanxi.dataio.importing import upload_create
from guanxi.dataio.models import Job, JobState
from guanxi.users.models import TokenScope
from guanxi.users.services import token_create
from tests.security.world import World

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped: an opening tag of either payload.
RAW = ("<script>alert(1)", "<img src=x onerror")


def assert_escaped(response, *, expect_escaped: bool = True) -> str:
    assert response.status_code == 200, f"{response.status_code} {response.content[:500]!r}"
    html = response.content.decode()
    for raw in RAW:
        assert raw not in html, f"unescaped payload {raw!r} in {response.wsgi_request.path}"
    if expect_escaped:
        # The payload is on the page, as text: otherwise the test proves nothing.
        assert "&lt;script&gt;alert(1)" in html or "&lt;img src=x onerror" in html, response.wsgi_request.path
    return html


@pytest.fixture
def w(org):
    return World(org)


@pytest.fixture
def hostile(w):
    """carol's archive, every name a payload; returns what the pages need."""
    carol, alice = w.user("carol"), w.user("alice")
    custom_field_save(actor=alice, data={"object_type": "account", "key": "xss_text", "label": SCRIPT, "label_en": IMG,
                                         "field_type": "text"})
    custom_field_save(actor=alice, data={"object_type": "account", "key": "xss_choice", "label": IMG, "field_type": "choice",
                                         "choices": [SCRIPT, IMG]})
    account = account_create(actor=carol, data={"name": f"{SCRIPT} 甲公司", "short_name": IMG, "industry": SCRIPT, "city": IMG,
                                                "address": SCRIPT, "source": IMG, "notes": SCRIPT,
                                                "custom": {"xss_text": SCRIPT, "xss_choice": IMG}})
    account = account_update(actor=carol, account=account, version=account.version, data={"name": f"{IMG} 甲公司", "notes": IMG})
    twin = account_create(actor=carol, data={"name": f"{SCRIPT} 乙公司", "short_name": SCRIPT})
    contact = contact_create(actor=carol, data={"name": SCRIPT, "title": IMG, "department_name": SCRIPT, "wechat": IMG,
                                                "notes": SCRIPT}, account_ids=[account.pk])
    order_create(actor=carol, account=account, data={"number": IMG[:50], "order_date": date(2026, 3, 1), "amount": Decimal("100")})
    duplicate = DuplicateCandidate.objects.create(first=account, second=twin, reasons=["name", SCRIPT], score=90)
    client = w.web_client("carol")
    r = client.post("/accounts/bulk/", {"action": "add_tag", "ids": [str(account.pk)], "tag": SCRIPT})
    assert r.status_code == 302
    view = saved_view_save(actor=carol, object_type="account", name=SCRIPT, params={"city": [IMG]}, shared=True)
    pool_account = w.pool_account()
    Account.objects.filter(pk=pool_account.pk).update(name=f"{IMG} 公海客户")
    trashed = account_create(actor=carol, data={"name": f"{SCRIPT} 已删除"})
    account_delete(actor=carol, account=trashed)
    job = Job.objects.create(owner=carol, kind=SCRIPT, state=JobState.RUNNING, progress=40, message=IMG,
                             result={"filename": IMG, "note": SCRIPT})
    token_create(actor=carol, name=SCRIPT, scope=TokenScope.READ, expires_at=None)
    csv = _csv([["名称", SCRIPT, "电话"], [f"{IMG}有限公司", SCRIPT, SCRIPT]])
    upload = upload_create(actor=carol, object_type="account", filename=f'{IMG}.csv', data=csv)
    return {"account": account, "twin": twin, "contact": contact, "duplicate": duplicate, "view": view, "job": job,
            "upload": upload, "client": client, "order": Order.objects.get(account=account)}


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


PAGES = [
    ("/", True),
    ("/accounts/", True),
    ("/accounts/?city={IMG_Q}", True),
    ("/accounts/?view={view}", True),
    ("/accounts/{account}/", True),
    ("/accounts/{account}/edit/", True),
    ("/accounts/{account}/transfer/", True),
    ("/accounts/{account}/history/", True),
    ("/accounts/{account}/tab/overview/", True),
    ("/accounts/{account}/tab/contacts/", True),
    ("/accounts/{account}/tab/orders/", True),
    ("/accounts/{account}/tab/timeline/", True),
    ("/accounts/{account}/tab/sharing/", False),
    ("/accounts/contacts/", True),
    ("/accounts/contacts/{contact}/", True),
    ("/accounts/contacts/{contact}/edit/", True),
    ("/accounts/orders/", True),
    ("/accounts/duplicates/", True),
    ("/accounts/{account}/merge/{twin}/", True),
    ("/accounts/pool/", True),
    ("/accounts/search/?q=script", True),
    ("/trash/", True),
    ("/jobs/", True),
    ("/jobs/{job}/", True),
    ("/settings/", True),
    ("/import/", True),
    ("/import/{upload}/mapping/", True),
]


def _url(template: str, hostile: dict) -> str:
    ids = {k: getattr(v, "pk", None) for k, v in hostile.items()}
    return template.replace("{IMG_Q}", "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E").format(**ids)


@pytest.mark.parametrize("template,has_payload", PAGES, ids=[p for p, _ in PAGES])
def test_every_page_escapes_hostile_names(hostile, template, has_payload):
    assert_escaped(hostile["client"].get(_url(template, hostile)), expect_escaped=has_payload)


@pytest.mark.parametrize("template", ["/accounts/", "/accounts/search/?q=script&live=1", "/jobs/{job}/",
                                      "/accounts/{account}/tab/timeline/", "/accounts/{account}/history/"])
def test_htmx_partials_escape_hostile_names(hostile, template):
    assert_escaped(hostile["client"].get(_url(template, hostile), HTTP_HX_REQUEST="true"))


def test_search_results_escape_the_query_itself(hostile):
    r = hostile["client"].get(f"/accounts/search/?q={SCRIPT}", HTTP_HX_REQUEST="true")
    assert_escaped(r)


def test_custom_field_admin_pages_escape_labels(hostile, w):
    alice = w.web_client("alice")
    assert_escaped(alice.get("/accounts/custom-fields/"))
    from guanxi.customers.models import CustomField

    assert_escaped(alice.get(f"/accounts/custom-fields/{CustomField.objects.get(key='xss_choice').pk}/"))


def test_import_status_and_dry_run_escape_file_names_and_cells(hostile):
    client, upload = hostile["client"], hostile["upload"]
    r = client.post(f"/import/{upload.pk}/mapping/", {"col_0": "name", "col_1": "", "col_2": "phone", "key": "phone", "action": "dry_run"})
    assert r.status_code == 302, r.content[:500]
    html = assert_escaped(client.get(f"/import/{upload.pk}/dry-run/"))
    assert "&lt;script&gt;" in html  # the bad phone cell is quoted back in the row error, as text


def test_export_status_escapes_the_file_name(hostile, w):
    carol = w.user("carol")
    job = Job.objects.create(owner=carol, kind="dataio.export", state=JobState.SUCCEEDED, progress=100,
                             result={"file": "dataio/results/x.csv", "filename": IMG})
    assert_escaped(hostile["client"].get(f"/export/jobs/{job.pk}/"))


def test_error_messages_quoting_user_input_are_escaped(w):
    client = w.web_client("carol")
    r = client.get(f"/accounts/?{SCRIPT}=1")
    assert r.status_code == 400
    assert "<script>alert" not in r.content.decode()
    assert "&lt;script&gt;" in r.content.decode()


# --- links ---------------------------------------------------------------------------------------

BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)", "ftp://files.example.com/x", "//evil.example.com/x"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_website_that_is_not_http_is_refused_by_the_api(w, url):
    client = w.api_client("carol")
    r = client.post("/api/v1/accounts/", {"name": "链接测试", "website": url}, content_type="application/json")
    assert r.status_code == 422, r.content
    assert "website" in r.json()["errors"]
    assert not Account.objects.filter(name="链接测试").exists()


@pytest.mark.parametrize("url", BAD_URLS[:3])
def test_website_that_is_not_http_is_refused_by_the_web_form(w, url):
    client = w.web_client("carol")
    r = client.post("/accounts/new/", {"name": "链接测试", "kind": "company", "nature": "ordinary", "website": url})
    assert r.status_code == 200
    assert not Account.objects.filter(name="链接测试").exists()


def test_website_that_is_not_http_is_refused_by_an_import(w):
    from guanxi.dataio.importing import import_dry_run, upload_set_mapping

    carol = w.user("carol")
    upload = upload_create(actor=carol, object_type="account", filename="网址.csv",
                           data="名称,网址,电话\n网址测试有限公司,javascript:alert(1),13800138000\n".encode())
    upload = upload_set_mapping(actor=carol, upload=upload, mapping=["name", "website", "phone"], key="phone")
    result = import_dry_run(actor=carol, upload=upload).as_dict()
    assert result["errors"] and result["errors"][0]["column"] == "网址"


def test_http_and_https_websites_are_links(w):
    account = w.account(website="https://www.example.com/关于")
    html = w.web_client("carol").get(f"/accounts/{account.pk}/").content.decode()
    assert 'href="https://www.example.com/关于"' in html


def test_a_stored_javascript_url_is_never_rendered_as_a_link(w):
    """Rows written before validation existed (or straight into the database) are shown as text."""
    account = w.account()
    Account.objects.filter(pk=account.pk).update(website="javascript:alert(1)")
    html = w.web_client("carol").get(f"/accounts/{account.pk}/").content.decode()
    assert "javascript:alert(1)" in html
    assert not re.search(r"href=\"\s*javascript:", html, re.IGNORECASE)


def _hrefs(html: str) -> list[str]:
    return re.findall(r"\bhref=\"([^\"]*)\"", html)


@pytest.mark.parametrize("template", ["/accounts/{account}/", "/accounts/{account}/tab/contacts/", "/accounts/contacts/{contact}/",
                                      "/accounts/{account}/tab/overview/"])
def test_every_link_on_record_pages_is_relative_or_an_allowed_scheme(hostile, template):
    html = hostile["client"].get(_url(template, hostile)).content.decode()
    for href in _hrefs(html):
        assert href.startswith(("/", "?", "#", "http://", "https://", "mailto:", "tel:")), href


# --- no mark_safe / |safe on user data ----------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)


def _sources(*suffixes: str) -> list[Path]:
    return [p for p in (ROOT / "guanxi").rglob("*") if p.suffix in suffixes and "tests" not in p.parts and "migrations" not in p.parts]


def test_no_template_turns_off_escaping():
    offenders = [str(p.relative_to(ROOT)) for p in _sources(".html", ".txt")
                 if re.search(r"\|\s*safe\b|\{%\s*autoescape\s+off|\|\s*safeseq\b", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_python_code_marks_strings_safe():
    pattern = re.compile(r"\bmark_safe\b|\bSafeString\b|\bSafeText\b|\bhtml_safe\b|\|safe|\bis_safe\s*=\s*True")
    offenders = [str(p.relative_to(ROOT)) for p in _sources(".py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
