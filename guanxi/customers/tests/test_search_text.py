"""The pure text functions behind search_text and name_sort, with hand-worked examples."""

from types import SimpleNamespace

from guanxi.customers.search import (
    name_sort_key,
    normalise,
    phone_digits,
    pinyin_full,
    pinyin_initials,
    query_terms,
    refresh_search_fields,
    search_document,
)


def test_normalise_folds_full_width_case_spaces_and_punctuation():
    assert normalise("Ｈｕａｗｅｉ") == "huawei"
    assert normalise("HUAWEI Co., Ltd.") == "huaweicoltd"
    assert normalise("北京 华为（科技）有限公司") == "北京华为科技有限公司"
    assert normalise("阿卜杜勒·穆罕默德") == "阿卜杜勒穆罕默德"
    assert normalise("１２３ＡＢＣ") == "123abc"
    assert normalise(None) == ""


def test_pinyin_full_and_initials_of_a_company_name():
    assert pinyin_full("北京华为科技有限公司") == "beijinghuaweikejiyouxiangongsi"
    assert pinyin_initials("北京华为科技有限公司") == "bjhwkjyxgs"


def test_pinyin_reads_characters_by_their_word():
    # 重 alone is zhòng, 行 alone is xíng, 厦 alone is shà: names need the reading inside the word.
    assert pinyin_full("重庆银行") == "chongqingyinhang"
    assert pinyin_initials("厦门长安汽车") == "xmcaqc"


def test_one_character_read_two_ways_in_one_name():
    # Readings in context are cached by their neighbourhood: each occurrence still gets its own.
    assert pinyin_full("重庆重要") == "chongqingzhongyao"
    assert pinyin_full("重要重庆") == "zhongyaochongqing"
    assert pinyin_full("长沙长大") == "changshazhangda"
    assert pinyin_full("A重庆B重要") == "achongqingbzhongyao"  # the path for names mixing scripts


def test_latin_runs_stay_whole_in_initials():
    assert pinyin_full("IBM 中国") == "ibmzhongguo"
    assert pinyin_initials("IBM 中国") == "ibmzg"
    assert pinyin_full("Ｈｕａｗｅｉ") == "huawei"


def test_phone_digits_of_any_format_compare_equal():
    mobile = {"+86 138-0013-8000", "0086 13800138000", "13800138000", "８６１３８００１３８０００", "+8613800138000"}
    assert {phone_digits(p) for p in mobile} == {"13800138000"}
    landline = {"(010) 6552 9988", "010-65529988", "+86 10 6552 9988", "+861065529988"}
    assert {phone_digits(p) for p in landline} == {"1065529988"}
    assert phone_digits("+1 415 555 0100") == "14155550100"
    assert phone_digits("no digits") == ""


def test_a_phone_query_is_searched_also_as_its_national_digits():
    assert query_terms("(010) 6552-9988") == ["01065529988", "1065529988"]
    assert query_terms("华为") == ["华为"]
    assert query_terms("!!!") == []


def test_search_document_holds_each_part_once_between_separators():
    doc = search_document(
        name="北京华为科技有限公司", short_name="华为", credit_code="91110000MA01ABCD2Q",
        phones=["+8613800138000"], emails=["Zhang.San@Huawei.com"],
    )
    assert doc == (
        "|北京华为科技有限公司|bjhwkjyxgs|华为|hw|~|beijinghuaweikejiyouxiangongsi|huawei"
        "|91110000ma01abcd2q|13800138000|zhangsanhuaweicom|"
    )
    # The names section (names and initials) ends with "~"; 1–2 character queries look only there.
    assert search_document(name="Huawei", short_name="HUAWEI") == "|huawei|~|"
    assert search_document(name="") == ""


def test_name_sort_key_orders_names_by_pinyin_syllable_by_syllable():
    names = ["中国银行", "阿里巴巴", "先锋科技", "西安交通", "北京华为"]
    assert sorted(names, key=name_sort_key) == ["阿里巴巴", "北京华为", "西安交通", "先锋科技", "中国银行"]
    assert name_sort_key("西安") == "xi an"


def test_refresh_search_fields_reads_account_and_contact_shapes():
    account = SimpleNamespace(name="华为", short_name="", credit_code=None, phone="+8613800138000", other_phones=[])
    refresh_search_fields(account)
    assert account.search_text == "|华为|hw|~|huawei|13800138000|"
    assert account.name_sort == "hua wei"
    contact = SimpleNamespace(name="张伟", mobile="+8613912345678", other_phones=["+861065529988"], email="zw@example.com", wechat="zhangwei88")
    refresh_search_fields(contact)
    assert contact.search_text == "|张伟|zw|~|zhangwei|13912345678|1065529988|zwexamplecom|zhangwei88|"
