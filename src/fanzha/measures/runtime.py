"""Making this process's decisions see the re-registration bans a measure just put on lists."""

from __future__ import annotations

from collections.abc import Sequence

from fanzha.lists.runtime import ListBook
from fanzha.lists.service import EntryChange


def apply_list_changes(book: ListBook, changes: Sequence[EntryChange]) -> None:
    """Apply committed list changes to the in-memory index (a list not loaded yet is loaded)."""
    if not changes:
        return
    if any(book.kind_of(change.list_name) is None for change in changes):
        book.refresh()
        return
    for change in changes:
        book.apply(change)
