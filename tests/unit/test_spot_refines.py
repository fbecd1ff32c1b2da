"""A spot said later names which one of an unnamed spot said before, and only then replaces it."""
import pytest

from handlers.draft import refines


@pytest.mark.parametrize("new, old", [("南门", "小区门口"), ("西门口", "小区门口"), ("东边那个垃圾房", "小区垃圾房"),
                                      ("3号楼前的停车场", "小区停车场")])
def test_a_named_one_refines_the_unnamed_one(new, old):
    assert refines(new, old)


@pytest.mark.parametrize("new, old", [("南门", "北门口"), ("绿化带", "小区门口"), ("小区门口", "小区门口"),
                                      ("门", "小区门口"), ("楼道", "6楼阳台")])
def test_anything_else_leaves_the_spot_said_first(new, old):
    assert not refines(new, old)


def test_a_place_says_its_building_once():
    from backend.places import spelled

    assert spelled("时代佳苑", "9栋", "9栋后面草坪") == "时代佳苑 9栋后面草坪"
    assert spelled("时代佳苑", "9栋", "草坪") == "时代佳苑9栋 草坪"
    assert spelled("时代佳苑", None, None) == "时代佳苑"
