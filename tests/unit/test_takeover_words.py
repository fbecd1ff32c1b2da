"""The words that hand a resident to a person and the staff's duty commands (no HTTP, no database)."""
from backend import takeover as tk, texts as BT
from backend.workflow import CategoryRules, SlaPlan
from handlers import takeover as ht, texts as T, words


def test_asking_for_a_person_is_none_of_the_dialog_answers():
    for group in (words.HUMAN, words.UNSOLVED, words.END):
        for other in (words.CONFIRM, words.DENY, words.MODIFY, words.CANCEL, words.SKIP, words.NONE_OF_THESE):
            assert not group & other, (group & other)
    assert not words.HUMAN & words.UNSOLVED and not words.END & (words.HUMAN | words.UNSOLVED)


def test_request_words_are_read_whatever_the_punctuation_or_width():
    for said in ("人工", "转人工！", "  人工服务。", "人工客服?"):
        assert words.is_word(said, words.HUMAN), said
    for said in ("人工智能是什么", "我要反映人工湖的问题"):
        assert not words.is_word(said, words.HUMAN), said
    assert words.is_word("没解决。", words.UNSOLVED) and words.is_word("结束", words.END)


def test_duty_commands_take_an_optional_number_and_nothing_else():
    assert ht.DUTY.match("接入 2").groups() == ("接入", "2")
    assert ht.DUTY.match("接入#12").groups() == ("接入", "12")
    assert ht.DUTY.match("值班").groups() == ("值班", "")
    for said in ("接入点在哪", "值班室电话多少", "会话记录给我看看", "下班时间几点", "接入 99999999999999999999"):
        assert ht.DUTY.match(said) is None, said


def test_a_call_back_plan_survives_the_job_payload():
    plan = tk.Callback(CategoryRules("其他", {"accept": 120}, False, ("gongan",)), SlaPlan(60, 180, 900))
    assert tk.Callback.from_data(plan.to_data()) == plan


def test_durations_read_as_minutes_or_seconds():
    assert tk.duration_text(1800) == "30分钟" and tk.duration_text(45) == "45秒" and tk.duration_text(90) == "1分钟30秒"


def test_every_way_a_conversation_ends_has_both_texts():
    assert set(BT.TAKEOVER_ENDED) == {"resident", "staff", "idle"}
    for to_resident, to_staff in BT.TAKEOVER_ENDED.values():
        assert "人工" in to_resident and to_staff.startswith("【会话 #{n} 已结束】")
    assert set(T.TAKE_REFUSED) == {"not_on_duty", "busy", "unknown", "taken"}
