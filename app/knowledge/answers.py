"""Answering a caller from an article: the call in progress ends as a consultation answered, with the article."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.calls.service import end_call
from app.errors import Conflict
from app.models import Call
from app.vocabulary import CallOutcome


def open_call(session: Session, *, user_id: int | None) -> Call | None:
    """The user's call in progress (the newest, should a console have left an older one open)."""
    if user_id is None:
        return None
    return session.scalars(
        select(Call).where(Call.agent_id == user_id, Call.outcome.is_(None)).order_by(Call.id.desc()).limit(1)
    ).first()


def answer_from_article(
    *, session: Session, actor: Actor, article_id: int, call_id: int | None = None, now: datetime | None = None
) -> Call:
    """End the given call (or the actor's call in progress) as answered by the article, which must be published."""
    if call_id is None:
        current = open_call(session, user_id=actor.user_id)
        if current is None:
            raise Conflict("call.none_in_progress")
        call_id = current.id
    return end_call(
        session=session,
        actor=actor,
        call_id=call_id,
        outcome=CallOutcome.CONSULTATION_ANSWERED,
        article_id=article_id,
        now=now,
    )
