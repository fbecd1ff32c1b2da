"""nlp.places.PlaceIndex on places given as data: a made-up town (not the demo street), so the rules are
tested apart from the street they were written for; then the demo street's own data file."""
from __future__ import annotations

import csv

import pytest

from backend.demo import DEMO_DIR
from nlp.normalize import normalize
from nlp.places import Place, PlaceIndex, places_from_csv
from storage.models import PLACE_KINDS

TOWN = [
    Place("A1", "金桂苑", ("金桂",)), Place("A2", "金桂花园"), Place("A3", "金桂东区"),
    Place("A4", "银杏家园"), Place("A5", "荷塘新村", ("荷塘",)),
    Place("R1", "金桂路", kind="road"), Place("R2", "长江西路", ("长江路",), kind="road"),
    Place("R3", "银杏大道", kind="road"), Place("R4", "荷塘街", kind="road"),
    Place("X1", "金桂路与长江西路交叉口", kind="intersection", roads=("R1", "R2")),
    Place("X2", "银杏大道与长江西路交叉口", kind="intersection", roads=("R3", "R2")),
    Place("M1", "金桂农贸市场", ("金桂菜场", "菜场"), kind="market", address="金桂路12号"),
    Place("M2", "荷塘菜场", kind="market"),
    Place("S1", "星光广场", kind="square", address="银杏大道300号"),
    Place("E1", "长江路小学", kind="school"),
    Place("A6", "天河湾畔"), Place("S2", "天河文化广场", ("天河湾广场",), kind="square"),
]


@pytest.fixture(scope="module")
def town() -> PlaceIndex:
    return PlaceIndex(TOWN)


def find(index: PlaceIndex, text: str):
    return index.find(normalize(text))


@pytest.mark.parametrize("text", [
    "金桂路和长江西路交叉口的信号灯不亮了",
    "长江西路与金桂路路口有个坑",
    "长江西路金桂路口早上堵死了",
    "金桂路跟长江路十字路口斑马线看不清",
    "金桂路与长江西路交叉口",
    "金桂路/长江西路那里井盖松了",
])
def test_two_roads_named_together_are_their_crossing_in_any_order_or_wording(town, text):
    m = find(town, text)
    assert (m.compound, m.candidates) == ("X1", ("X1",))


def test_a_crossing_is_not_mistaken_for_the_compounds_its_road_is_named_after(town):
    m = find(town, "金桂路上有人乱扔建筑垃圾")
    assert (m.compound, m.candidates) == ("R1", ("R1",))


def test_a_partial_compound_name_is_still_a_choice_among_compounds_only(town):
    m = find(town, "金桂那边晚上很吵")
    assert m.compound is None and set(m.candidates) == {"A1", "A2", "A3"}


def test_two_roads_that_do_not_cross_are_offered_as_a_choice(town):
    m = find(town, "金桂路和荷塘街之间那段路灯全灭了")
    assert m.compound is None and m.candidates == ("R1", "R4")


def test_two_roads_far_apart_in_the_sentence_are_not_a_crossing(town):
    m = find(town, "我从金桂路过来，看到银杏大道上有人摆摊")
    assert m.compound == "R1"


@pytest.mark.parametrize("text, place, detail", [
    ("荷塘街8号门口的垃圾桶满了", "R4", "8号门口"),
    ("长江西路一百二十号对面有人烧垃圾", "R2", "一百二十号对面"),
    ("金桂路12号门口三轮车占道", "M1", "门口"),  # an address is the place it belongs to
    ("银杏大道300号", "S1", None),
    ("星光广场旁边的人行道被挖开了", "S1", "旁边"),
    ("长江路小学的大门口一到放学就堵", "E1", "大门口"),
    ("银杏家园北门外面", "A4", "北门"),
])
def test_house_numbers_addresses_and_where_at_a_place(town, text, place, detail):
    m = find(town, text)
    assert (m.compound, m.detail) == (place, detail)


def test_a_number_of_a_building_is_not_a_house_number(town):
    m = find(town, "荷塘新村5号楼楼下")
    assert m.compound == "A5" and m.detail is None


def test_an_alias_shared_by_two_public_places_is_a_choice(town):
    m = find(town, "菜场门口卖活禽的又来了")
    assert m.compound is None and set(m.candidates) == {"M1", "M2"}


def test_a_declared_alias_beats_a_near_miss_it_covers_and_a_slip_still_finds_its_compound(town):
    assert find(town, "天河湾广场晚上放音乐太吵").compound == "S2"
    assert find(town, "天河湾半小区里的路灯坏了").compound == "A6"


def test_no_place_named(town):
    m = find(town, "楼上天天半夜拖椅子")
    assert m.compound is None and m.candidates == ()


# --- the demo street's places -------------------------------------------------------------------------------

def demo_rows() -> list[dict[str, str]]:
    with open(DEMO_DIR / "places.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_demo_street_has_at_least_40_public_places_each_owned_by_a_grid_cell():
    rows = demo_rows()
    compounds = {p.id: p for p in places_from_csv(DEMO_DIR / "compounds.csv")}
    kinds = {r["kind"] for r in rows}
    assert len(rows) >= 40 and {"road", "intersection", "square", "market", "park", "school"} <= kinds
    assert kinds <= set(PLACE_KINDS) - {"compound"}
    lats = [p.lat for p in compounds.values()]
    lngs = [p.lng for p in compounds.values()]
    ids = {r["place_id"] for r in rows}
    for r in rows:
        assert r["grid"] in compounds and compounds[r["grid"]].community == r["community"], r
        assert min(lats) - 0.005 <= float(r["lat"]) <= max(lats) + 0.005, r
        assert min(lngs) - 0.005 <= float(r["lng"]) <= max(lngs) + 0.005, r
        if r["kind"] == "intersection":
            assert len(r["roads"].split(";")) == 2 and set(r["roads"].split(";")) <= ids, r
    assert len(ids) == len(rows) and not ids & set(compounds)


@pytest.fixture(scope="module")
def street() -> PlaceIndex:
    return PlaceIndex(places_from_csv(DEMO_DIR / "compounds.csv", DEMO_DIR / "places.csv"))


@pytest.mark.parametrize("text, place", [
    ("云谷路和徽州大道路口早高峰红绿灯坏了", "X04"),
    ("欣园路与惠园路交叉口那个井盖翘起来了", "X09"),
    ("天鹅湖路徽州大道口有人发传单", "X03"),
    ("紫云广场晚上跳广场舞音响太大", "S02"),
    ("康园菜市场门口鸡鸭乱放", "M02"),
    ("天鹅湖公园湖边的栏杆断了", "K02"),
    ("寿春中学门口的流动摊贩", "E02"),
    ("紫云湾3栋楼下", "C33"),
    ("大圩路120号早上占道卖菜", "M04"),
])
def test_fresh_sentences_on_the_demo_street(street, text, place):
    assert find(street, text).compound == place
