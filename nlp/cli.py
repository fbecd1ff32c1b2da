"""`nlp` subcommands: classify, train, eval. main.py registers them with add_subcommands()."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable

from .places import Place
from .taxonomy import load_taxonomy

PlacesLoader = Callable[[], list[Place]]
DEFAULT_CACHE_DIR = "data"


def add_subcommands(subparsers, places_loader: PlacesLoader) -> argparse.ArgumentParser:
    """Register `nlp classify | train | eval` under a parent `nlp` command; returns the `nlp` parser."""
    nlp = subparsers.add_parser("nlp", help="look inside the language understanding; train and evaluate models")
    commands = nlp.add_subparsers(dest="nlp_command", required=True)

    def common(parser):
        parser.add_argument("--taxonomy", help="taxonomy TOML (default: nlp/taxonomy.toml)")
        parser.add_argument("--cache-dir", default=os.environ.get("DATA_DIR", DEFAULT_CACHE_DIR),
                            help="where jieba's dictionary cache is kept (default: $DATA_DIR or ./data)")

    classify = commands.add_parser("classify", help="classify one text, or one text per line of a file")
    classify.add_argument("text", nargs="?", help="the message")
    classify.add_argument("--file", help="classify each line of FILE and print JSON lines")
    classify.add_argument("--json", action="store_true", help="print JSON (always JSON lines with --file)")
    classify.add_argument("--model", default=os.environ.get("NLP_MODEL_DIR"),
                          help="trained model directory (default: $NLP_MODEL_DIR)")
    common(classify)
    classify.set_defaults(handler=lambda args: _classify(args, places_loader))

    train = commands.add_parser("train", help="train a model from a labelled CSV")
    train.add_argument("--data", required=True, help="CSV with a text and a label column")
    train.add_argument("--text-column", default="text")
    train.add_argument("--label-column", default="label")
    train.add_argument("--out", required=True, help="model directory to write")
    common(train)
    train.set_defaults(handler=lambda args: _train(args, places_loader))

    evaluate = commands.add_parser("eval", help="evaluate a model on a labelled CSV")
    evaluate.add_argument("--model", required=True, help="model directory")
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--text-column", default="text")
    evaluate.add_argument("--label-column", default="label")
    evaluate.add_argument("--json", action="store_true", help="print the full report as JSON")
    common(evaluate)
    evaluate.set_defaults(handler=lambda args: _eval(args, places_loader))
    return nlp


def run(args) -> int:
    return args.handler(args)


def _analyzer(args, places_loader: PlacesLoader, model_dir=None):
    from .analyzer import Analyzer

    return Analyzer(load_taxonomy(args.taxonomy), places_loader(), model_dir=model_dir, cache_dir=args.cache_dir)


def _classify(args, places_loader: PlacesLoader) -> int:
    if not args.text and not args.file:
        print("nlp classify: give TEXT or --file FILE", file=sys.stderr)
        return 2
    analyzer = _analyzer(args, places_loader, args.model)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.strip():
                    print(json.dumps(analyzer.analyze(line).as_json(), ensure_ascii=False))
        return 0
    understanding = analyzer.analyze(args.text)
    if args.json:
        print(json.dumps(understanding.as_json(), ensure_ascii=False))
    else:
        for key, value in understanding.as_json().items():
            if key != "text":
                print(f"{key:20} {value}")
    return 0


def _words(args, places_loader: PlacesLoader):
    analyzer = _analyzer(args, places_loader)
    return analyzer.tokenizer.cut


def _train(args, places_loader: PlacesLoader) -> int:
    from .train import read_labelled_csv, train_model

    texts, labels = read_labelled_csv(args.data, args.text_column, args.label_column)
    if len(set(labels)) < 2:
        print("nlp train: the data needs at least two labels", file=sys.stderr)
        return 2
    model = train_model(texts, labels, _words(args, places_loader))
    model.save(args.out)
    print(json.dumps({"model": str(Path(args.out)), "labels": model.labels, "trained_on": len(texts),
                      "features": len(model.vocab), "temperature": round(model.temperature, 4),
                      "seconds": model.meta["seconds"]}, ensure_ascii=False))
    return 0


def _eval(args, places_loader: PlacesLoader) -> int:
    from .linear import LinearModel
    from .train import evaluate, read_labelled_csv

    texts, labels = read_labelled_csv(args.data, args.text_column, args.label_column)
    report = evaluate(LinearModel.load(args.model), texts, labels, _words(args, places_loader))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"accuracy {report['accuracy']}  macro-F1 {report['macro_f1']}  n {report['n']}")
        for name, row in report["per_class"].items():
            print(f"  {name:24} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  n {row['support']}")
    return 0
