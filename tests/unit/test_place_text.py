"""A case's place as staff read it in pushes: a known place by name, a described one in the resident's
words, masked like the description (a number typed into the place reaches nobody's lock screen)."""
from backend.workflow import _place
from storage.models import Case


def test_a_described_place_is_marked_to_be_placed_and_masked():
    case = Case(compound_id=None, building=None, place_text="加油站对面，有事打13912345678")
    shown = _place(None, case)
    assert shown.endswith("（待定位）") and "加油站对面" in shown and "13912345678" not in shown


def test_a_known_place_shows_its_name_and_spot():
    assert _place("紫云路", Case(compound_id="R07", building="88号门口", place_text=None)) == "紫云路88号门口"
