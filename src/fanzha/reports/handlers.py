"""Bus handlers of the reports domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanzha.bus.dispatcher import Message
from fanzha.reports import service as reports_service


def on_case_ended(session: Session, message: Message) -> None:
    """``case.ended``: tell the reporters of the case its outcome (runs after the decision committed).

    The dispatcher runs it once per message; :func:`reports_service.record_outcomes` writes each
    outcome only where none is, so a case ending twice (decided, then closed) tells no one twice.
    """
    case_id = message.payload.get("case_id")
    if isinstance(case_id, int):
        reports_service.record_outcomes(session, case_id=case_id)
