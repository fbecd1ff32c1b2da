"""The trained model (train, save, load, evaluate, serve without scikit-learn), the CLI and the start-up."""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nlp import Analyzer, load_taxonomy, places_from_csv
from nlp.cli import add_subcommands, run
from nlp.linear import LinearModel
from nlp.tokenizer import Tokenizer
from nlp.train import evaluate, read_labelled_csv, train_model

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data")
COMPOUNDS = ROOT / "backend" / "demo_street" / "compounds.csv"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "nlp-cache"


@pytest.fixture(scope="module")
def tokenizer(cache):
    return Tokenizer(cache)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tokenizer):
    texts, labels = read_labelled_csv(DATA / "complaints_dev.csv")
    out = tmp_path_factory.mktemp("model")
    train_model(texts, labels, tokenizer.cut).save(out)
    return out


def test_model_trained_on_one_set_generalises_to_unseen_messages(model_dir, tokenizer):
    texts, labels = read_labelled_csv(DATA / "complaints_holdout.csv")
    report = evaluate(LinearModel.load(model_dir), texts, labels, tokenizer.cut)
    assert set(report) >= {"accuracy", "macro_f1", "per_class", "confusion"}
    assert report["macro_f1"] >= 0.6  # 464 short examples; chance is 1/18
    assert set(report["per_class"]["noise"]) >= {"precision", "recall", "f1"}
    assert sum(report["confusion"]["noise"].values()) == report["per_class"]["noise"]["support"]


def test_saved_model_is_plain_files_and_loads_to_the_same_scores(model_dir, tokenizer):
    assert {p.name for p in model_dir.iterdir()} == {"model.json", "vocab.txt", "idf.npy", "weights.npy"}
    model = LinearModel.load(model_dir)
    assert 0.02 <= model.temperature <= 5.0
    probs = model.probabilities("楼下烧烤油烟太大", tokenizer.cut("楼下烧烤油烟太大"))
    assert max(probs, key=probs.get) == "bbq_fumes"
    assert abs(sum(probs.values()) - 1.0) < 1e-5


def test_model_labels_in_any_naming_map_to_taxonomy_codes(tmp_path, tokenizer, cache):
    texts = ["楼下烧烤油烟太大", "烧烤摊冒烟", "油烟直排熏死人", "广场舞太吵", "装修噪音吵死了", "半夜唱歌扰民"] * 3
    labels = ["餐饮油烟", "餐饮油烟", "餐饮油烟", "噪声扰民", "噪声扰民", "噪声扰民"] * 3
    train_model(texts, labels, tokenizer.cut).save(tmp_path)
    analyzer = Analyzer(load_taxonomy(), [], model_dir=tmp_path, cache_dir=cache)
    u = analyzer.analyze("楼下有股味道")  # no keyword: the model speaks alone
    assert u.candidates[0][0] in {"bbq_fumes", "noise"}
    assert analyzer.analyze("不是噪音，是油烟").category == "bbq_fumes"


def test_analyzer_with_model_still_handles_bad_input(model_dir, cache):
    analyzer = Analyzer(load_taxonomy(), places_from_csv(COMPOUNDS), model_dir=model_dir, cache_dir=cache)
    for text in ["", "😀", "\x00", "垃圾" * 5000]:
        assert analyzer.analyze(text).category in load_taxonomy().codes
    assert analyzer.analyze("小区门口的路灯坏了一个星期了").category == "municipal_facility"


def test_read_labelled_csv_names_a_missing_column(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("content,type\n路灯坏了,市政\n", encoding="utf-8")
    assert read_labelled_csv(path, "content", "type") == (["路灯坏了"], ["市政"])
    with pytest.raises(ValueError, match="text"):
        read_labelled_csv(path)


# --- CLI -----------------------------------------------------------------------------------------------------

def cli(*argv):
    parser = argparse.ArgumentParser(prog="main.py")
    add_subcommands(parser.add_subparsers(dest="command", required=True), lambda: places_from_csv(COMPOUNDS))
    return run(parser.parse_args(list(argv)))


def test_cli_classify_prints_the_issue_keys(capsys, cache):
    assert cli("nlp", "classify", "--json", "--cache-dir", str(cache), "欣园3栋楼下又有人摆摊卖烧烤，油烟熏得窗都不敢开") == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[:10] == ["category", "confidence", "candidates", "compound", "compound_candidates",
                              "building", "time", "urgent", "repeat", "intent"]
    assert (out["category"], out["compound"], out["building"]) == ("bbq_fumes", None, "3栋")
    assert "C03" in out["compound_candidates"] and out["repeat"] is True


def test_cli_classify_file_prints_json_lines(tmp_path, capsys, cache):
    lines = tmp_path / "messages.txt"
    lines.write_text("小区门口的路灯坏了一个星期了\n\n楼道里有人飞线给电瓶车充电太危险了\n", encoding="utf-8")
    assert cli("nlp", "classify", "--file", str(lines), "--cache-dir", str(cache)) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["category"] for r in rows] == ["municipal_facility", "ev_charging"]


