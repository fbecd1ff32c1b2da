"""nlp.details: spot, building, scope, time as said and normalised, what happens; on fresh sentences."""
import pytest

import nlp


@pytest.mark.parametrize("text, spot", [
    ("北门", "北门"), ("西门那个小广场", "西门小广场"), ("11楼阳台上", "11楼阳台"), ("地下停车场B区", "地下停车场"),
    ("5栋1单元楼道里", "5栋1单元楼道"), ("垃圾站旁边", "垃圾站旁边"), ("7栋楼下", "7栋楼下"), ("小区中心花园", "中心花园"),
    ("快递柜那边", "快递柜"),
])
def test_spot(text, spot):
    assert nlp.details(text).spot == spot


@pytest.mark.parametrize("text", ["楼下", "旁边", "太吵了", "不知道"])
def test_no_spot_from_a_bare_relative_word_or_none(text):
    assert nlp.details(text).spot is None


@pytest.mark.parametrize("text, said, normalised", [
    ("半夜三四点", "半夜三四点", "03:00-04:00"),
    ("每天晚上九点以后", "每天晚上九点以后", "daily 21:00-"),
    ("下午两点到四点", "下午两点到四点", "14:00-16:00"),
    ("早上七点半左右", "早上七点半左右", "07:30-"),
    ("晚上十一点之前", "晚上十一点之前", "-23:00"),
    ("每到周末", "每到周末", "weekends"),
    ("经常傍晚", "经常傍晚", "often 18:00-23:00"),
])
def test_time_as_said_and_normalised(text, said, normalised):
    slot = nlp.details(text).time
    assert slot.said == said and slot.normalised == normalised


@pytest.mark.parametrize("text", ["一直", "天天", "一到", "经常", "总是这样", "好几个月了", "老是"])
def test_frequency_or_duration_alone_is_not_a_time(text):
    assert nlp.details(text).time is None


def test_building_holds_only_a_building_reference():
    d = nlp.details("不清楚，好像整个小区都有")
    assert d.building is None and d.scope == "whole_compound" and d.unknown
    assert nlp.details("就在12号楼后面那块空地上，有人乱倒垃圾").building == "12栋"


def test_what_happens_is_kept_apart_from_place_and_time():
    d = nlp.details("晚上十点多，南门口一帮人在喝酒吵闹")
    assert d.spot == "南门口" and d.time.said == "晚上十点多" and d.what == "一帮人在喝酒吵闹"


@pytest.mark.parametrize("text", ["徽州大道和紫云路交叉口", "紫云路与湖畔路路口的红绿灯坏了", "徽州大道188号门口",
                                  "在湖畔路上，靠近公交站"])
def test_road_text_does_not_break_the_extractors(text):
    d = nlp.details(text)
    assert d.building is None
    assert d.spot is None or len(d.spot) <= len(text)


def test_a_crossing_is_the_spot():
    assert nlp.details("徽州大道和紫云路交叉口的红绿灯坏了").spot == "徽州大道和紫云路交叉口"


@pytest.mark.parametrize("text, normalised", [
    ("每天下午五点开始到晚上十点", "daily 17:00-22:00"),
    ("一般周六晚上", "weekends 18:00-23:00"),
])
def test_time_ranges_across_parts_of_the_day_and_weekend_evenings(text, normalised):
    assert nlp.details(text).time.normalised == normalised


@pytest.mark.parametrize("text, spot", [("小区大门口那里", "大门口"), ("药店门口", "药店门口"), ("幼儿园旁边那块空地", "幼儿园旁边")])
def test_relative_words_anchored_on_a_named_place(text, spot):
    assert nlp.details(text).spot == spot


@pytest.mark.parametrize("text, what", [
    ("凌晨四点左右，垃圾车在楼下哐哐倒垃圾", "垃圾车在楼下哐哐倒垃圾"),
    ("东门那边，三轮车把路都堵了", "三轮车把路都堵了"),
    ("主要是早上七八点", None),
    ("8栋2单元楼道", None),
])
def test_what_happens_keeps_whole_clauses(text, what):
    assert nlp.details(text).what == what


@pytest.mark.parametrize("text, spot", [
    ("晚上广场舞的音响太响", None), ("充电桩坏了两个", None), ("垃圾桶边上全是苍蝇", "垃圾桶边上"),
    ("湖畔路18号门口的井盖松了", "18号门口"),
])
def test_things_and_words_that_only_contain_a_spot_noun_are_no_spot(text, spot):
    assert nlp.details(text).spot == spot
