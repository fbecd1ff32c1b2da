"""A WeCom text card as WeCom renders it: lines broken with <br>, at most 512 bytes of description, and the
lines telling the officer what to reply kept whole however long the resident's description is."""
from backend import texts as T
from bot.wecom.delivery import DESCRIPTION_LIMIT_BYTES, card_description, textcard

NUMBER = "20261202-0031"


def dispatch_text(description: str) -> str:
    return T.DISPATCH.format(title="新工单", number=NUMBER, priority="一般", category="井盖缺失",
                             place="滨湖欣园5栋", description=description, photos="",
                             accept_by="09:31", depart_by="09:33", arrive_by="09:45")


def test_a_long_dispatch_fits_512_bytes_with_br_breaks_and_every_command_kept():
    words = "楼下井盖缺失，晚上很黑看不清，已经有老人差点摔倒，" * 12  # ~300 characters, 900 bytes
    card = textcard(dispatch_text(words), "dispatch", NUMBER, "https://gz.test")
    description = card["description"]
    assert len(description.encode("utf-8")) <= DESCRIPTION_LIMIT_BYTES
    assert "\n" not in description and description.count("<br>") >= 3
    assert f"回复“接单 {NUMBER}”接单；之后“出发 {NUMBER}”“到场 {NUMBER}”“办结 {NUMBER} 说明”。" in description
    assert "时限：09:31前接单" in description and "地点：滨湖欣园5栋" in description
    assert "楼下井盖缺失" in description  # shortened, not dropped


def test_a_short_push_is_left_whole_and_markup_in_peoples_words_stays_text():
    assert card_description("第一行\n<b>第二行</b>\n\n“回访 N 结果”", 512) == "第一行<br>＜b＞第二行＜/b＞<br>“回访 N 结果”"


def test_commands_alone_over_the_limit_are_cut_at_the_end_not_overflowed():
    text = "\n".join(f"回复“办结 {NUMBER} 说明{i}”" for i in range(40))
    assert len(card_description(text, 512).encode("utf-8")) <= 512
