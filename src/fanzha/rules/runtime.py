"""The active compiled rule set of this process, swapped atomically when a new version is pushed."""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy.orm import Session, sessionmaker

from fanzha.rules.engine import CompiledRuleSet, compile_rule_pack
from fanzha.rules.repository import RuleSetRepository

log = logging.getLogger(__name__)

EMPTY_PACK = "pack: empty\ndescription: no rule set has been pushed yet\nrules: []\n"


class RuleBook:
    """Holds the compiled active rule set; ``current()`` is one attribute read on the hot path."""

    def __init__(self, sessions: sessionmaker[Session], known_event_types: Collection[str]) -> None:
        self._sessions = sessions
        self._known = frozenset(known_event_types)
        self._current = compile_rule_pack(EMPTY_PACK, filename="<empty>", known_event_types=self._known)
        self.revision = -1

    def current(self) -> CompiledRuleSet:
        return self._current

    def install(self, compiled: CompiledRuleSet, revision: int | None = None) -> None:
        self._current = compiled
        if revision is not None:
            self.revision = revision

    def refresh(self, revision: int) -> None:
        if revision == self.revision:
            return
        with self._sessions() as session:
            active = RuleSetRepository(session).active()
            if active is not None and active.version != self._current.version:
                self._current = compile_rule_pack(
                    active.source, filename=active.filename, known_event_types=self._known
                )
                log.info("activated rule set %s (%s)", active.version, active.name)
        self.revision = revision
