"""The in-memory side of lists: one membership index per list, kept in step with the database.

Indexes are saved beside the database (``<data_dir>/lists/<name>.idx``) with the revision they
reflect, so a restart maps them back in instead of re-reading millions of rows. A change made by
this process is applied to its index at once (after commit); a change made by another process is
noticed through the revision table and the list is rebuilt from the database.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.lists.index import MembershipIndex
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.lists.repository import ListRepository
from fanzha.lists.service import EntryChange, revision_name

log = logging.getLogger(__name__)


ValueHasher = Callable[[str], str | None]
"""Turns a value as an event gives it into what a hashed list holds (None: it is on no such list)."""


@dataclass
class LoadedList:
    name: str
    kind: ListKind
    revision: int
    index: MembershipIndex
    hasher: ValueHasher | None = None


class ListBook:
    """Every list's membership index, by name. Lookups take no lock.

    ``hashers`` names the lists that hold salted hashes shared by partners (see
    :func:`fanzha.intel.stix.hashed_list_hashers`): a value looked up on one of them is hashed the same
    way first, so such a list matches the clear value.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        snapshot_dir: Path | None,
        *,
        hashers: Callable[[str], ValueHasher | None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._snapshot_dir = snapshot_dir
        self._hashers = hashers
        self._lists: dict[str, LoadedList] = {}
        self._lock = threading.Lock()

    def kind_of(self, name: str) -> ListKind | None:
        """The kind of a loaded list; None when this process has not loaded a list of that name."""
        loaded = self._lists.get(name)
        return None if loaded is None else loaded.kind

    def contains(self, name: str, value: str, at: float, *, normalized: bool = False) -> bool:
        """Whether ``value`` is on list ``name`` at time ``at``; unknown lists and invalid values are not.

        ``normalized=True`` looks ``value`` up as it is (already normalised, or already hashed).
        """
        loaded = self._lists.get(name)
        if loaded is None or len(loaded.index) == 0:
            return False
        if not normalized:
            if loaded.hasher is not None:
                digest = loaded.hasher(value)
                return digest is not None and loaded.index.contains(digest, at)
            try:
                value = normalized_cached(loaded.kind, value)
            except InvalidListValue:
                return False
        return loaded.index.contains(value, at)

    def refresh(self, revisions: Mapping[str, int] | None = None) -> None:
        """Load lists that are new or changed since they were loaded."""
        with self._sessions() as session:
            if revisions is None:
                revisions = RevisionRepository(session).all()
            lists = ListRepository(session).all_lists()
            for indicator_list in lists:
                revision = revisions.get(revision_name(indicator_list.name), 0)
                loaded = self._lists.get(indicator_list.name)
                if loaded is not None and loaded.revision == revision:
                    continue
                self._load(session, indicator_list.name, ListKind(indicator_list.kind), revision)
            gone = set(self._lists) - {item.name for item in lists}
            for name in gone:
                self._lists.pop(name, None)

    def apply(self, change: EntryChange) -> None:
        """Apply a change this process just committed, without rebuilding the list."""
        with self._lock:
            loaded = self._lists.get(change.list_name)
            if loaded is None or change.revision != loaded.revision + 1:
                return  # another process changed the list too: the next refresh rebuilds it
            if change.removed:
                loaded.index.remove(change.value)
            else:
                expires = None if change.expires_at is None else change.expires_at.timestamp()
                loaded.index.add(change.value, expires)
            loaded.revision = change.revision

    def save_snapshots(self) -> None:
        if self._snapshot_dir is None:
            return
        self._snapshot_dir.mkdir(parents=True, exist_ok=True)
        for loaded in list(self._lists.values()):
            with self._lock:
                loaded.index.compact()
                path = self._snapshot_dir / f"{loaded.name}.idx"
                loaded.index.save(path)
                _write_meta(path, loaded.revision)

    def _load(self, session: Session, name: str, kind: ListKind, revision: int) -> None:
        index = self._load_snapshot(name, revision)
        if index is None:
            entries = (
                (value, None if expires_at is None else expires_at.timestamp())
                for value, _reason, _source, expires_at in ListRepository(session).iter_entries(name)
            )
            index = MembershipIndex.build(entries)
            log.info("built list index %s (%d entries, revision %d)", name, len(index), revision)
            if self._snapshot_dir is not None:
                self._snapshot_dir.mkdir(parents=True, exist_ok=True)
                path = self._snapshot_dir / f"{name}.idx"
                index.save(path)
                _write_meta(path, revision)
        hasher = None if self._hashers is None else self._hashers(name)
        with self._lock:
            self._lists[name] = LoadedList(name, kind, revision, index, hasher)

    def _load_snapshot(self, name: str, revision: int) -> MembershipIndex | None:
        if self._snapshot_dir is None:
            return None
        path = self._snapshot_dir / f"{name}.idx"
        meta = path.with_suffix(".meta.json")
        try:
            if json.loads(meta.read_text())["revision"] != revision:
                return None
            return MembershipIndex.load(path)
        except (OSError, ValueError, KeyError):
            return None


@functools.lru_cache(maxsize=131_072)
def normalized_cached(kind: ListKind, value: str) -> str:
    """Normalisation is costly for phones and IPs, and the same values recur event after event."""
    return normalize_value(kind, value)


def _write_meta(path: Path, revision: int) -> None:
    meta = path.with_suffix(".meta.json")
    tmp = meta.with_suffix(".tmp")
    tmp.write_text(json.dumps({"revision": revision}))
    tmp.replace(meta)
