"""What the console's case pages show beyond a case's own row: the subject's timeline, the link graph,
screening explanations with the matched terms, SLA clocks and account restrictions.

Read-only: everything here is assembled from what the domains store (cases, measures, appeals,
decision records); nothing changes state. Personal data is masked here, before a template sees it,
unless the caller passes ``reveal=True`` (and has recorded that reveal in the audit log).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from fanzha.appeals import service as appeals_service
from fanzha.auth.masking import (
    FRAUD_TEXT_MIN_DIGITS,
    PERSONAL_TYPES,
    digit_run_spans,
    mask,
    mask_digit_runs,
    mask_value,
)
from fanzha.cases import service as cases_service
from fanzha.cases.models import Case
from fanzha.cases.repository import CaseRepository
from fanzha.cases.states import STRONG_LINKS, SubjectType
from fanzha.decisions.models import DecisionRecord
from fanzha.decisions.pipeline import SCREENING_KIND_BY_EVENT
from fanzha.decisions.repository import DecisionRepository
from fanzha.events.entities import extract_entities
from fanzha.events.schemas import Event
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.measures import service as measures_service
from fanzha.measures.vocabulary import BanKey
from fanzha.screening import screen

log = logging.getLogger(__name__)

DECISION_URI = "fanzha:decision/"
GRAPH_LIMIT = 40
TIMELINE_LIMIT = 60
DUE_SOON = timedelta(hours=1)
# Indicator types in a screened text that are personal data, and the masking kind each one takes.
_PERSONAL_INDICATORS = {"phone": "phone", "bank_card": "payment_account"}


# ---- SLA clocks ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaClock:
    """How a due time stands: ``overdue``, ``due-soon`` (within the hour) or ``ok``, and by how much."""

    status: str
    span: str


def sla_clock(due: datetime, *, now: datetime | None = None) -> SlaClock:
    left = ensure_utc(due) - (now or utcnow())
    minutes = int(abs(left.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    span = f"{days}d {hours}h" if days else (f"{hours}h {minutes:02d}m" if hours else f"{minutes}m")
    if left.total_seconds() <= 0:
        return SlaClock("overdue", span)
    return SlaClock("due-soon" if left <= DUE_SOON else "ok", span)


# ---- subjects -----------------------------------------------------------------------------------------


def shown(kind: str, value: str, *, reveal: bool) -> str:
    """A value as this reader may see it."""
    return value if reveal else mask(kind, value)


def linkable(kind: str, *, reveal: bool) -> bool:
    """Whether a subject page may be linked: its URL would carry the unmasked value."""
    return reveal or kind not in PERSONAL_TYPES


def subject_href(kind: str, value: str) -> str:
    return f"/console/subjects/{quote(kind, safe='')}/{quote(value, safe='')}"


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """A case subject as the reader may see it, with a link to its own page when that leaks nothing."""

    type: str
    shown: str
    role: str
    outcome: str | None
    href: str | None


def subject_rows(session: Session, case_id: int, *, reveal: bool) -> list[SubjectRow]:
    return [
        SubjectRow(
            subject.type,
            shown(subject.type, subject.value, reveal=reveal),
            subject.role,
            subject.outcome,
            subject_href(subject.type, subject.value) if linkable(subject.type, reveal=reveal) else None,
        )
        for subject in CaseRepository(session).subjects(case_id)
    ]


@dataclass(frozen=True, slots=True)
class BanCandidate:
    """A case subject a re-registration ban could cover (the form names it by id, never by value)."""

    subject_id: int
    type: str
    shown: str


def ban_candidates(session: Session, case_id: int, *, reveal: bool) -> list[BanCandidate]:
    keys = {key.value for key in BanKey}
    return [
        BanCandidate(subject.id, subject.type, shown(subject.type, subject.value, reveal=reveal))
        for subject in CaseRepository(session).subjects(case_id)
        if subject.type in keys and subject.role != "counterparty"
    ]


def ban_keys(session: Session, case_id: int, subject_ids: Iterable[int]) -> list[dict[str, str]]:
    """The ban keys (type, value) for the subjects a reviewer ticked."""
    wanted = set(subject_ids)
    keys = {key.value for key in BanKey}
    return [
        {"type": subject.type, "value": subject.value}
        for subject in CaseRepository(session).subjects(case_id)
        if subject.id in wanted and subject.type in keys
    ]


def accounts_of(session: Session, case: Case, *, limit: int = 5) -> list[str]:
    """The accounts a case is about (not the counterparties it names: those are often victims)."""
    found = [
        subject.value
        for subject in CaseRepository(session).subjects(case.id)
        if subject.type == SubjectType.account.value and subject.role != "counterparty"
    ]
    return list(dict.fromkeys(found))[:limit]


def restrictions(session: Session, accounts: Sequence[str]) -> list[dict[str, Any]]:
    """The restrictions answer for each account, as the platform reads it now."""
    return [measures_service.restrictions(session, account) for account in accounts]


# ---- the timeline -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One thing that happened to the subject. ``kind`` picks how the template words it."""

    at: datetime
    kind: str
    values: dict[str, Any]
    detail: str = ""
    actor: str = ""
    badge: str = ""
    href: str | None = None


