"""nlp.turn: what a message at a dialog step is, on fresh sentences."""
import pytest

import nlp
from nlp.turns import TURN_KINDS


@pytest.mark.parametrize("text", ["确认", "提交吧", "好的，就这样提交", "嗯嗯可以", "没问题的", "对的，没错",
                                  "OK", "行，交了吧", "是的是的", "好滴，提交"])
def test_confirmations_in_many_phrasings(text):
    assert nlp.turn(text, "confirm").kind == "confirm"


@pytest.mark.parametrize("text", ["算了", "不用了，谢谢", "取消吧", "不报了，我自己去找物业", "撤回", "还是算了吧"])
def test_cancellations(text):
    assert nlp.turn(text, "confirm").kind == "cancel"


@pytest.mark.parametrize("text", ["先别提交", "不提交"])
def test_a_denied_confirmation_is_not_a_confirmation(text):
    assert nlp.turn(text, "confirm").kind != "confirm"


@pytest.mark.parametrize("text, expecting", [
    ("你们中午休息吗", "confirm"), ("多久会有人联系我？", "confirm"), ("这事归城管管吗", "compound"),
    ("怎么查我反映的进度", None), ("?", "confirm"),
])
def test_questions(text, expecting):
    assert nlp.turn(text, expecting).kind == "question"


@pytest.mark.parametrize("text", ["你是真人吗", "哈哈哈哈", "谢谢啦", "👍👍", "。。。", "拜拜"])
def test_chitchat_and_emoji(text):
    assert nlp.turn(text, "confirm").kind == "chitchat"


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n"])
def test_empty(text):
    assert nlp.turn(text, "confirm").kind == "empty"


@pytest.mark.parametrize("text, verb", [("接单 0002", "接单"), ("办结 20261201-0003 已处理", "办结"), ("待办", "待办"),
                                        ("出发0001", "出发"), ("接入 3", "接入"), ("接入#3", "接入"), ("值班", "值班"),
                                        ("定位 0002 惠园路口", "定位")])
def test_staff_words(text, verb):
    t = nlp.turn(text, None)
    assert t.kind == "staff_command" and t.value == verb


@pytest.mark.parametrize("text, value", [("不对，是12栋", "12栋"), ("错了，应该是3栋2单元", "3栋2单元"),
                                         ("说错了，是惠园东区", "惠园东区"), ("改成晚上九点以后", "晚上九点以后")])
def test_corrections_carry_the_new_value(text, value):
    t = nlp.turn(text, "confirm")
    assert t.kind == "correction" and t.value == value


@pytest.mark.parametrize("text", ["还有，他们晚上把垃圾倒在绿化带里", "对了，那个摊子旁边还停了辆三轮车占道",
                                  "楼下烧烤能不能管一管？油烟都飘进屋了"])
def test_a_new_fact_at_the_summary_is_a_detail(text):
    t = nlp.turn(text, "confirm")
    assert t.kind == "detail" and t.value


def test_a_menu_number_is_an_answer_at_a_menu_only():
    assert nlp.turn("2", "confirm").kind == "answer" and nlp.turn("2", "confirm").value == "2"
    assert nlp.turn("3", "category").value == "3"


@pytest.mark.parametrize("text, expecting", [("不知道", "building"), ("跳过", "time"), ("不用了", "phone"),
                                             ("记不清了", "time")])
def test_optional_questions_can_be_passed_over(text, expecting):
    t = nlp.turn(text, expecting)
    assert t.kind == "answer" and t.skip


def test_building_answers_hold_a_building_or_nothing():
    assert nlp.turn("9", "building").value == "9栋"
    assert nlp.turn("在5号楼2单元那边", "building").value == "5栋2单元"
    t = nlp.turn("说不上来，整个小区都这样", "building")
    assert t.value is None and t.details.scope == "whole_compound"


def test_a_time_answer_keeps_what_else_it_says():
    t = nlp.turn("半夜两三点吧，一群人在楼下唱歌", "time")
    assert t.kind == "answer" and t.value == "半夜两三点"
    assert t.details.time.normalised == "02:00-03:00" and "唱歌" in t.details.what


def test_every_kind_is_declared():
    assert set(TURN_KINDS) == {"answer", "confirm", "cancel", "correction", "detail", "question", "chitchat",
                               "staff_command", "empty"}


@pytest.mark.parametrize("text, kind", [
    ("请问垃圾清运是几点", "question"), ("想咨询一下装修能到几点", "question"), ("需要拍照片吗？", "question"),
    ("楼下的狗天天叫能不能管管", "detail"), ("垃圾站那么臭怎么就没人管呢？", "detail"),
])
def test_a_question_about_something_named_unless_it_asks_to_act(text, kind):
    assert nlp.turn(text, "confirm").kind == kind


@pytest.mark.parametrize("text", ["谢谢你们，辛苦了", "你是人工还是机器人", "哈哈哈你真逗"])
def test_mostly_chitchat_is_chitchat(text):
    assert nlp.turn(text, None).kind == "chitchat"


@pytest.mark.parametrize("text", ["都不是", "以上都不是啊", "都没有"])
def test_none_of_a_menus_options(text):
    t = nlp.turn(text, "compound_choice")
    assert t.kind == "answer" and t.value is None and t.skip


@pytest.mark.parametrize("text, value", [("不是惠园西区，是惠园东区", "惠园东区"), ("不对不对，3栋说错了，是5栋", "5栋")])
def test_a_correction_naming_the_wrong_value_first_carries_the_right_one(text, value):
    t = nlp.turn(text, "confirm")
    assert t.kind == "correction" and t.value == value


def test_a_staff_verb_typed_in_a_report_fills_no_slot():
    """"接入 3" is the takeover's command: inside a report asking for the building it is no "3栋"."""
    t = nlp.turn("接入 3", "building")
    assert t.kind == "staff_command" and t.value == "接入"


def test_the_staff_verbs_are_the_ones_the_handlers_answer():
    from handlers import staff, takeover, words

    assert set(words.STAFF_VERBS["cases"]) == {*staff.ACTIONS, "待办", "统计"}
    assert {takeover.DUTY.match(v).group(1) for v in words.STAFF_VERBS["duty"]} == {"值班", "下班", "会话", "接入"}
    assert staff.BIND.match("绑定 AB12CD") and staff.COMMAND.match("帮助")
