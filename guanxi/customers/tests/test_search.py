"""Chinese search, the same assertions on SQLite (FTS5 trigram + LIKE) and PostgreSQL (pg_trgm +
bigram GIN): run once as is and once with DATABASE_URL=postgres://…"""

import pytest
from django.db import connection

from guanxi.customers import search_db, search_selectors
from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account
from guanxi.customers.search_selectors import search
from guanxi.customers.services import account_create, account_delete, account_restore, account_update

pytestmark = pytest.mark.django_db

HUAWEI_CODE = "91110000MA01ABCD2Q"


@pytest.fixture
def book(carol, dave):
    huawei = account_create(actor=carol, data={
        "name": "北京华为科技有限公司", "short_name": "华为", "credit_code": HUAWEI_CODE, "phone": "+86 138-0013-8000",
    })
    bank = account_create(actor=carol, data={"name": "重庆银行股份有限公司", "phone": "(010) 6552 9988"})
    baiyun = account_create(actor=dave, data={"name": "广州白云贸易有限公司"})
    zhang = contact_create(actor=carol, data={"name": "张伟", "mobile": "139 1234 5678", "email": "zhang.wei@example.com"},
                           account_ids=[huawei.pk])
    return {"huawei": huawei, "bank": bank, "baiyun": baiyun, "zhang": zhang}


def names(actor, q, **kwargs):
    return [hit.name for hit in search(actor=actor, q=q, **kwargs)]


@pytest.mark.parametrize("q", ["科", "科技", "科技有", "北京华为科技有限公司", "华为"])
def test_one_two_and_three_character_chinese_substrings_find_the_account(carol, book, q):
    assert "北京华为科技有限公司" in names(carol, q)


@pytest.mark.parametrize("q", ["微", "微软", "微软科", "s华", "gs华为"])
def test_text_that_is_not_in_any_name_finds_nothing(carol, book, q):
    # The document holds "…|bjhwkjyxgs|华为|…": "gs华为" would match if parts ran together.
    assert names(carol, q) == []


@pytest.mark.parametrize("q", ["huawei", "beijinghuawei", "bjhw", "hw", "HuaWei", "Ｈｕａｗｅｉ", "ＢＪＨＷ", "bei jing hua"])
def test_pinyin_and_initials_ignore_case_width_and_spaces(carol, book, q):
    assert "北京华为科技有限公司" in names(carol, q)


def test_words_read_differently_in_a_name_are_found_by_their_real_pinyin(carol, book):
    assert names(carol, "chongqingyinhang") == ["重庆银行股份有限公司"]
    assert names(carol, "cqyh") == ["重庆银行股份有限公司"]


@pytest.mark.parametrize("q", ["13800138000", "+86 138 0013 8000", "138-0013-8000", "８６１３８００１３８０００", "0086 13800138000", "0013 800"])
def test_mobile_number_in_any_format(carol, book, q):
    assert names(carol, q) == ["北京华为科技有限公司"]


@pytest.mark.parametrize("q", ["010-65529988", "(010) 6552 9988", "+86 10 6552 9988", "65529988"])
def test_landline_number_in_any_format(carol, book, q):
    assert names(carol, q) == ["重庆银行股份有限公司"]


@pytest.mark.parametrize("q", [HUAWEI_CODE, HUAWEI_CODE.lower(), "9111 0000 MA01 ABCD 2Q", "MA01ABCD"])
def test_credit_code(carol, book, q):
    assert names(carol, q) == ["北京华为科技有限公司"]


def test_contacts_are_found_by_name_initials_phone_and_email(carol, book):
    for q in ("张伟", "张", "zw", "zhangwei", "139-1234-5678", "zhang.wei@example.com"):
        hits = search(actor=carol, q=q)
        assert [(h.type, h.name) for h in hits if h.type == "contact"] == [("contact", "张伟")], q
    assert search(actor=carol, q="张伟")[0].detail.startswith("北京华为科技有限公司")


def test_types_limit_the_search_to_accounts_or_contacts(carol, book):
    assert {h.type for h in search(actor=carol, q="zw", types=("account",))} <= {"account"}
    assert [h.type for h in search(actor=carol, q="zw", types=("contact",))] == ["contact"]


def test_exact_beats_prefix_beats_substring_whatever_the_pinyin_order(carol):
    for name, short in (("阿里华为合作中心", ""), ("华为技术有限公司", ""), ("深圳市华为投资控股有限公司", "华为")):
        account_create(actor=carol, data={"name": name, "short_name": short})
    # Alphabetically (a…, hua…, shen…) the order would be the reverse.
    assert names(carol, "华为") == ["深圳市华为投资控股有限公司", "华为技术有限公司", "阿里华为合作中心"]
    assert [h.rank for h in search(actor=carol, q="华为")] == [0, 1, 2]