def _decision_item(record: DecisionRecord) -> TimelineItem:
    response = record.response if isinstance(record.response, dict) else {}
    rules = [str(reason.get("rule", "")) for reason in response.get("reasons", [])]
    return TimelineItem(
        at=ensure_utc(record.occurred_at),
        kind="decision",
        values={"event_type": record.event_type, "decision": record.decision, "score": record.score},
        detail=", ".join(rule for rule in rules if rule),
        actor=record.actor_id,
        badge=record.decision,
    )


def timeline(
    session: Session,
    *,
    accounts: Sequence[str],
    cases: Sequence[Case],
    decisions_visible: bool,
    limit: int = TIMELINE_LIMIT,
) -> list[TimelineItem]:
    """Decisions on the accounts' events, moves of their cases, measures and appeals: newest first."""
    items: list[TimelineItem] = []
    repository = CaseRepository(session)
    for case in cases:
        for move in repository.transitions(case.id):
            items.append(
                TimelineItem(
                    at=ensure_utc(move.at),
                    kind="opened" if move.from_state is None else "transition",
                    values={"case_id": case.id, "from_state": move.from_state or "", "to_state": move.to_state},
                    detail=move.reason,
                    actor=move.actor,
                    badge=move.to_state,
                    href=f"/console/cases/{case.id}",
                )
            )
    for account in accounts:
        if decisions_visible:
            items.extend(
                _decision_item(record) for record in DecisionRepository(session).for_actor(account, limit=limit)
            )
        for measure in measures_service.for_account(session, account, limit=limit):
            values = {
                "measure_id": measure.id,
                "kind": measure.kind,
                "account": account,
                "state": measure.state,
                "functions": list(measure.functions or []),
            }
            href = None if measure.case_id is None else f"/console/cases/{measure.case_id}"
            items.append(
                TimelineItem(
                    ensure_utc(measure.created_at), "measure", values, measure.reason, measure.proposed_by, "", href
                )
            )
            if measure.starts_at is not None:
                items.append(
                    TimelineItem(
                        ensure_utc(measure.starts_at),
                        "measure_active",
                        values,
                        "",
                        measure.approved_by or measure.proposed_by,
                        "block",
                        href,
                    )
                )
            if measure.lifted_at is not None:
                items.append(
                    TimelineItem(
                        ensure_utc(measure.lifted_at),
                        "measure_ended",
                        values,
                        measure.lift_reason or "",
                        "",
                        "allow",
                        href,
                    )
                )
        for appeal in appeals_service.search(session, state=None, account_id=account, limit=limit, offset=0):
            href = f"/console/appeals/{appeal.id}"
            values = {"appeal_id": appeal.id, "measure_id": appeal.measure_id, "state": appeal.state}
            items.append(
                TimelineItem(ensure_utc(appeal.submitted_at), "appeal", values, appeal.grounds, "", "review", href)
            )
            if appeal.decided_at is not None:
                items.append(
                    TimelineItem(
                        ensure_utc(appeal.decided_at),
                        "appeal_decided",
                        values,
                        appeal.decision_reason or "",
                        appeal.decided_by or "",
                        appeal.state,
                        href,
                    )
                )
    items.sort(key=lambda item: item.at, reverse=True)
    # Reasons and grounds are free text people typed: numbers in them are masked like the event text.
    return [replace(item, detail=mask_digit_runs(item.detail)) if item.detail else item for item in items[:limit]]


