"""Benchmarks of nlp/: classifications per second (chat-length messages, one core), time from process start
to a ready Analyzer with a cold and a warm jieba cache, and peak resident memory with everything loaded.

    python bench/nlp.py [--model MODEL_DIR] [--rounds N] [--json]

The rate is the best of N passes over the 608 development messages by wall clock (median shown too), and
again by CPU time (time.process_time): on a shared machine a pass's wall time includes time the process
waited for the core, its CPU time does not, so the CPU-time rate is the steadier figure for "one core".

Without --model, a model is trained on tests/data/complaints_dev.csv into a temporary directory so the
"with model" rows measure the same code path a street's own model would take."""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOUNDS = ROOT / "backend" / "demo_street" / "compounds.csv"
MESSAGES = [ROOT / "tests" / "data" / "complaints_dev.csv", ROOT / "tests" / "data" / "complaints_holdout.csv"]

# Runs in a fresh interpreter: what a server does at start, then reports its own figures.
CHILD = r"""
import json, os, sys, time
started = time.perf_counter()
from nlp import Analyzer, load_taxonomy, places_from_csv
compounds, cache_dir, model_dir, messages_file, rounds = sys.argv[1:6]
analyzer = Analyzer(load_taxonomy(), places_from_csv(compounds), model_dir=model_dir or None, cache_dir=cache_dir)
analyzer.analyze("楼下烧烤油烟太大")
ready = time.perf_counter() - started
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
rate = median = cpu_rate = cpu_median = None
if int(rounds):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    messages = json.load(open(messages_file, encoding="utf-8"))
    rates, cpu_rates = [], []
    for _ in range(int(rounds)):
        t, c = time.perf_counter(), time.process_time()
        for m in messages:
            analyzer.analyze(m)
        rates.append(len(messages) / (time.perf_counter() - t))
        cpu_rates.append(len(messages) / max(time.process_time() - c, 1e-9))
    rates.sort()
    cpu_rates.sort()
    rate, median = rates[-1], rates[len(rates) // 2]
    cpu_rate, cpu_median = cpu_rates[-1], cpu_rates[len(cpu_rates) // 2]
print(json.dumps({"ready_s": ready, "peak_rss_mb": peak_kb / 1024, "per_second": rate, "median_per_second": median,
                  "cpu_per_second": cpu_rate, "cpu_median_per_second": cpu_median,
                  "sklearn_loaded": "sklearn" in sys.modules}))
"""


def child(cache_dir: Path, model_dir: str, messages_file: Path, rounds: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(COMPOUNDS), str(cache_dir), model_dir, str(messages_file),
                          str(rounds)], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def train_demo_model(out: Path, cache_dir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from nlp.tokenizer import Tokenizer
    from nlp.train import read_labelled_csv, train_model

    texts, labels = read_labelled_csv(MESSAGES[0])
    train_model(texts, labels, Tokenizer(cache_dir).cut).save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a trained model directory (default: one trained on the dev set)")
    parser.add_argument("--rounds", type=int, default=40,
                        help="passes over the 608 messages; the best pass gives the rate, the median is shown too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        messages = []
        for path in MESSAGES:
            with open(path, newline="", encoding="utf-8") as f:
                messages += [row["text"] for row in csv.DictReader(f)]
        messages_file = tmp / "messages.json"
        messages_file.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
        cache = tmp / "cache"
        cold = child(cache, "", messages_file, 0)
        warm = child(cache, "", messages_file, args.rounds)
        model_dir = args.model
        if not model_dir:
            model_dir = str(tmp / "model")
            train_demo_model(Path(model_dir), cache)
        with_model = child(cache, model_dir, messages_file, args.rounds)
    mean_chars = sum(map(len, messages)) / len(messages)
    figures = {
        "messages": len(messages), "mean_chars": round(mean_chars, 1),
        "keyword_only_per_second": round(warm["per_second"]),
        "keyword_only_median_per_second": round(warm["median_per_second"]),
        "with_model_per_second": round(with_model["per_second"]),
        "with_model_median_per_second": round(with_model["median_per_second"]),
        "keyword_only_per_cpu_second": round(warm["cpu_per_second"]),
        "keyword_only_median_per_cpu_second": round(warm["cpu_median_per_second"]),
        "with_model_per_cpu_second": round(with_model["cpu_per_second"]),
        "with_model_median_per_cpu_second": round(with_model["cpu_median_per_second"]),
        "ready_cold_cache_s": round(cold["ready_s"], 3),
        "ready_warm_cache_s": round(warm["ready_s"], 3),
        "ready_warm_cache_with_model_s": round(with_model["ready_s"], 3),
        "peak_rss_cold_start_mb": round(cold["peak_rss_mb"], 1),
        "peak_rss_keyword_only_mb": round(warm["peak_rss_mb"], 1),
        "peak_rss_with_model_mb": round(with_model["peak_rss_mb"], 1),
        "model": args.model or "trained on tests/data/complaints_dev.csv",
        "sklearn_loaded_when_serving": with_model["sklearn_loaded"],
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"chat-length messages: {figures['messages']}, mean {figures['mean_chars']} characters; one core")
    print(f"  classifications/s, keyword only       {figures['keyword_only_per_second']:>8}"
          f"   (median round {figures['keyword_only_median_per_second']})")
    print(f"  classifications/s, with model         {figures['with_model_per_second']:>8}"
          f"   (median round {figures['with_model_median_per_second']})")
    print(f"  per CPU second (time on the core), keyword only {figures['keyword_only_per_cpu_second']:>8}"
          f"   (median round {figures['keyword_only_median_per_cpu_second']})")
    print(f"  per CPU second (time on the core), with model   {figures['with_model_per_cpu_second']:>8}"
          f"   (median round {figures['with_model_median_per_cpu_second']})")
    print(f"  ready (process start), cold cache     {figures['ready_cold_cache_s']:>8} s")
    print(f"  ready (process start), warm cache     {figures['ready_warm_cache_s']:>8} s")
    print(f"  ready, warm cache, with model         {figures['ready_warm_cache_with_model_s']:>8} s")
    print(f"  peak RSS, cold start                  {figures['peak_rss_cold_start_mb']:>8} MB")
    print(f"  peak RSS, warm, keyword only          {figures['peak_rss_keyword_only_mb']:>8} MB")
    print(f"  peak RSS, warm, with model            {figures['peak_rss_with_model_mb']:>8} MB")
    print(f"  model: {figures['model']}; scikit-learn imported when serving: {figures['sklearn_loaded_when_serving']}")


if __name__ == "__main__":
    main()
