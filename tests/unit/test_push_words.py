"""A staff push's words, read once for WeChat's template and WeCom's card alike."""
from backend.pushes import head_and_body, staff_template


def test_the_head_and_the_case_number_are_taken_off_the_words():
    assert head_and_body("【新工单】20261127-0012（一般）惠园西区3栋 楼道堆物") == ("新工单", "（一般）惠园西区3栋 楼道堆物")
    assert head_and_body("20261127-0012 居民补充：又堆满了") == (None, "居民补充：又堆满了")
    assert head_and_body("没有标题的话") == (None, "没有标题的话")


def test_the_template_summary_is_the_body_on_one_line():
    from datetime import datetime, timezone

    push = staff_template("dispatch", "【新工单】20261127-0012\n惠园西区  楼道堆物", datetime(2026, 12, 2, tzinfo=timezone.utc),
                          number="20261127-0012", place="惠园西区")
    assert push["fields"]["summary"] == "惠园西区 楼道堆物" and push["fields"]["case_number"] == "20261127-0012"