# ---- decision records of a case -----------------------------------------------------------------------


def decision_records(session: Session, case_id: int, *, limit: int = 10) -> list[DecisionRecord]:
    """The stored decisions a case holds as evidence (the bus adds one per triggering decision)."""
    records = []
    for item in CaseRepository(session).evidence(case_id):
        if item.uri.startswith(DECISION_URI):
            record = DecisionRepository(session).get(item.uri[len(DECISION_URI) :])
            if record is not None:
                records.append(record)
        if len(records) >= limit:
            break
    return records


def _event_of(record: DecisionRecord) -> Event | None:
    data = record.record.get("event") if isinstance(record.record, dict) else None
    if not isinstance(data, dict):
        return None
    try:
        return Event.model_validate({key: value for key, value in data.items() if key != "occurred_at_epoch"})
    except ValueError:
        return None


# ---- screening explanations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchedTerm:
    term: str
    category: str
    via: str
    found: str
    """The original text the term matched (a homophone or abbreviation differs from the term)."""


@dataclass
class ScreeningView:
    """A decided text with its screening verdict; ``spans`` are offsets into ``text`` to highlight."""

    event_id: str
    event_type: str
    occurred_at: datetime
    decision: str
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    matches: list[MatchedTerm] = field(default_factory=list)
    indicators: list[tuple[str, str]] = field(default_factory=list)
    risk: float = 0.0
    labels: list[str] = field(default_factory=list)
    typology: str | None = None
    explanation: list[str] = field(default_factory=list)
    rescreened: bool = False
    failed: bool = False


def _text_of(record: DecisionRecord) -> str:
    """The screened text exactly as the decision path built it (title, then text), so offsets line up."""
    data = record.record.get("event") if isinstance(record.record, dict) else None
    content = data.get("content") if isinstance(data, dict) else None
    if not isinstance(content, dict):
        return ""
    return "\n".join(part for part in (content.get("title"), content.get("text")) if isinstance(part, str) and part)


def _stored_spans(record: DecisionRecord) -> list[dict[str, Any]] | None:
    """Lexicon matches with offsets, when the record kept them (older records keep only the signals)."""
    features = record.record.get("features") if isinstance(record.record, dict) else None
    screen = features.get("screen") if isinstance(features, dict) else None
    matches = screen.get("matches") if isinstance(screen, dict) else None
    if isinstance(matches, list) and all(isinstance(m, dict) and "span" in m for m in matches):
        return matches
    return None


def screening_view(record: DecisionRecord, *, reveal: bool) -> ScreeningView | None:
    """The record's text with its matched terms; re-screened with fanzha.screening when offsets are missing."""
    text = _text_of(record)
    if not text:
        return None
    view = ScreeningView(
        event_id=record.event_id,
        event_type=record.event_type,
        occurred_at=ensure_utc(record.occurred_at),
        decision=record.decision,
        text=text,
    )
    stored = _stored_spans(record)
    personal: list[tuple[int, int, str]] = []
    try:
        if stored is not None:
            for match in stored:
                start, end = (int(match["span"][0]), int(match["span"][1]))
                view.matches.append(
                    MatchedTerm(
                        str(match.get("term", "")),
                        str(match.get("category", "")),
                        str(match.get("via", "")),
                        text[start:end],
                    )
                )
                view.spans.append((start, end))
        result = screen(text[:10_000], SCREENING_KIND_BY_EVENT.get(record.event_type, "message"))
        view.rescreened = stored is None
        if stored is None:
            for term in result.matches:
                view.matches.append(MatchedTerm(term.term, term.category, term.via, text[term.span[0] : term.span[1]]))
                view.spans.append(term.span)
        view.risk = result.risk
        view.labels = list(result.labels)
        view.typology = result.typology
        view.explanation = list(result.explanation)
        for indicator in result.indicators:
            kind = _PERSONAL_INDICATORS.get(indicator.type)
            view.indicators.append(
                (indicator.type, indicator.value if reveal or kind is None else mask(kind, indicator.value))
            )
            if kind is not None:
                personal.append((indicator.span[0], indicator.span[1], kind))
    except Exception:  # screening is an explanation here: the page still shows the text without it
        log.exception("screening the text of decision %s failed", record.event_id)
        view.failed = True
    if not reveal:
        # Long digit runs too, whatever screening found: a phone or card number must not show even
        # when screening failed or missed an unusual spelling.
        digits = [(*span, "phone") for span in digit_run_spans(text, min_digits=FRAUD_TEXT_MIN_DIGITS)]
        view.text = _mask_spans(text, [*personal, *digits])
        # Screening's explanation names each flagged indicator by its value ("indicator phone +86...").
        view.explanation = [mask_digit_runs(line, min_digits=FRAUD_TEXT_MIN_DIGITS) for line in view.explanation]
    return view


