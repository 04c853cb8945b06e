"""Entity labels: set and remove them, with the rule that a manual label beats an automatic one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.audit import service as audit
from fanzha.entities.models import EntityLabel
from fanzha.entities.repository import LabelRepository
from fanzha.events.entities import EntityType
from fanzha.kit.clock import ensure_utc, utcnow
from fanzha.kit.errors import Conflict, InvalidInput, NotFound
from fanzha.kit.revisions.repository import RevisionRepository
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value

LABELS_REVISION = "labels"

_KIND_OF_ENTITY = {
    EntityType.account: ListKind.account,
    EntityType.device: ListKind.device,
    EntityType.ip: ListKind.ip,
    EntityType.phone: ListKind.phone,
    EntityType.url: ListKind.url,
    EntityType.domain: ListKind.domain,
    EntityType.payment_account: ListKind.payment_account,
}


def normalize_entity(entity_type: EntityType, value: str) -> str:
    """The canonical form of an entity value (E.164 phones, lower-case domains, ...)."""
    kind = _KIND_OF_ENTITY.get(entity_type)
    if kind is None:
        return value.strip()
    try:
        return normalize_value(kind, value)
    except InvalidListValue as error:
        raise InvalidInput(str(error), details=[{"field": "value"}], zh=error.message_zh) from None


def set_label(
    session: Session,
    *,
    entity_type: EntityType,
    value: str,
    label: str,
    reason: str,
    source: str,
    manual: bool,
    expires_at: datetime | None,
    actor: str,
) -> EntityLabel:
    """Set (or refresh) a label. An automatic change never overrides a manual label."""
    normalized = normalize_entity(entity_type, value)
    if expires_at is not None and ensure_utc(expires_at) <= utcnow():
        raise InvalidInput(
            "expires_at is in the past", details=[{"field": "expires_at"}], zh="expires_at 已是过去的时间"
        )
    repository = LabelRepository(session)
    existing = repository.get(entity_type.value, normalized, label)
    before = None
    if existing is not None:
        if existing.manual and not manual:
            raise Conflict(
                f"{entity_type.value} {normalized!r} carries a manual label {label!r}; automation may not change it",
                zh=f"{entity_type.value} {normalized!r} 带有人工标签 {label!r}；自动化流程不得更改",
            )
        before = _label_state(existing)
        existing.reason, existing.source, existing.manual = reason, source or actor, manual
        existing.expires_at = expires_at
        session.flush()
        record = existing
    else:
        record = EntityLabel(
            entity_type=entity_type.value,
            entity_value=normalized,
            label=label,
            reason=reason,
            source=source or actor,
            manual=manual,
            expires_at=expires_at,
            created_at=utcnow(),
            created_by=actor,
        )
        repository.add(record)
    RevisionRepository(session).bump(LABELS_REVISION)
    audit.record(
        session,
        actor=actor,
        action="label.set",
        object_type="entity_label",
        object_id=f"{entity_type.value}:{normalized}:{label}",
        before=before,
        after=_label_state(record),
        reason=reason or None,
    )
    return record


def remove_label(
    session: Session,
    *,
    entity_type: EntityType,
    value: str,
    label: str,
    manual: bool,
    actor: str,
    reason: str | None,
) -> None:
    normalized = normalize_entity(entity_type, value)
    repository = LabelRepository(session)
    existing = repository.get(entity_type.value, normalized, label)
    if existing is None:
        raise NotFound(
            f"{entity_type.value} {normalized!r} has no label {label!r}",
            zh=f"{entity_type.value} {normalized!r} 没有标签 {label!r}",
        )
    if existing.manual and not manual:
        raise Conflict("automation may not remove a manual label", zh="自动化流程不得移除人工标签")
    before = _label_state(existing)
    repository.remove(existing)
    RevisionRepository(session).bump(LABELS_REVISION)
    audit.record(
        session,
        actor=actor,
        action="label.remove",
        object_type="entity_label",
        object_id=f"{entity_type.value}:{normalized}:{label}",
        before=before,
        reason=reason,
    )


def labels_of(session: Session, *, entity_type: EntityType, value: str) -> list[EntityLabel]:
    return LabelRepository(session).for_entity(entity_type.value, normalize_entity(entity_type, value))


def _label_state(label: EntityLabel) -> dict[str, object]:
    return {
        "reason": label.reason,
        "source": label.source,
        "manual": label.manual,
        "expires_at": None if label.expires_at is None else label.expires_at.isoformat(),
    }
