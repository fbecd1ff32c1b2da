"""The one masking function (backend.privacy): what it masks, and what it must leave alone."""
import pytest

from backend.privacy import find_phones, mask_phone, mask_text

MOBILES = [
    ("请联系13812345678", "请联系138****5678"),
    ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
    ("手机139-8765-4321", "手机139****4321"),
    ("+8613912345678", "139****5678"),
    ("+86 139 1234 5678", "139****5678"),
    ("(+86)13912345678", "139****5678"),
    ("0086 13912345678", "139****5678"),
    ("0086-139-1234-5678", "139****5678"),
    ("打我电话15055551234。", "打我电话150****1234。"),
]
LANDLINES = [
    ("座机0551-65123456", "座机055****3456"),
    ("(0551)6512 3456找物业", "055****3456找物业"),
    ("0551 6512 3456", "055****3456"),
    ("电话65123456", "电话****3456"),
    ("座机：6512-3456", "座机：****3456"),
]
ID_CARDS = [
    ("身份证340104199003071234", "身份证340*************34"),
    ("证件号34010419900307123X，", "证件号340*************3X，"),
    ("老证340104900307123", "老证340**********23"),
]
NAMES = [
    ("联系人张三电话13812345678", "联系人张*电话138****5678"),
    ("我叫王小明，住5栋", "我叫王**，住5栋"),
    ("姓名：李四 手机 139 8765 4321", "姓名：李* 手机 139****4321"),
    ("联系人：欧阳娜娜女士", "联系人：欧***女士"),
]
UNTOUCHED = [
    "工单 20261127-0012 进展如何", "20261127-0012", "2026-11-27 15:30 发生", "2026年11月27日晚上10点",
    "3栋2单元501室", "12栋1502", "门牌 1301-1502", "滨湖欣园 15 栋 2 单元", "报警打110，热线12345", "10086",
    "车牌皖A12345", "温度 15 度", "大概 1880000111", "共 3 辆电瓶车在 2 号充电桩",
]


@pytest.mark.parametrize("text,masked", MOBILES + LANDLINES + ID_CARDS + NAMES)
def test_personal_data_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", UNTOUCHED)
def test_case_numbers_dates_and_buildings_stay(text):
    assert mask_text(text) == text


def test_masking_twice_changes_nothing_more():
    for text, masked in MOBILES + LANDLINES + ID_CARDS + NAMES:
        assert mask_text(masked) == masked


def test_names_given_as_contact_are_masked_wherever_they_appear():
    assert mask_text("张建国反映楼道堆物，张建国住3栋", names=["张建国"]) == "张**反映楼道堆物，张**住3栋"
    assert mask_text("有人反映", names=["", "王"]) == "有人反映"  # nothing to mask, no one-letter names


def test_empty_text_is_returned_as_is():
    assert mask_text(None) is None
    assert mask_text("") == ""


def test_mask_phone_keeps_three_and_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("0086 13812345678") == "138****5678"
    assert mask_phone("65551234") == "****1234"
    assert mask_phone("123") == "****"


def test_find_phones_lists_numbers_as_written():
    assert find_phones("联系人张三 138 1234 5678，或 0551-65123456，单号20261127-0012") == \
        ["138 1234 5678", "0551-65123456"]
    assert find_phones("座机 6512 3456") == ["6512 3456"]
    assert find_phones("3栋2单元501室") == []
    assert find_phones(None) == []
