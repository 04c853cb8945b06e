"""Rule pack fixtures: example events with the decision a pack must reach, kept beside the pack.

A pack ``default.yaml`` has its fixtures in ``default.fixtures.yaml``. This module defines the format and
loads it with ``file:line:column`` errors; running the cases through the decision pipeline is done elsewhere
(the runner seeds the state described by ``setup``, replays the prior events, decides ``event``, and checks
``expect``).

Format::

    pack: default                     # the pack these cases are for (optional, checked by the runner)
    cases:
      - name: blocklisted phone is blocked      # unique within the file
        description: optional longer text
        now: 1767225600.0             # optional decision time (epoch seconds); the runner picks one if absent
        setup:                        # optional state to create before the case runs
          lists:                      # list entries
            - {list: blocked_phones, value: "+8613800000000"}
          labels:                     # entity labels in force
            - {entity_type: account, value: acct-9, label: fraud}
          account_ages:               # hours since each account was first seen
            - {account_id: acct-1, hours: 2}
          screen: {risk: 0.9, flagged: true, labels: [refund_scam], typology: refund, indicators: []}
                                      # screening signals to return for the event (optional)
          events:                     # prior events to replay, in order, before ``event``
            - event: {type: message.sent, actor: {id: acct-1}, counterparty: {id: "user-{i}"}}
              repeat: 25              # replay it 25 times; "{i}" in any string becomes 0, 1, 2, ...
        event: {type: account.login, actor: {id: acct-1}, context: {phone: "+8613800000000"}}
        expect:
          decision: block             # allow | warn | review | block (optional)
          rules: [blocklisted_phone]  # live rules that must hit
          not_rules: [burst_messaging]     # rules that must not hit (live or shadow)
          shadow_rules: []            # shadow rules that must hit
          actions: []                 # action tags that must be returned
          min_score: 0                # optional bounds on the score
          max_score: 100
          warns: actor                # who gets a victim warning: actor | counterparty | nobody (optional)
          warning_typology: generic   # the warning's typology (optional; implies a warning)

Every case needs ``name``, ``event`` and ``expect``; ``expect`` needs at least one check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from yaml.nodes import MappingNode, Node, SequenceNode

from fanzha.rules.errors import RulePackError
from fanzha.rules.pack import NodeReader, PackSource, node_span


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListEntry(_Strict):
    """An entry to add to a named list before the case runs."""

    list: str = Field(min_length=1)
    value: str = Field(min_length=1)


class LabelEntry(_Strict):
    """A label to put on an entity before the case runs."""

    entity_type: str = Field(min_length=1)
    value: str = Field(min_length=1)
    label: str = Field(min_length=1)


class AccountAge(_Strict):
    """How long ago (in hours) an account was first seen."""

    account_id: str = Field(min_length=1)
    hours: float = Field(ge=0)


class PriorEvent(_Strict):
    """An event replayed before the case's event, ``repeat`` times (``{i}`` in strings is the repetition)."""

    event: dict[str, Any]
    repeat: int = Field(default=1, ge=1, le=10_000)

    def expand(self) -> list[dict[str, Any]]:
        """The events to replay, with ``{i}`` replaced in every string value."""
        return [_substitute(self.event, str(i)) for i in range(self.repeat)]


def _substitute(value: Any, index: str) -> Any:
    if isinstance(value, str):
        return value.replace("{i}", index)
    if isinstance(value, dict):
        return {k: _substitute(v, index) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, index) for v in value]
    return value


class FixtureSetup(_Strict):
    """State the runner creates before deciding the case's event."""

    lists: tuple[ListEntry, ...] = ()
    labels: tuple[LabelEntry, ...] = ()
    account_ages: tuple[AccountAge, ...] = ()
    screen: dict[str, Any] | None = None
    events: tuple[PriorEvent, ...] = ()

    def prior_events(self) -> list[dict[str, Any]]:
        """All prior events in replay order, repetitions expanded."""
        return [event for prior in self.events for event in prior.expand()]


class FixtureExpect(_Strict):
    """What the decision must look like."""

    decision: Literal["allow", "warn", "review", "block"] | None = None
    rules: tuple[str, ...] = ()
    not_rules: tuple[str, ...] = ()
    shadow_rules: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    min_score: int | None = Field(default=None, ge=0, le=100)
    max_score: int | None = Field(default=None, ge=0, le=100)
    warns: Literal["actor", "counterparty", "nobody"] | None = None
    warning_typology: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _has_a_check(self) -> FixtureExpect:
        if (
            self.decision is None
            and not (self.rules or self.not_rules or self.shadow_rules or self.actions)
            and self.min_score is None
            and self.max_score is None
            and self.warns is None
            and self.warning_typology is None
        ):
            raise ValueError("expect must check something: decision, rules, not_rules, shadow_rules, ...")
        return self


class FixtureCase(_Strict):
    """One example event and its expected decision."""

    name: str = Field(min_length=1)
    description: str = ""
    now: float | None = None
    setup: FixtureSetup = FixtureSetup()
    event: dict[str, Any]
    expect: FixtureExpect


class FixtureFile(_Strict):
    """A fixture file: the cases for one rule pack."""

    pack: str | None = None
    cases: tuple[FixtureCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> FixtureFile:
        seen: set[str] = set()
        for case in self.cases:
            if case.name in seen:
                raise ValueError(f"two cases are named {case.name!r}")
            seen.add(case.name)
        return self


def load_fixtures(text: str, *, filename: str = "<fixtures>") -> FixtureFile:
    """Parse and validate a fixture file.

    Raises:
        RulePackError: with a ``file:line:column`` diagnostic per problem.
    """
    source = PackSource.of(text, filename)
    reader = NodeReader(source)
    root = reader.compose()
    if root is None:
        raise RulePackError(reader.diagnostics, filename=filename)
    try:
        data = reader.plain(root)
    except Exception as exc:  # e.g. a YAML tag the safe loader refuses
        reader.error(f"cannot read the fixture file: {exc}", node_span(root))
        raise RulePackError(reader.diagnostics, filename=filename) from exc
    try:
        return FixtureFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            location = tuple(error["loc"])
            node = _node_at(root, location)
            path = ".".join(str(part) for part in location) or "the file"
            reader.error(f"{path}: {error['msg']}", node_span(node))
        raise RulePackError(reader.diagnostics, filename=filename) from None


def _node_at(root: Node, location: Sequence[int | str]) -> Node:
    """The deepest node along a pydantic error location (the parent when the key itself is missing)."""
    node = root
    for part in location:
        child: Node | None = None
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            return node
        node = child
    return node
