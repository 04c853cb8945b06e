"""The referral package: what fanzha knows about a case (or a cluster) gathered into one document.

The package is plain JSON data (times as ISO 8601 strings), serialised canonically (sorted keys,
two-space indent, UTF-8) so its SHA-256 identifies exactly what was referred. It holds:

- ``referral``: id, when, by whom, to whom (unit and type), risk degree, summary, legal basis, reason;
- ``sender``: this instance's sharing identity;
- ``cases``: each case's source, fraud type, risk score, priority, state, rules and legal basis;
- ``subjects``: every account, phone, device, URL, ... of the cases, with role, outcome and cases;
- ``indicators``: the subjects that are fraud indicators (not counterparties such as victims), with
  the lists that hold them now;
- ``decisions`` and ``samples``: the decisions behind the cases (rules hit, score) and the events they
  decided (type, time, parties, text, links) as samples;
- ``measures``: the measures taken, with their state, times and approver;
- ``evidence``: every piece of evidence by hash, type, location and capture time;
- ``timeline``: all of the above in time order.

``masked`` gives the copy shown to roles that may not read personal data.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from fanzha.auth.masking import FRAUD_TEXT_MIN_DIGITS, mask, mask_digit_runs
from fanzha.cases import releases
from fanzha.cases.models import Case
from fanzha.cases.repository import CaseRepository
from fanzha.cases.states import SubjectType
from fanzha.decisions.repository import DecisionRepository
from fanzha.intel.indicators import SharingIdentity
from fanzha.kit.clock import iso_or_none
from fanzha.lists import service as lists_service
from fanzha.lists.repository import ListRepository
from fanzha.measures import service as measures
from fanzha.referrals.models import Referral

FORMAT = "fanzha.referral/1"
DECISION_URI = "fanzha:decision/"
MAX_SAMPLE_TEXT = 2000
MAX_SAMPLES = 200

_INDICATOR_KINDS = {
    SubjectType.account.value: "account",
    SubjectType.phone.value: "phone",
    SubjectType.device.value: "device",
    SubjectType.url.value: "url",
    SubjectType.domain.value: "domain",
    SubjectType.ip.value: "ip",
    SubjectType.payment_account.value: "payment_account",
}
"""Subject types that are fraud indicators, and the list kind that holds them."""

_NOT_INDICATORS = frozenset({"counterparty", "victim", "reporter"})
"""Subject roles that name people the fraud was aimed at, not the fraud's means."""


