"""Prometheus metrics of the decision path, on a registry owned by the app (not the global one)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class JournalStats(Protocol):
    """What the decision journal counts (read when /metrics is scraped)."""

    batches: int
    items: int
    busy_handoffs: int
    spilled_batches: int
    recovered_items: int

    @property
    def backlog(self) -> int: ...


class _JournalCollector(Collector):
    def __init__(self, journal: JournalStats) -> None:
        self._journal = journal

    def collect(self) -> Iterator[Metric]:
        journal = self._journal
        yield CounterMetricFamily("fanzha_journal_commits", "Journal batches committed", value=journal.batches)
        yield CounterMetricFamily("fanzha_journal_items", "Journal items committed", value=journal.items)
        yield CounterMetricFamily(
            "fanzha_journal_overflow_batches",
            "Batches answered from the overflow file while another process held SQLite's write lock",
            value=journal.spilled_batches,
        )
        yield CounterMetricFamily(
            "fanzha_journal_lock_waits",
            "Batches that waited for another process's write lock (no overflow file)",
            value=journal.busy_handoffs,
        )
        yield CounterMetricFamily(
            "fanzha_journal_recovered_items",
            "Items moved at start from the overflow files of processes that had stopped",
            value=journal.recovered_items,
        )
        yield GaugeMetricFamily(
            "fanzha_journal_overflow_backlog",
            "Answered items in the overflow file, not yet moved into the database",
            value=journal.backlog,
        )


class DecisionMetrics:
    """Counts decisions by type and outcome, rule hits, and the decision latency."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter(
            "fanzha_decisions_total", "Decisions answered", ["event_type", "decision"], registry=self.registry
        )
        self.rule_hits = Counter("fanzha_rule_hits_total", "Live rule hits", ["rule"], registry=self.registry)
        self.degraded = Counter(
            "fanzha_degraded_decisions_total",
            "Decisions made without a dependency",
            ["dependency"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fanzha_decision_latency_seconds",
            "Time to evaluate a decision",
            ["event_type"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )

        self.request_latency = Histogram(
            "fanzha_decision_request_seconds",
            "Time from receiving a decision request to answering it, the journal commit included",
            buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )

    def observe_decision(self, event_type: str, response: Mapping[str, Any]) -> None:
        self.decisions.labels(event_type, response["decision"]).inc()
        self.latency.labels(event_type).observe(response["latency_ms"] / 1000.0)
        for reason in response["reasons"]:
            self.rule_hits.labels(reason["rule"]).inc()
        for dependency in response.get("degraded", ()):
            self.degraded.labels(dependency).inc()

    def watch_journal(self, journal: JournalStats) -> None:
        """Export the journal's own counts (commits, overflow, lock waits) with the decision metrics."""
        self.registry.register(_JournalCollector(journal))

    def render(self) -> bytes:
        return generate_latest(self.registry)
