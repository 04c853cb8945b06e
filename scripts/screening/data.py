"""Loaders for the public evaluation datasets in ../shared/data (read in place, never copied).

Split rule (data/README.md): where there is no official split, a row is test when
``int.from_bytes(sha1(text.encode()).digest(), "big") % 5 == 0``. Among the other rows, ``% 5 == 1``
is our validation share (threshold choice); the rest is train.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

DATA = Path(os.environ.get("FANZHA_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


@dataclass(frozen=True)
class Row:
    text: str
    label: int  # 1 = fraud/spam/positive
    cls: str  # fine-grained class name
    split: str  # "train", "val" or "test"


def sha_split(text: str) -> str:
    r = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest(), "big") % 5
    return "test" if r == 0 else "val" if r == 1 else "train"


def available() -> bool:
    return DATA.is_dir()


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.DictReader(text.splitlines()))


def telecom_v5() -> list[Row]:
    rows: list[Row] = []
    for i in range(5):
        for rec in _read_csv(DATA / "telecom-fraud-texts" / "v5" / f"label0{i}-last.csv"):
            text = (rec.get("content") or "").strip()
            if not text:
                continue
            cls = "normal" if i == 0 else str(rec.get("label"))
            rows.append(Row(text, int(i != 0), cls, sha_split(text)))
    return rows


def dialogs() -> list[Row]:
    rows: list[Row] = []
    for name, split in (("eval0902.jsonl", "train"), ("test0902.jsonl", "test")):
        with open(DATA / "anti-fraud-sft-golfxiao" / "dialog_splits" / name, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text = rec["input"]
                label = int(bool(rec["label"]))
                # Negatives from meeting ASR ("发言人N") versus hard negatives cut from fraud dialogues.
                cls = "fraud" if label else ("meeting_asr" if "发言人" in text else "hard_negative")
                if split == "train":
                    split_here = "val" if sha_split(text) == "val" else "train"
                else:
                    split_here = "test"
                rows.append(Row(text, label, cls, split_here))
    return rows


def uci() -> list[Row]:
    rows: list[Row] = []
    with open(DATA / "uci-sms-spam" / "SMSSpamCollection", encoding="utf-8") as fh:
        for line in fh:
            label, _, text = line.rstrip("\n").partition("\t")
            if text:
                rows.append(Row(text, int(label == "spam"), label, sha_split(text)))
    return rows


def mendeley() -> list[Row]:
    rows: list[Row] = []
    for rec in _read_csv(DATA / "sms-phishing-mendeley" / "Dataset_5971.csv"):
        text = (rec.get("TEXT") or "").strip()
        if not text:
            continue
        cls = (rec.get("LABEL") or "").strip().lower()
        rows.append(Row(text, int(cls != "ham"), cls, sha_split(text)))
    return rows


def consumer() -> list[Row]:
    rows: list[Row] = []
    folder = DATA / "consumer-fraud-btextcan"
    for path in sorted(folder.glob("*.csv")):
        cls = path.stem
        for rec in _read_csv(path):
            text = (rec.get("reviews") or "").strip()
            if text:
                rows.append(Row(text, int(cls != "NormalMerchant"), cls, sha_split(text)))
    return rows


def news_reports() -> list[Row]:
    """Real news about fraud cases: legitimate content, all label 0 for flagging purposes."""
    rows: list[Row] = []
    for path in sorted((DATA / "anti-fraud-sft-golfxiao" / "fraud_news_reports").glob("*.csv")):
        for rec in _read_csv(path):
            body = (rec.get("文章正文内容") or "").strip()
            if body:
                rows.append(Row(body[:2000], 0, path.stem, sha_split(body)))
    return rows


DATASETS = {
    "telecom_v5": telecom_v5,
    "dialogs": dialogs,
    "uci": uci,
    "mendeley": mendeley,
    "consumer": consumer,
    "news_reports": news_reports,
}
