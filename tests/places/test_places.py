"""Places as residents and 12345 callers name them, resolved to the whole administrative tree."""

import pytest

from bot.eligibility import screen
from bot.eligibility.engine import default_book
from bot.eligibility.inputs import Household
from bot.places import ancestors, find_place, place, whereabouts


@pytest.mark.parametrize(
    "text,code,name,level",
    [
        ("我在太原", "140100", "山西省太原市", "city"),
        ("周口的", "411600", "河南省周口市", "city"),
        ("延吉市", "222401", "吉林省延边朝鲜族自治州延吉市", "county"),
        ("天门", "429006", "湖北省天门市", "county"),
        ("长春朝阳区", "220104", "吉林省长春市朝阳区", "county"),
        ("吉林舒兰", "220283", "吉林省吉林市舒兰市", "county"),
        ("俺家长春朝阳区的", "220104", "吉林省长春市朝阳区", "county"),
        ("吉林省长春市朝阳区", "220104", "吉林省长春市朝阳区", "county"),
        ("北京朝阳那边", "110105", "北京市朝阳区", "county"),
        ("吉林", "220000", "吉林省", "province"),  # the province, not the city of the same name
        ("吉林市的", "220200", "吉林省吉林市", "city"),
        ("通化", "220500", "吉林省通化市", "city"),  # the city before its county 通化县
        ("海南东方", "469007", "海南省东方市", "county"),
        ("我在东方市", "469007", "海南省东方市", "county"),
        ("山东临沂", "371300", "山东省临沂市", "city"),
        ("北京", "110000", "北京市", "province"),
        ("延边州", "222400", "吉林省延边朝鲜族自治州", "city"),
        ("俺们在农安那边", "220122", "吉林省长春市农安县", "county"),
        ("在天门打工", "429006", "湖北省天门市", "county"),
        ("咱是黑龙江哈尔滨的", "230100", "黑龙江省哈尔滨市", "city"),
        ("内蒙古包头", "150200", "内蒙古自治区包头市", "city"),
    ],
)
def test_the_most_specific_place_named(text, code, name, level):
    found = find_place(text)
    assert (found.code, found.name, found.level) == (code, name, level)


@pytest.mark.parametrize(
    "text",
    [
        "朝阳",  # 北京 and 长春 both have a 朝阳区, 辽宁 a 朝阳市: an ordinary word alone
        "东方",
        "东方红",
        "朝阳区",  # a district name shared by two cities: we cannot pin it down
        "我去公安局报案了",
        "和平年代谁也不容易",
        "前进不了",
        "村里合作社",
        "孩子上高中了",
        "我们这儿是城区",
        "家长会",
        "俺家在农村，一个人过",
        "一个月到手三千八",
        "俺俩都六十多了 没儿没女",
        "住院花了三万",
    ],
)
def test_no_place_in_ordinary_words(text):
    assert find_place(text) is None


@pytest.mark.parametrize(
    "text,now,home",
    [
        ("我老家河南周口的 现在在长春打工", "220100", "411600"),
        ("我是周口人 在太原上班", "140100", "411600"),
        ("户口在吉林舒兰，人在天门", "429006", "220283"),
        ("我在太原", "140100", None),
        ("老家湖北天门的", None, "429006"),
    ],
)
def test_where_now_and_where_from(text, now, home):
    found = whereabouts(text)
    assert (found.now and found.now.code, found.home and found.home.code) == (now, home)


def test_a_prescreen_follows_home_and_an_emergency_where_the_person_is():
    found = whereabouts("我老家河南周口的 现在在长春打工")
    assert found.for_screening.code == "411600"
    assert found.for_emergency.code == "220100"
    alone = whereabouts("老家湖北天门的")
    assert alone.for_emergency.code == alone.for_screening.code == "429006"


def test_tree():
    assert ancestors("140105") == ["140100", "140000"]
    assert ancestors("429006") == ["420000"]  # 省直辖 county: no pseudo city between
    assert place("110105").parent == "110000"  # 北京's districts sit under the municipality
    assert place("999999") is None


@pytest.mark.parametrize(
    "code,chain",
    [
        ("140105", ["140105", "140100", "140000", "CN"]),  # 太原 小店区: no file of its own → 太原's
        ("140108", ["140108", "140100", "140000", "CN"]),
        ("220104", ["220104", "220100", "220000", "CN"]),  # 长春 朝阳区 → 长春's file
        ("411600", ["411600", "410000", "CN"]),  # 周口: no file of its own → 河南's
        ("450100", ["450100", "CN"]),  # 南宁: no 广西 file → the national baseline
        ("220100", ["220100", "220000", "CN"]),  # a region with its own file is unchanged
    ],
)
def test_any_division_takes_its_nearest_ancestors_parameters(code, chain):
    book = default_book()
    assert code in book
    assert [r.code for r in book.chain(code)] == chain


@pytest.mark.parametrize("code", ["999999", "12345", "220000x", "北京"])
def test_a_code_that_is_no_place_is_still_unknown(code):
    assert code not in default_book()
    with pytest.raises(KeyError):
        default_book().region(code)


def test_screen_accepts_any_county_and_keeps_its_code():
    result = screen(Household(region="140105", size=3, monthly_income=1200, area="urban", assets_within_limit=True))
    assert (result.region, result.region_name) == ("140105", "山西省太原市小店区")
    assert result.decided