def canonical(package: dict[str, Any]) -> bytes:
    """The package's one serialisation, whose SHA-256 is recorded."""
    return orjson.dumps(package, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return iso_or_none(moment)


def _case(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "source_type": case.source_type,
        "source_ref": case.source_ref,
        "received_at": _iso(case.received_at),
        "summary": case.summary,
        "fraud_type": case.fraud_type,
        "risk_score": case.risk_score,
        "priority": case.priority,
        "state": case.state,
        "legal_basis": list(case.legal_basis or []),
        "rules": list(case.rules or []),
        "cluster_id": case.cluster_id,
        "decided_by": case.decided_by,
        "decided_at": _iso(case.decided_at),
    }


def _measure(measure: dict[str, Any]) -> dict[str, Any]:
    return {key: (_iso(value) if isinstance(value, datetime) else value) for key, value in measure.items()}


def _field(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _sample(event_id: str, event: dict[str, Any]) -> dict[str, Any]:
    content = _field(event, "content")
    counterparty = _field(event, "counterparty")
    text = content.get("text")
    urls = content.get("urls")
    return {
        "event_id": event_id,
        "type": str(event.get("type", "")),
        "occurred_at": str(event.get("occurred_at", "")),
        "actor": str(_field(event, "actor").get("id", "")),
        "counterparty": str(counterparty.get("id", "")) if counterparty else None,
        "text": text[:MAX_SAMPLE_TEXT] if isinstance(text, str) else "",
        "urls": [str(url) for url in urls][:100] if isinstance(urls, list) else [],
    }


def build(session: Session, *, referral: Referral, cases: Sequence[Case], sender: SharingIdentity) -> dict[str, Any]:
    """The package of ``referral`` for ``cases`` (the referral's anchor case first), as it stands now."""
    repository = CaseRepository(session)
    decisions = DecisionRepository(session)
    timeline: list[dict[str, Any]] = []
    subjects: dict[tuple[str, str, str], dict[str, Any]] = {}
    evidence: list[dict[str, Any]] = []
    decided: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    taken: list[dict[str, Any]] = []

    def event(at: datetime | str | None, case_id: int, kind: str, text: str) -> None:
        moment = _iso(at) if isinstance(at, datetime) else at
        if moment:
            timeline.append({"at": moment, "case_id": case_id, "kind": kind, "text": text})

    for case in cases:
        for subject in repository.subjects(case.id):
            key = (subject.type, subject.value, subject.role)
            item = subjects.setdefault(
                key, {"type": subject.type, "value": subject.value, "role": subject.role, "cases": [], "outcomes": []}
            )
            item["cases"].append(case.id)
            if subject.outcome and subject.outcome not in item["outcomes"]:
                item["outcomes"].append(subject.outcome)
        for transition in repository.transitions(case.id):
            moved = f"{transition.from_state or '—'} → {transition.to_state}"
            event(transition.at, case.id, "case", f"{moved} ({transition.actor}): {transition.reason}")
        for piece in repository.evidence(case.id):
            evidence.append(
                {
                    "case_id": case.id,
                    "hash": piece.hash,
                    "type": piece.type,
                    "uri": piece.uri,
                    "description": piece.description,
                    "captured_at": _iso(piece.captured_at),
                    "added_by": piece.added_by,
                }
            )
            event(piece.captured_at, case.id, "evidence", f"{piece.type} {piece.hash[:16]}… {piece.description}")
            if piece.uri.startswith(DECISION_URI) and len(samples) < MAX_SAMPLES:
                event_id = piece.uri.removeprefix(DECISION_URI)
                stored = decisions.get(event_id)
                if stored is None:
                    continue
                record = stored.record if isinstance(stored.record, dict) else {}
                hits = [hit for hit in record.get("hits", []) if isinstance(hit, dict)]
                decided.append(
                    {
                        "case_id": case.id,
                        "event_id": event_id,
                        "event_type": stored.event_type,
                        "decision": stored.decision,
                        "score": stored.score,
                        "decided_at": _iso(stored.decided_at),
                        "ruleset_version": stored.ruleset_version,
                        "rules": [str(hit.get("rule", "")) for hit in hits],
                        "reasons": [str(hit.get("message", "")) for hit in hits],
                        "legal_basis": sorted({str(b) for hit in hits for b in hit.get("legal_basis", [])}),
                    }
                )
                event(stored.occurred_at, case.id, "event", f"{stored.event_type} by {stored.actor_id}")
                rules = ", ".join(str(hit.get("rule", "")) for hit in hits) or "score"
                event(stored.decided_at, case.id, "decision", f"{stored.decision} ({stored.score}) by {rules}")
                if isinstance(record.get("event"), dict):
                    samples.append(_sample(event_id, record["event"]))
        for measure in measures.for_case(session, case.id):
            taken.append(_measure(measures.to_dict(measure, reveal=True)))
            what = f"{measure.kind} on {measure.account_id}"
            event(measure.created_at, case.id, "measure", f"{what} proposed by {measure.proposed_by}: {measure.reason}")
            if measure.approved_by:
                event(measure.starts_at, case.id, "measure", f"{what} approved by {measure.approved_by}")
            if measure.lifted_at is not None:
                event(measure.lifted_at, case.id, "measure", f"{what} lifted: {measure.lift_reason or ''}")
        for release in releases.for_case(session, case_id=case.id):
            event(release.proposed_at, case.id, "release", f"evidence release to {release.recipient} proposed")
            if release.decided_at is not None:
                event(
                    release.decided_at, case.id, "release", f"evidence release to {release.recipient}: {release.state}"
                )

    ordered = sorted(subjects.values(), key=lambda item: (item["type"], item["value"], item["role"]))
    timeline.sort(key=lambda item: (item["at"], item["case_id"], item["kind"]))
    return {
        "format": FORMAT,
        "referral": {
            "id": referral.id,
            "created_at": _iso(referral.created_at),
            "referred_by": referral.referred_by,
            "recipient": {"unit": referral.recipient_unit, "type": referral.recipient_type},
            "risk_degree": referral.risk_degree,
            "summary": referral.summary,
            "legal_basis": list(referral.legal_basis or []),
            "reason": referral.reason,
            "case_ids": [case.id for case in cases],
        },
        "sender": {"name": sender.name, "identity_id": sender.identity_id},
        "cases": [_case(case) for case in cases],
        "subjects": ordered,
        "indicators": _indicators(session, ordered),
        "decisions": decided,
        "samples": samples,
        "measures": taken,
        "evidence": evidence,
        "timeline": timeline,
    }


def _indicators(session: Session, subjects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_kind: dict[str, list[str]] = {}
    for indicator_list in lists_service.all_lists(session):
        if "_sha256_" not in indicator_list.name:  # hashed lists hold digests, not these values
            by_kind.setdefault(indicator_list.kind, []).append(indicator_list.name)
    repository = ListRepository(session)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for subject in subjects:
        kind = _INDICATOR_KINDS.get(subject["type"])
        if kind is None or subject["role"] in _NOT_INDICATORS:
            continue
        key = (subject["type"], subject["value"])
        if key in found:
            continue
        on_lists = [name for name in by_kind.get(kind, []) if repository.get_entry(name, subject["value"]) is not None]
        found[key] = {"type": subject["type"], "value": subject["value"], "lists": sorted(on_lists)}
    return list(found.values())


def masked(package: dict[str, Any], *, sha: str) -> dict[str, Any]:
    """A copy without personal data (phones, ID hashes, payment accounts; digit runs in sample texts).

    It names the referred package's SHA-256 but is not that package: it hashes differently.
    """
    copied = copy.deepcopy(package)
    for key in ("subjects", "indicators"):
        for item in copied.get(key, []):
            item["value"] = mask(item["type"], item["value"])
    for measure in copied.get("measures", []):
        measure["keys"] = [{"type": k["type"], "value": mask(k["type"], k["value"])} for k in measure.get("keys", [])]
    for sample in copied.get("samples", []):
        sample["text"] = mask_digit_runs(sample.get("text") or "", min_digits=FRAUD_TEXT_MIN_DIGITS)
    for item in copied.get("timeline", []):
        item["text"] = mask_digit_runs(item["text"], min_digits=FRAUD_TEXT_MIN_DIGITS)
    copied["masked"] = {"of_package_sha256": sha, "note": "personal data masked / 个人信息已脱敏"}
    return copied