def _mask_spans(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """Personal data in a text masked in place. Overlapping spans are merged first (masking one twice could
    show more of it), and masking keeps the length, so every offset into the text still holds."""
    merged: list[list[int]] = []
    for start, end, _kind in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    chars = list(text)
    for start, end in merged:
        chars[start:end] = list(mask_value(text[start:end]))
    return "".join(chars)


def screening_views(session: Session, case_id: int, *, reveal: bool, limit: int = 5) -> list[ScreeningView]:
    views = []
    for record in decision_records(session, case_id, limit=limit):
        view = screening_view(record, reveal=reveal)
        if view is not None:
            views.append(view)
    return views


# ---- the link graph -----------------------------------------------------------------------------------


@dataclass
class GraphNode:
    key: tuple[str, str]
    type: str
    label: str
    title: str
    href: str | None
    depth: int = 0
    x: float = 0.0
    y: float = 0.0
    below: bool = True


@dataclass(frozen=True, slots=True)
class GraphEdge:
    a: tuple[str, str]
    b: tuple[str, str]
    role: str


@dataclass
class LinkGraph:
    """Nodes and edges placed on an SVG canvas (server-side; the page draws them as they are)."""

    nodes: list[GraphNode]
    edges: list[tuple[GraphNode, GraphNode, str]]
    width: int
    height: int
    hidden: int
    types: list[str]


class _GraphBuilder:
    def __init__(self, *, reveal: bool, limit: int) -> None:
        self.reveal = reveal
        self.limit = limit
        self.nodes: dict[tuple[str, str], GraphNode] = {}
        self.edges: dict[tuple[tuple[str, str], tuple[str, str]], GraphEdge] = {}
        self.hidden: set[tuple[str, str]] = set()

    def node(self, kind: str, value: str) -> tuple[str, str] | None:
        key = (kind, value)
        if key in self.nodes:
            return key
        if len(self.nodes) >= self.limit:
            self.hidden.add(key)
            return None
        if kind == "case":
            label = title = f"#{value}"
            href: str | None = f"/console/cases/{value}"
        else:
            title = shown(kind, value, reveal=self.reveal)
            label = title if len(title) <= 16 else title[:15] + "…"
            href = subject_href(kind, value) if linkable(kind, reveal=self.reveal) else None
        self.nodes[key] = GraphNode(key, kind, label, title, href)
        return key

    def edge(self, a: tuple[str, str] | None, b: tuple[str, str] | None, role: str) -> None:
        if a is None or b is None or a == b:
            return
        pair = (a, b) if a <= b else (b, a)
        self.edges.setdefault(pair, GraphEdge(pair[0], pair[1], role))


def link_graph(
    session: Session, case: Case, *, reveal: bool, decisions_visible: bool, limit: int = GRAPH_LIMIT
) -> LinkGraph:
    """How the case's accounts, devices, phones and payment accounts link: its subjects, the entities of the
    decisions it holds, and the other cases of its cluster with their strong links. At most ``limit`` nodes."""
    builder = _GraphBuilder(reveal=reveal, limit=limit)
    repository = CaseRepository(session)
    centre = builder.node("case", str(case.id))
    for subject in repository.subjects(case.id):
        builder.edge(centre, builder.node(subject.type, subject.value), subject.role)
    if decisions_visible:
        for record in decision_records(session, case.id):
            event = _event_of(record)
            if event is None:
                continue
            refs = extract_entities(event)
            actor = builder.node(refs[0].type.value, refs[0].value)
            for ref in refs[1:]:
                value = cases_service.normalise_subject(SubjectType(ref.type.value), ref.value)
                builder.edge(actor, builder.node(ref.type.value, value), ref.role)
    if case.cluster_id is not None:
        strong = {kind.value for kind in STRONG_LINKS}
        for other in cases_service.cluster_of(session, case.id)[:10]:
            if other.id == case.id:
                continue
            other_node = builder.node("case", str(other.id))
            for subject in repository.subjects(other.id):
                if subject.type in strong and subject.role != "counterparty":
                    builder.edge(other_node, builder.node(subject.type, subject.value), subject.role)
    return _layout(builder, centre)


_RINGS = {1: (200.0, 112.0), 2: (330.0, 186.0)}
_WIDTH, _HEIGHT = 760, 440


def _layout(builder: _GraphBuilder, centre: tuple[str, str] | None) -> LinkGraph:
    """Concentric ellipses by distance from the case; the outer ring follows its neighbours' angles."""
    nodes = builder.nodes
    adjacency: dict[tuple[str, str], set[tuple[str, str]]] = {key: set() for key in nodes}
    for edge in builder.edges.values():
        adjacency[edge.a].add(edge.b)
        adjacency[edge.b].add(edge.a)
    order: list[tuple[str, str]] = []
    if centre is not None:
        queue = deque([centre])
        seen = {centre}
        while queue:
            key = queue.popleft()
            order.append(key)
            for other in sorted(adjacency[key]):
                if other not in seen:
                    seen.add(other)
                    nodes[other].depth = min(nodes[key].depth + 1, 2)
                    queue.append(other)
    for key in nodes:
        if key not in order:
            nodes[key].depth = 2
            order.append(key)
    cx, cy = _WIDTH / 2, _HEIGHT / 2
    angles: dict[tuple[str, str], float] = {}
    inner = sorted((n for n in nodes.values() if n.depth == 1), key=lambda n: (n.type, n.title))
    for index, node in enumerate(inner):
        angles[node.key] = -math.pi / 2 + 2 * math.pi * index / max(len(inner), 1)

    # The outer ring, in breadth-first order so a node sits near the neighbour that reached it first.
    outer = [key for key in order if nodes[key].depth == 2]
    for key in outer:
        near = [angles[other] for other in adjacency[key] if other in angles]
        angles[key] = math.atan2(sum(math.sin(a) for a in near), sum(math.cos(a) for a in near)) if near else math.pi
    _spread(angles, outer, gap=2 * math.pi / max(len(outer), 16))
    for node in nodes.values():
        if node.depth == 0:
            node.x, node.y = cx, cy
            continue
        rx, ry = _RINGS[node.depth]
        angle = angles[node.key]
        node.x = round(cx + rx * math.cos(angle), 1)
        node.y = round(cy + ry * math.sin(angle), 1)
        node.below = math.sin(angle) >= -0.2
    edges = [(nodes[edge.a], nodes[edge.b], edge.role) for edge in builder.edges.values()]
    types = sorted({node.type for node in nodes.values()})
    return LinkGraph(list(nodes.values()), edges, _WIDTH, _HEIGHT, len(builder.hidden), types)


def _spread(angles: dict[tuple[str, str], float], keys: Sequence[tuple[str, str]], *, gap: float) -> None:
    """Push the nodes of one ring apart until neighbours are at least ``gap`` radians from each other
    (evenly round the ring when they cannot keep their places)."""
    ordered = sorted(keys, key=lambda key: angles[key] % (2 * math.pi))
    if len(ordered) < 2:
        return
    placed = [angles[key] % (2 * math.pi) for key in ordered]
    for index in range(1, len(placed)):
        placed[index] = max(placed[index], placed[index - 1] + gap)
    if placed[-1] > placed[0] + 2 * math.pi - gap:
        step = 2 * math.pi / len(placed)
        placed = [placed[0] + index * step for index in range(len(placed))]
    for key, angle in zip(ordered, placed, strict=True):
        angles[key] = angle
