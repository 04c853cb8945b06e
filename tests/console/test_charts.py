"""Server-side SVG charts: one bar per bucket, stacked layers that add up, escaped labels, accessible names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from fanzha.console.charts import (
    BarItem,
    Bucket,
    Series,
    format_number,
    horizontal_bars,
    nice_scale,
    stacked_bars,
    time_bar,
)

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [Series("allow", "Allow", "#1f7a4d"), Series("block", "Block", "#b4232a")]


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_one_bar_per_bucket_even_when_empty() -> None:
    buckets = [Bucket(f"{hour:02d}:00", f"hour {hour}", {"allow": hour, "block": hour % 3}) for hour in range(24)]
    buckets[5] = Bucket("05:00", "hour 5", {})
    svg = _parse(stacked_bars(buckets, SERIES, ident="c", title="Decisions"))
    bars = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(bars) == 24
    assert [int(g.get("data-total", "-1")) for g in bars] == [b.total for b in buckets]
    assert bars[5].findall(f"{SVG}rect") == []


def test_stacked_layers_are_proportional_and_stack_upwards() -> None:
    buckets = [Bucket("a", "A", {"allow": 30, "block": 10}), Bucket("b", "B", {"allow": 10})]
    svg = _parse(stacked_bars(buckets, SERIES, ident="c", title="T", height=260))
    first = next(g for g in svg.iter(f"{SVG}g") if g.get("data-bucket") == "0")
    allow, block = first.findall(f"{SVG}rect")
    assert allow.get("fill") == "#1f7a4d"
    assert block.get("fill") == "#b4232a"
    assert float(allow.get("height", "0")) == pytest.approx(3 * float(block.get("height", "0")), rel=0.01)
    # block sits on top of allow
    assert float(block.get("y", "0")) + float(block.get("height", "0")) == pytest.approx(
        float(allow.get("y", "0")), abs=0.2
    )


def test_labels_and_titles_are_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    markup = str(
        stacked_bars(
            [Bucket(evil, evil, {"allow": 1})], [Series("allow", evil, "#000")], ident="c", title=evil, description=evil
        )
    )
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    _parse(markup)  # still well-formed XML
    bars = str(horizontal_bars([BarItem(evil, 3, note=evil)], ident="h", title=evil))
    assert "<script>" not in bars
    _parse(bars)


def test_charts_name_themselves_for_screen_readers() -> None:
    svg = _parse(stacked_bars([Bucket("a", "A", {"allow": 1})], SERIES, ident="vol", title="Volume", description="d"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "vol-title vol-desc"
    title = svg.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Volume"
    assert title.get("id") == "vol-title"


def test_horizontal_bars_one_row_per_item_longest_bar_for_largest_value() -> None:
    items = [BarItem("rule_a", 40), BarItem("rule_b", 10), BarItem("a_very_long_rule_name_that_goes_on_and_on", 5)]
    svg = _parse(horizontal_bars(items, ident="h", title="Rules", max_label_chars=12))
    rows = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "hbar"]
    assert [row.get("data-value") for row in rows] == ["40", "10", "5"]
    widths = [float(row.findall(f"{SVG}rect")[1].get("width", "0")) for row in rows]
    assert widths[0] > widths[1] > widths[2] > 0
    texts = [t.text or "" for t in rows[2].iter(f"{SVG}text")]
    assert texts[0].endswith("…")
    assert len(texts[0]) == 12
    full = rows[2].find(f"{SVG}title")
    assert full is not None
    assert "a_very_long_rule_name_that_goes_on_and_on" in (full.text or "")


def test_time_bar_clamps_and_marks_now() -> None:
    over = _parse(time_bar(1.7, ident="d", title="Deadline", marker_label="now"))
    elapsed = next(r for r in over.iter(f"{SVG}rect") if r.get("class") == "elapsed")
    track = over.findall(f"{SVG}rect")[0]
    assert float(elapsed.get("width", "0")) == pytest.approx(float(track.get("width", "0")))
    early = _parse(time_bar(0.25, ident="d", title="Deadline"))
    elapsed = next(r for r in early.iter(f"{SVG}rect") if r.get("class") == "elapsed")
    assert float(elapsed.get("width", "0")) == pytest.approx(0.25 * float(track.get("width", "0")), rel=0.01)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, (1, 1)),
        (1, (1, 1)),
        (6, (6, 1)),
        (7, (8, 2)),
        (25, (25, 5)),
        (26, (30, 5)),
        (410, (500, 100)),
        (3001, (4000, 1000)),
    ],
)
def test_nice_scale_gives_whole_steps_and_few_ticks(value: float, expected: tuple[int, int]) -> None:
    assert nice_scale(value) == expected


def test_no_inline_styles_or_scripts() -> None:
    markup = str(stacked_bars([Bucket("a", "A", {"allow": 2})], SERIES, ident="c", title="T"))
    markup += str(horizontal_bars([BarItem("x", 1)], ident="h", title="T"))
    markup += str(time_bar(0.5, ident="d", title="T"))
    assert not re.search(r"\sstyle=|<style|<script", markup)


def test_format_number() -> None:
    assert format_number(12345) == "12,345"
    assert format_number(2.5) == "2.5"
