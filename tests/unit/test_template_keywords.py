"""Template keywords as WeChat defines them: each type's rules declared once, values fitted by cutting (never
by adding characters), the templates file checked at start, and the README's example a working file."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import main
from backend.pushes import TEMPLATE_FIELDS
from bot.config import ConfigError, Settings
from bot.wechat.templates import KEYWORD_TYPES, fit, fits, keyword_type, parse_templates

README = Path(__file__).resolve().parents[2] / "README.md"

# fresh values of the kind pushes carry, written for this test (not taken from any push in the code)
SAMPLES = [
    "20261203-0415", "20261203-0415（紧急）", "紫云路与望江西路交口东北角的井盖松动，电动车经过时哐哐响，夜里尤其危险",
    "已受理", "联合核实中请耐心等待", "2026-12-03 07:45", "时间：2026-12-03 07:45 前到场", "12:05~13:30",
    "2026年12月3日", "共 3 个车位空闲", "6/12", "皖A·D12345", "欧阳娜娜", "Zhang Wei-Ming", "0551-6288 8866",
    "+86 138 0000 1111", "¥12.50元", "OK!", "…", "", "   ", "①②③", "ABC_def-123 ghi",
]


def is_cut_from(value: str, original: str) -> bool:
    """`value` keeps characters of `original` in order (a subsequence): nothing was added."""
    rest = iter(original)
    return all(char in rest for char in value)


@pytest.mark.parametrize("kind", sorted(KEYWORD_TYPES))
def test_every_type_fits_by_cutting_and_the_result_is_accepted(kind):
    for sample in SAMPLES:
        fitted = fit(kind, sample)
        if KEYWORD_TYPES[kind].words:  # free text: cut at a word, an ellipsis allowed
            assert len(fitted) <= KEYWORD_TYPES[kind].limit
            assert is_cut_from(fitted.removesuffix("…"), " ".join(sample.split()))
        else:
            assert is_cut_from(fitted, sample), (kind, sample, fitted)  # so no "…" of its own either
        assert fitted == "" or fits(kind, fitted), (kind, sample, fitted)


@pytest.mark.parametrize("kind,value,fitted", [
    ("character_string", "20261203-0415（紧急）", "20261203-0415"),
    ("character_string", "x" * 40, "x" * 32),
    ("phrase", "联合核实中请耐心等待", "联合核实中"),
    ("phrase", "处理中ABC", "处理中"),
    ("thing", "紫云路与望江西路交口东北角的井盖松动，电动车经过时哐哐响", "紫云路与望江西路交口东北角的井盖松动…"),
    ("time", "时间：2026-12-03 07:45 前到场", "2026-12-03 07:45"),
    ("time", "12:05~13:30", "12:05~13:30"),
    ("date", "2026年12月3日", "2026年12月3日"),
    ("number", "共 3 个车位空闲", "3"),
    ("letter", "ABC_def-123", "ABCdef"),
    ("symbol", "OK!?...", "!?..."),
    ("car_number", "皖A·D12345", "皖AD12345"[:8]),
    ("name", "欧阳娜娜（网格员）", "欧阳娜娜网格员"),
    ("name", "Zhang Wei-Ming", "ZhangWei-Ming"),
    ("phone_number", "0551-6288 8866", "0551-62888866"),
    ("amount", "收费 ¥12.50元", "¥12.50元"),
])
def test_values_are_cut_to_the_rules_of_their_type(kind, value, fitted):
    assert fit(kind, value) == fitted


def test_a_keyword_type_is_its_name_without_the_number():
    assert [keyword_type(k) for k in ("thing12", "character_string1", "first", "time3")] == [
        "thing", "character_string", "first", "time"]


def readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("### Templates", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_is_a_working_templates_file():
    specs = parse_templates(readme_example(), "README")
    assert {"case_status", "dispatch"} <= set(specs)
    for kind, spec in specs.items():
        values = {name: f"{name} 的一个值 2026-12-03 07:45 20261203-0415 已受理" for name in TEMPLATE_FIELDS[kind]}
        data = spec.fill(values)
        assert set(data) == set(spec.fields)
        assert all(fits(keyword_type(k), v) for k, v in data.items()), data


@pytest.mark.parametrize("toml,says", [
    ('[case_status]\nid = "t"\n[case_status.fields]\nthing1 = "summary"\n', "case_status pushes have no field 'summary'"),
    ('[dispatch]\nid = "t"\n', "has an id but no [dispatch.fields] mapping"),
    ('[dispatch]\nid = "t"\n[dispatch.fields]\nwidget1 = "place"\n', "unknown keyword type 'widget'"),
    ('[dispach]\nid = "t"\n[dispach.fields]\nthing1 = "place"\n', "[dispach] is not a kind of push"),
    ('[survey]\nid = "t"\n[survey.fields]\nthing1 = "{question"\n', "[survey.fields] thing1"),
])
def test_a_wrong_templates_file_stops_the_start_with_one_line(tmp_path, monkeypatch, capsys, toml, says):
    (tmp_path / "t.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WECHAT_TEMPLATES_FILE": str(tmp_path / "t.toml")})
    assert says in str(refused.value) and "\n" not in str(refused.value)
    monkeypatch.setenv("WECHAT_TEMPLATES_FILE", str(tmp_path / "t.toml"))
    monkeypatch.chdir(tmp_path)
    assert main.main(["serve"]) == 2
    assert says in capsys.readouterr().err


def test_an_id_from_the_environment_needs_the_files_mapping(tmp_path):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WECHAT_TEMPLATE_DISPATCH": "template:abc"})
    assert "maps no keywords for [dispatch]" in str(refused.value)
