"""Evaluate screening on the public datasets in ../shared/data and on the hand-written fresh set.

    .venv/bin/python scripts/evaluate.py [--datasets telecom_v5,dialogs,...] [--markdown]

For every dataset, three rows on the same test split:

* ``shipped``   - the shipped models as they are (zero-shot for the research-only sets, whose rows
                  never enter the shipped weights);
* ``in-domain`` - the same features (normalisation, lexicons, indicators, hashed n-grams) with a
                  logistic-regression head fitted in memory on the dataset's train rows, threshold
                  chosen on its validation rows (never shipped);
* ``tfidf-lr``  - the plain char 1-3-gram TF-IDF + logistic regression baseline (train rows).

Splits: SHA-1 of the UTF-8 text mod 5 == 0 is test, == 1 validation, else train; dialog_splits uses
its official eval (train/validation) and test files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "screening"))

import common
import data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from fanzha.screening import screen_many

FRESH = common.ROOT / "tests" / "screening" / "data" / "fresh.jsonl"

BASELINES = {
    "telecom_v5": "RoBERTa-MHARC F1 98.10 (5-class, own split)",
    "dialogs": "Qwen2-1.5B LoRA acc 0.934 / P 0.929 / R 0.938 (eval split)",
    "uci": "paper: linear SVM best (figures not verified)",
    "mendeley": "none verified",
    "consumer": "BTextCAN acc 0.798 binary (older release)",
    "news_reports": "- (all benign: FPR only)",
}
TARGETS = {
    "telecom_v5": "F1 >= 0.995, FPR <= 0.005, macro-F1 >= 0.99",
    "dialogs": "F1 >= 0.95, FPR <= 0.05",
    "uci": "F1 >= 0.97",
    "mendeley": "F1 >= 0.99",
    "consumer": "accuracy >= 0.85",
    "news_reports": "-",
}


def metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {
        "n": len(y),
        "precision": p,
        "recall": r,
        "f1": 2 * tp / max(1, 2 * tp + fp + fn),
        "fpr": fp / max(1, fp + tn),
        "accuracy": (tp + tn) / max(1, len(y)),
    }


def per_class(classes: Sequence[str], y: np.ndarray, pred: np.ndarray) -> dict[str, str]:
    out: dict[str, str] = {}
    arr = np.asarray(classes)
    for c in sorted(set(classes)):
        mask = arr == c
        rate = float(np.mean(pred[mask])) if mask.any() else 0.0
        positive = bool(y[mask][0]) if mask.any() else False
        out[c] = f"{'recall' if positive else 'flag rate'} {rate:.3f} (n={int(mask.sum())})"
    return out


def macro_f1(truth: Sequence[str], guess: Sequence[str]) -> tuple[float, dict[str, float]]:
    scores: dict[str, float] = {}
    t = np.asarray(truth)
    g = np.asarray(guess)
    for c in sorted(set(truth)):
        tp = float(np.sum((t == c) & (g == c)))
        fp = float(np.sum((t != c) & (g == c)))
        fn = float(np.sum((t == c) & (g != c)))
        scores[c] = 2 * tp / max(1.0, 2 * tp + fp + fn)
    return float(np.mean(list(scores.values()))), scores


def evaluate_dataset(name: str, rows: list[data.Row]) -> dict[str, object]:
    train = [r for r in rows if r.split == "train"]
    val = [r for r in rows if r.split == "val"]
    test = [r for r in rows if r.split == "test"]
    y_test = np.array([r.label for r in test])
    result: dict[str, object] = {"dataset": name, "n_train": len(train), "n_val": len(val), "n_test": len(test)}
    kind = "post" if name == "news_reports" else "message"
    shipped = np.array([s.flagged for s in screen_many([r.text for r in test], kind)])
    result["shipped"] = metrics(y_test, shipped)
    result["shipped_per_class"] = per_class([r.cls for r in test], y_test, shipped)
    if name == "news_reports":
        return result
    cats = common.get_lexicon().categories
    tr_a = common.analyse_all([r.text for r in train])
    va_a = common.analyse_all([r.text for r in val])
    te_a = common.analyse_all([r.text for r in test])
    head = common.fit(f"{name}_head", common.matrix(tr_a, cats), [r.label for r in train], None, 8.0, {})
    t = common.best_threshold(common.probs(head, va_a), np.array([r.label for r in val]))
    in_domain = common.probs(head, te_a) >= t
    result["in_domain"] = {**metrics(y_test, in_domain), "threshold": t}
    result["in_domain_per_class"] = per_class([r.cls for r in test], y_test, in_domain)
    if name == "telecom_v5":
        multi = common.fit(f"{name}_multi", common.matrix(tr_a, cats), [r.cls for r in train], ["multi"], 8.0, {})
        guess = [multi.classes[int(i)] for i in common.probs(multi, te_a).argmax(1)]
        mf, scores = macro_f1([r.cls for r in test], guess)
        result["in_domain_macro_f1"] = mf
        result["in_domain_class_f1"] = scores
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    xtr = vec.fit_transform([r.text for r in train])
    lr = LogisticRegression(max_iter=2000, C=10.0, random_state=common.SEED)
    lr.fit(xtr, [r.label for r in train])
    base = lr.predict(vec.transform([r.text for r in test])).astype(bool)
    result["tfidf_lr"] = metrics(y_test, base)
    return result


def evaluate_fresh() -> dict[str, object] | None:
    if not FRESH.exists():
        return None
    recs = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: dict[str, object] = {"dataset": "fresh (hand-written, tests/screening/data/fresh.jsonl)"}
    for kind in ("message", "listing"):
        subset = [r for r in recs if r["kind"] == kind]
        if not subset:
            continue
        y = np.array([int(r["label"]) for r in subset])
        pred = np.array([s.flagged for s in screen_many([r["text"] for r in subset], kind)])
        out[kind] = metrics(y, pred)
        missed = [r["text"] for r, p in zip(subset, pred, strict=True) if bool(p) != bool(r["label"])]
        out[f"{kind}_errors"] = missed
    return out


def fmt(m: object) -> str:
    if not isinstance(m, dict):
        return "-"
    return f"{m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | {m['fpr']:.4f} | {m['accuracy']:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(data.DATASETS))
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args()
    results: list[dict[str, object]] = []
    if data.available():
        for name in args.datasets.split(","):
            t0 = time.time()
            res = evaluate_dataset(name, data.DATASETS[name]())
            res["seconds"] = round(time.time() - t0, 1)
            results.append(res)
            print(f"# {name} done in {res['seconds']}s", file=sys.stderr, flush=True)
    else:
        print(f"# {data.DATA} not found: public datasets skipped", file=sys.stderr)
    fresh = evaluate_fresh()
    print("| dataset | model | n test | precision | recall | F1 | FPR | accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for res in results:
        for key in ("shipped", "in_domain", "tfidf_lr"):
            if key in res:
                n = res[key]["n"] if isinstance(res[key], dict) else "-"  # type: ignore[index]
                print(f"| {res['dataset']} | {key} | {n} | {fmt(res[key])} |")
    if fresh:
        for kind in ("message", "listing"):
            if kind in fresh:
                m = fresh[kind]
                print(f"| fresh {kind} | shipped | {m['n']} | {fmt(m)} |")  # type: ignore[index]
    print()
    print("| dataset | published baseline | target |")
    print("|---|---|---|")
    for res in results:
        print(f"| {res['dataset']} | {BASELINES[str(res['dataset'])]} | {TARGETS[str(res['dataset'])]} |")
    print()
    for res in results:
        print(f"## {res['dataset']}")
        for key in ("shipped_per_class", "in_domain_per_class", "in_domain_class_f1"):
            if key in res:
                print(f"- {key}: {json.dumps(res[key], ensure_ascii=False)}")
        if "in_domain_macro_f1" in res:
            print(f"- in_domain_macro_f1: {res['in_domain_macro_f1']:.4f}")
    if fresh:
        print("## fresh errors")
        for kind in ("message", "listing"):
            for text in fresh.get(f"{kind}_errors", []):  # type: ignore[union-attr]
                print(f"- [{kind}] {text}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "fresh": fresh}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
