"""nlp.emergency: the rule set of emergencies (nlp/emergencies.toml) on fresh sentences: kinds and numbers,
hazards, denials and past events."""
import pytest

import nlp
from nlp.emergencies import DEFAULT_RULES, EmergencyRules


@pytest.mark.parametrize("text, kind, number", [
    ("六楼有户人家窗户着火了，烟很大", "fire", "119"),
    ("车库里一辆车自燃了", "fire", "119"),
    ("一进单元门就是一股很冲的燃气味", "gas", "119"),
    ("天然气管道被挖破了，正在往外喷", "gas", "119"),
    ("路边的电缆在打火，噼啪直响", "electric", "119"),
    ("有个工人触电了", "electric", "119"),
    ("电梯停在半空中，里面困着三个人", "trapped", "119"),
    ("一辆货车撞了人，那人躺在地上不动", "injury", "120"),
    ("邻居大爷在楼梯上摔倒了，起不来", "injury", "120"),
    ("施工的围墙塌了，压住了路", "collapse", "110"),
    ("马路上突然塌陷出一个大坑", "collapse", "110"),
    ("有个学生掉进河里了，在水里挣扎", "drowning", "110"),
    ("两个人在超市门口持刀打架", "violence", "110"),
])
def test_danger_happening_now_is_an_emergency_with_its_number(text, kind, number):
    e = nlp.emergency(text)
    assert e is not None and e.kind == kind and e.number == number
    assert e.call and not e.hazard and e.priority == "urgent" and e.advice
    assert e.evidence


@pytest.mark.parametrize("text, kind", [
    ("楼道里堆的都是纸箱，万一着火就麻烦了", "fire"),
    ("我很担心这些老电线会漏电", "electric"),
    ("车停满了消防车道，真有火灾进都进不来", None),
    ("井盖松了，容易有人掉进去受伤", "injury"),
    ("这堵墙裂了缝，怕哪天塌下来", "collapse"),
    ("充电线从窗户拉下来，存在火灾隐患", "fire"),
    ("天台的门被锁死了，要是着火了往哪逃", "fire"),
])
def test_feared_danger_is_a_hazard_without_call_advice(text, kind):
    e = nlp.emergency(text)
    if kind is None:
        assert e is None or e.hazard
        return
    assert e is not None and e.hazard and not e.call and kind in e.kinds
    assert e.advice == "" and e.priority == "high"


@pytest.mark.parametrize("text", [
    "没有着火，是楼下在烤红薯冒的烟",
    "放心，没人受伤，就是车刮了一下",
    "楼下烧烤的烟熏得人受不了",
    "烟大得跟着火了似的",
    "路灯坏了好几天",
    "有人在小区里遛狗不牵绳",
])
def test_denied_compared_or_ordinary_is_no_emergency(text):
    e = nlp.emergency(text)
    assert e is None or e.hazard


@pytest.mark.parametrize("text", [
    "前天夜里这栋楼着过一次火，现在楼道还是堆满东西",
    "刚才有人晕倒了，现在已经送医院了",
    "上周电梯困过人，已经修好了",
    "前两天楼道里着过火，想问问社区有没有补助",
    "上礼拜电梯困过人，现在想问问维保是谁负责",
    "前阵子家里着了火，东西烧了不少，能申请救助吗",
])
def test_past_and_resolved_danger_is_not_an_emergency_now(text):
    e = nlp.emergency(text)
    assert e is None or (e.hazard and not e.call)


def test_several_kinds_give_every_number_first_one_first():
    e = nlp.emergency("厨房着火了，我老公被烧伤了")
    assert e.kind == "fire" and e.numbers[0] == "119" and "120" in e.numbers


def test_a_cry_for_help_alone_is_an_emergency_and_a_named_danger_wins_over_it():
    assert nlp.emergency("救命").kind == "unspecified"
    assert nlp.emergency("救命！楼下着火了").kind == "fire"


def test_a_street_can_add_a_kind_as_data(tmp_path):
    rules = DEFAULT_RULES.read_text(encoding="utf-8")
    extra = tmp_path / "emergencies.toml"
    extra.write_text(rules + '\n[kinds.bees]\nname = "马蜂窝"\nnumber = "119"\ncategory = "emergency"\n'
                     'advice = "远离蜂窝"\ncues = ["马蜂蜇人"]\n', encoding="utf-8")
    e = EmergencyRules(extra).read("楼下马蜂蜇人了")
    assert e.kind == "bees" and e.number == "119" and e.name == "马蜂窝"


@pytest.mark.parametrize("text, now", [
    ("去年这栋楼着过一次火，现在走廊里又摆满了电瓶车", False),
    ("上午着过一次火，现在还在冒烟", True),
    ("前两天着过火，现在还在冒烟", True),
    ("前阵子着过一次火，现在又冒烟了", True),
    ("今天前门那边着火了，烟很大", True),  # 今天前门 holds 天前, no past
])
def test_a_past_danger_goes_on_only_if_its_own_clause_or_the_next_short_one_says_so(text, now):
    e = nlp.emergency(text)
    assert e.kind == "fire" and e.call is now