def test_ties_are_broken_by_pinyin_order_then_id(carol):
    for name in ("张家口科技", "北京科技", "安徽科技", "北京科技"):
        Account.objects.create(name=name, owner=carol, search_text="", name_sort="")
    from guanxi.customers.search import backfill_search_fields

    backfill_search_fields(Account.objects.all())
    hits = search(actor=carol, q="科技")
    assert [h.name for h in hits] == ["安徽科技", "北京科技", "北京科技", "张家口科技"]
    assert hits[1].id < hits[2].id


def test_exact_and_prefix_matches_still_come_first_when_a_common_term_overflows(carol, monkeypatch):
    monkeypatch.setattr(search_selectors, "CANDIDATES", 3)
    for i in range(6):
        account_create(actor=carol, data={"name": f"安{'一二三四五六'[i]}科技有限公司"})
    account_create(actor=carol, data={"name": "科技园管理处"})
    account_create(actor=carol, data={"name": "中关村科技", "short_name": "科技"})
    found = names(carol, "科技", limit=3)
    assert found[:2] == ["中关村科技", "科技园管理处"]
    assert len(found) == 3


def test_a_rep_does_not_find_other_reps_accounts(carol, dave, bob, book):
    assert names(dave, "华为") == []
    assert names(dave, "13800138000") == []
    assert names(dave, "白云") == ["广州白云贸易有限公司"]
    assert names(carol, "白云") == []
    assert "北京华为科技有限公司" in names(bob, "华为")  # carol's manager


def test_deleted_accounts_are_not_found_until_restored(carol, book):
    account_delete(actor=carol, account=book["huawei"])
    assert names(carol, "huawei") == []
    assert names(carol, "科技") == []
    account_restore(actor=carol, account=book["huawei"])
    assert names(carol, "huawei") == ["北京华为科技有限公司"]


def test_renaming_an_account_updates_what_finds_it(carol, book):
    account = Account.objects.get(pk=book["bank"].pk)
    account_update(actor=carol, account=account, version=account.version, data={"name": "成都农商银行"})
    assert names(carol, "重庆") == []
    assert names(carol, "cdns") == ["成都农商银行"]
    assert names(carol, "农商") == ["成都农商银行"]
    assert Account.objects.get(pk=account.pk).name_sort == "cheng du nong shang yin hang"


def test_list_filter_uses_the_same_matching(carol, book):
    from guanxi.customers.search_selectors import filter_by_query

    qs = filter_by_query(Account.objects.all(), "hw")
    assert list(qs.values_list("name", flat=True)) == ["北京华为科技有限公司"]
    assert list(filter_by_query(Account.objects.all(), "重庆").values_list("name", flat=True)) == ["重庆银行股份有限公司"]


def test_search_runs_a_fixed_number_of_queries(carol, book, django_assert_max_num_queries):
    for i in range(30):
        account_create(actor=carol, data={"name": f"华为第{i}分公司"})
    with django_assert_max_num_queries(8):
        assert len(search(actor=carol, q="华为", limit=20)) == 20


def test_search_survives_a_table_rebuild_by_a_later_migration(carol, book):
    # Django's SQLite schema editor rebuilds a table to alter it, which drops triggers.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER customers_account_fts_{suffix}")
    search_db.ensure_sqlite_sync()
    account_create(actor=carol, data={"name": "杭州阿里巴巴网络"})
    assert names(carol, "阿里巴巴") == ["杭州阿里巴巴网络"]
    assert names(carol, "科技有") == ["北京华为科技有限公司"]


def test_query_validation(carol):
    from guanxi.customers.search_selectors import SearchQueryInvalid

    for bad in ("", "   ", "华" * 101):
        with pytest.raises(SearchQueryInvalid):
            search(actor=carol, q=bad)
    assert search(actor=carol, q="华" * 100) == []
    assert search(actor=carol, q="%_") == []


def test_a_merged_survivor_is_found_by_the_name_it_took_over(carol, book):
    from guanxi.customers.dedupe import account_merge

    other = account_create(actor=carol, data={"name": "成都天府软件园有限公司", "phone": "+86 28 8512 3456"})
    account_merge(actor=carol, survivor=book["bank"], merged=other, choices={"name": "merged", "phone": "merged"})
    assert names(carol, "天府") == ["成都天府软件园有限公司"]
    assert [h.id for h in search(actor=carol, q="028-8512-3456")] == [book["bank"].pk]
    assert names(carol, "重庆银行") == []


@pytest.mark.parametrize("q", ["13", "ji", "00"])
def test_one_and_two_character_queries_look_only_at_names_and_initials(carol, book, q):
    """'13' is in every mobile number and 'ji' in half the pinyin spellings (beijing, keji): a
    short query means a Chinese word or initials, so it matches names and initials only."""
    assert names(carol, q) == []


def test_two_letter_initials_and_one_chinese_character_still_find_the_account(carol, book):
    assert "北京华为科技有限公司" in names(carol, "hw")
    assert "北京华为科技有限公司" in names(carol, "华")
    assert "北京华为科技有限公司" in names(carol, "138")  # three digits or more: phones too