def test_cli_train_then_eval(tmp_path, capsys, cache):
    data = tmp_path / "orders.csv"
    with open(DATA / "complaints_dev.csv", encoding="utf-8") as src, open(data, "w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["内容", "类别"])
        writer.writerows([row["text"], row["label"]] for row in csv.DictReader(src))
    out = tmp_path / "model"
    assert cli("nlp", "train", "--data", str(data), "--text-column", "内容", "--label-column", "类别",
               "--out", str(out), "--cache-dir", str(cache)) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["trained_on"] == 464 and len(trained["labels"]) == 18
    assert cli("nlp", "eval", "--model", str(out), "--data", str(DATA / "complaints_holdout.csv"), "--json",
               "--cache-dir", str(cache)) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"accuracy", "macro_f1", "per_class", "confusion"}


# --- start-up --------------------------------------------------------------------------------------------------

def test_jieba_cache_is_built_once_and_reused(tmp_path):
    Tokenizer(tmp_path)
    caches = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert any(name.endswith(".cache") for name in caches)
    started = time.perf_counter()
    Tokenizer(tmp_path)
    assert time.perf_counter() - started < 1.0
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == caches


SERVE = """
import sys
from nlp import Analyzer, load_taxonomy, places_from_csv
a = Analyzer(load_taxonomy(), places_from_csv(sys.argv[1]), model_dir=sys.argv[2], cache_dir=sys.argv[3])
a.analyze("楼下烧烤油烟太大")
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(peak_kb // 1024, "sklearn" in sys.modules, "scipy" in sys.modules)
"""


def test_serving_with_a_model_stays_small_and_never_imports_scikit_learn(model_dir, cache):
    out = subprocess.run([sys.executable, "-c", SERVE, str(COMPOUNDS), str(model_dir), str(cache)], cwd=ROOT,
                         capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak_mb, sklearn, scipy = out.stdout.split()
    assert int(peak_mb) <= 200
    assert sklearn == "False" and scipy == "False"


# --- the serving path's own segmentation and features --------------------------------------------------------

def test_fast_cut_gives_exactly_jiebas_words(cache):
    """Tokenizer.cut re-implements jieba's cut(HMM=False) for speed: it must give the same words."""
    tokenizer = Analyzer(load_taxonomy(), places_from_csv(COMPOUNDS), cache_dir=cache).tokenizer
    texts = []
    for name in ("complaints_dev.csv", "complaints_holdout.csv"):
        texts += read_labelled_csv(DATA / name)[0]
    texts += ["", "  ", "a b\r\nc", "abc123 中文ABC 3栋2单元 5#楼 12.5%", "ＡＢＣ全角１２３", "😀😀", "c++ 和 -x_y",
              "滨湖欣园东门占道经营飞线充电", "\x1c\u3000x", "垃圾" * 500]
    for text in texts:
        for variant in (text, text.lower()):
            expected = [w for w in tokenizer._jieba.cut(variant, HMM=False) if not w.isspace()]
            assert tokenizer.cut(variant) == expected, variant


def test_fast_model_features_equal_the_plain_computation(model_dir, tokenizer):
    """LinearModel.vector (plain floats, word look-up without the prefix) equals TF-IDF done the long way."""
    import math
    from collections import Counter

    import numpy as np
    from nlp.features import char_grams, word_grams

    model = LinearModel.load(model_dir)
    for text in ["楼下烧烤油烟太大", "小区门口的路灯坏了一个星期了，路灯路灯", "", "😀", "垃圾" * 300]:
        words = tokenizer.cut(text)
        expected = {}
        for grams in (char_grams(text, model.max_char_n), word_grams(words)):
            counts = Counter(model.vocab[g] for g in grams if g in model.vocab)
            values = {i: (math.log(c) + 1.0) * float(model.idf[i]) for i, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
            expected.update({i: v / norm for i, v in values.items()})
        ids, values = model.vector(text, words)
        assert dict(zip(ids.tolist(), values.tolist())) == pytest.approx(expected, abs=1e-6)
        probs = model.probabilities(text, words)
        assert abs(sum(probs.values()) - 1.0) < 1e-6 and list(probs) == model.labels
        assert np.isfinite(list(probs.values())).all()
