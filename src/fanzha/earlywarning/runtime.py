"""Issuing warnings on the decision path: from what the pipeline already knows, with no database query.

The decision pipeline hands the issuer the live rule hits of an event. When one of them declares a
``warning`` (see docs/early-warning.md) the issuer picks the recipient (the actor, or the other party
of a message), resolves the typology, applies the per-recipient rate limit and renders the message
from the templates. The result is a response fragment, a ``victim_warnings`` row that the decision
journal commits in the decision's own transaction (so a warning is never lost and, since the journal
writes it only with a newly stored decision, never duplicated for an event id), and a note for the
decision record.

The rate limit counts issued warnings per (recipient, typology) in the velocity-counter store: in
process by default, shared through Redis when the counters are. It costs one store call, and a
second one when a warning is issued; only events with a warning-declaring hit pay for it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from fanzha.earlywarning.schemas import WarningState
from fanzha.earlywarning.templates import WarningTemplates
from fanzha.events.schemas import Event
from fanzha.kit.counters import CounterQuery, CounterStore, CounterUnavailable, Observation
from fanzha.rules.engine import RuleHit
from fanzha.rules.outcomes import AUTO_TYPOLOGY, GENERIC_TYPOLOGY, WARNING_TYPOLOGIES, WarningRecipient

log = logging.getLogger(__name__)

_BY_LABEL = {code.lower(): code for code in WARNING_TYPOLOGIES if code != GENERIC_TYPOLOGY}


class LabelSource(Protocol):
    """The labels in force on an entity (the pipeline's world: in memory)."""

    def labels(self, entity_type: str, value: str, at: float) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class IssuedWarning:
    """What a warning-declaring hit led to.

    ``response`` is the decision answer's ``warning`` and ``row`` the ``victim_warnings`` row, both
    ``None`` when the warning was suppressed (rate limit, nobody to warn); ``note`` always goes into
    the decision record, so the record explains a suppression too.
    """

    response: dict[str, Any] | None
    row: dict[str, Any] | None
    note: dict[str, Any]


def warning_id(event_id: str) -> str:
    """The warning id of an event: derived from the event id, so a retried event names the same warning."""
    return "wrn_" + hashlib.blake2b(event_id.encode(), digest_size=16, person=b"fanzha.warning").hexdigest()


def requested_locale(event: Event) -> str | None:
    """``zh`` or ``en`` when the event's ``context.locale`` asks for one (``en-US``, ``zh-Hans-CN``), else None."""
    context = event.context
    if context is None or not context.model_extra:
        return None
    value = context.model_extra.get("locale")
    if not isinstance(value, str):
        return None
    code = value.strip().lower()[:2]
    return code if code in ("zh", "en") else None


class WarningIssuer:
    """Turns a warning-declaring rule hit into a warning for the potential victim. One per process."""

    def __init__(
        self,
        *,
        templates: WarningTemplates,
        counters: CounterStore,
        labels: LabelSource | None,
        limit: int,
        window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.templates = templates
        self._counters = counters
        self._labels = labels
        self._limit = limit
        self._window = window_seconds
        self._clock = clock

    def issue(self, event: Event, hits: Sequence[RuleHit], features: Mapping[str, Any]) -> IssuedWarning | None:
        """The warning for ``event`` when one of its live ``hits`` declares one (the first such, most severe
        first), else None. ``features`` are what the rules looked up (screening, labels), reused here."""
        hit = next((h for h in hits if h.warning is not None), None)
        if hit is None or hit.warning is None:
            return None
        spec = hit.warning
        role = str(spec.recipient.value)
        note: dict[str, Any] = {"rule": hit.rule_id, "recipient": role}
        if spec.recipient is WarningRecipient.actor:
            recipient_id = event.actor.id
            suspects = _suspects_of_actor(event)
        elif event.counterparty is not None:
            recipient_id = event.counterparty.id
            suspects = [("account", event.actor.id)]
        else:
            return IssuedWarning(None, None, {**note, "suppressed": "no_recipient"})
        now = self._clock()
        typology = spec.typology
        if typology == AUTO_TYPOLOGY:
            typology = self._resolve_typology(features, suspects, event.occurred_at.timestamp())
        note["typology"] = typology
        if not self._within_limit(event.event_id, recipient_id, typology, now):
            return IssuedWarning(None, None, {**note, "suppressed": "rate_limited"})
        identifier = warning_id(event.event_id)
        channel = str((spec.channel or self.templates.channel_for(event.type)).value)
        locale = requested_locale(event)
        message = self.templates.message(typology, locale)
        issued_at = datetime.fromtimestamp(now, UTC)
        response = {
            "id": identifier,
            "typology": typology,
            "channel": channel,
            "recipient": role,
            "recipient_id": recipient_id,
            "rule": hit.rule_id,
            "issued_at": issued_at.isoformat(),
            "template_version": self.templates.version,
            "message": message,
        }
        row = {
            "id": identifier,
            "event_id": event.event_id,
            "event_type": event.type,
            "rule_id": hit.rule_id,
            "recipient_id": recipient_id,
            "recipient_role": role,
            "typology": typology,
            "channel": channel,
            "locale": locale,
            "template_version": self.templates.version,
            "message": message,
            "issued_at": issued_at,
            "state": WarningState.issued.value,
        }
        return IssuedWarning(response, row, {**note, "id": identifier})

    def _resolve_typology(self, features: Mapping[str, Any], suspects: list[tuple[str, str]], at: float) -> str:
        """``auto``: the typology screening recognised in the text, else a typology label on the suspected
        party (a label named like ``t04_fake_cs_refund``), else ``generic``."""
        screen = features.get("screen")
        if isinstance(screen, Mapping):
            found = screen.get("typology")
            if isinstance(found, str) and found in _BY_LABEL.values():
                return found
        for entity_type, value in suspects:
            names = features.get(f"labels:{entity_type}:{value}")
            if names is None and self._labels is not None:
                names = self._labels.labels(entity_type, value, at)
            for name in names or ():
                code = _BY_LABEL.get(str(name).lower())
                if code is not None:
                    return code
        return GENERIC_TYPOLOGY

    def _within_limit(self, event_id: str, recipient_id: str, typology: str, now: float) -> bool:
        """Whether the recipient may get another warning of this typology now; counts it when so.

        Fails open: with the counter store unavailable the warning is issued (a warning too many
        beats a victim not warned).
        """
        if self._limit <= 0:
            return True
        key = f"warnings|{recipient_id}|{typology}"
        try:
            # The query window ends just after now, so a warning issued in the same instant counts.
            (recent,) = self._counters.apply([], [CounterQuery(key, self._window, now + 0.001, False)])
            if recent >= self._limit:
                return False
            self._counters.apply([Observation(key, now, event_id, None, self._window)], [])
        except CounterUnavailable as error:
            log.warning("warning rate limit unavailable for %s: %s", event_id, error)
        return True


def _suspects_of_actor(event: Event) -> list[tuple[str, str]]:
    """The parties an acting user deals with: the counterparty account and a payee account."""
    suspects: list[tuple[str, str]] = []
    if event.counterparty is not None:
        suspects.append(("account", event.counterparty.id))
    payee = (event.attributes or {}).get("payee_account")
    if isinstance(payee, str) and payee:
        suspects.append(("payment_account", payee))
    return suspects
