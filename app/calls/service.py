"""Starting and ending calls: one service function, one transaction each."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor, may_see
from app.cases import queries
from app.cases.intake import NewCase, record_case
from app.cases.reports import record_report
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.models import Article, Call, Case
from app.vocabulary import CASE_OUTCOMES, ArticleState, CallOutcome, Channel, Role

TAKERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
CALL_CHANNELS = frozenset({Channel.PHONE, Channel.COUNTER, Channel.LINE_VIDEO})
TEXT_MAX = 2000


def start_call(
    *, session: Session, actor: Actor, caller: str | None, channel: Channel = Channel.PHONE, now: datetime | None = None
) -> Call:
    """A call begins: the caller's number as E.164 when it is one; withheld or not a number is kept as unknown."""
    if actor.role not in TAKERS or actor.user_id is None:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    if channel not in CALL_CHANNELS:
        raise InvalidInput("call.channel", fields={"channel": [N_("call.channel")]}, channel=channel.value)
    given = (caller or "").strip()
    e164 = phones.try_normalise(given) if given else None
    with write_transaction(session):
        call = Call(
            caller_phone=e164,
            caller_as_given=None if e164 or not given else given[:40],
            channel=channel,
            agent_id=actor.user_id,
            started_at=now or utcnow(),
        )
        session.add(call)
    return call


def end_call(
    *,
    session: Session,
    actor: Actor,
    call_id: int,
    outcome: CallOutcome,
    case_no: str | None = None,
    article_id: int | None = None,
    answer_text: str | None = None,
    transferred_to: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Call:
    """The call ends with one outcome; an outcome about a case names it, a consultation says what answered it."""
    answer = (answer_text or "").strip() or None
    destination = (transferred_to or "").strip() or None
    problems: dict[str, list[str]] = {}
    if outcome in CASE_OUTCOMES and not case_no:
        problems["case_no"] = [N_("call.case_required")]
    if outcome is CallOutcome.CONSULTATION_ANSWERED and article_id is None and answer is None:
        problems["answer_text"] = [N_("call.answer_required")]
    if outcome is CallOutcome.TRANSFERRED and destination is None:
        problems["transferred_to"] = [N_("call.transfer_required")]
    for field, text in (("answer_text", answer), ("note", note)):
        if text and len(text) > TEXT_MAX:
            problems[field] = [N_("call.text_too_long")]
    if problems:
        raise InvalidInput("validation.failed", fields=problems)
    with write_transaction(session):
        call = _open_call(session, actor, call_id)
        case = queries.get_case(session=session, actor=actor, case_no=case_no) if case_no else None
        if case is not None and not may_see(actor, case):
            raise NotFound("case.not_found", case_no=case_no)
        if article_id is not None:
            _check_answerable(session, article_id)
        ended_at = now or utcnow()
        if outcome is CallOutcome.ADDED_TO_CASE and case is not None:
            # Ended without the reporter's details (the end-call form): the caller's number is the reporter.
            _add_report(session, actor, call, case, ended_at, reporter_name=None, anonymous=False, text=note)
        _finish(call, outcome, ended_at, case)
        call.article_id, call.answer_text, call.transferred_to = article_id, answer, destination
        call.note = (note or "").strip() or None
    return call


def open_case_for_call(
    *, session: Session, actor: Actor, call_id: int, new_case: NewCase, tz: ZoneInfo, now: datetime | None = None
) -> tuple[Call, Case]:
    """The caller's matter becomes a case and the call ends as "case opened", in one transaction."""
    now = now or utcnow()
    with write_transaction(session):
        call = _open_call(session, actor, call_id)
        # The case came in the way the call did (phone, counter, sign-language video).
        new_case = replace(new_case, channel=call.channel)
        case = record_case(session=session, actor=actor, new_case=new_case, tz=tz, now=now)
        session.flush()
        _finish(call, CallOutcome.CASE_OPENED, now, case)
    return call, case


def add_call_to_case(
    *,
    session: Session,
    actor: Actor,
    call_id: int,
    case_no: str,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    anonymous: bool = False,
    text: str | None = None,
    now: datetime | None = None,
) -> tuple[Call, Case]:
    """追加反映: the caller reports a case already open; the case gets a `report_added` event with this
    reporter, and the call ends as "added to case", in one transaction."""
    now = now or utcnow()
    given = (reporter_phone or "").strip()
    phone = phones.try_normalise(given) if given else None
    if given and phone is None:
        raise InvalidInput("validation.failed", fields={"reporter_phone": [N_("phone.invalid")]}, raw=given)
    with write_transaction(session):
        call = _open_call(session, actor, call_id)
        case = queries.get_case(session=session, actor=actor, case_no=case_no)
        _add_report(
            session, actor, call, case, now, reporter_name=reporter_name, anonymous=anonymous, text=text, phone=phone
        )
        _finish(call, CallOutcome.ADDED_TO_CASE, now, case)
    return call, case


def _open_call(session: Session, actor: Actor, call_id: int) -> Call:
    """The call, locked, if this actor may end it and it has not ended yet."""
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or not _may_end(actor, call):
        raise NotFound("call.not_found", call_id=call_id)
    if call.outcome is not None:
        raise Conflict("call.already_ended", outcome=call.outcome.value)
    return call


def _add_report(
    session: Session,
    actor: Actor,
    call: Call,
    case: Case,
    now: datetime,
    *,
    reporter_name: str | None,
    anonymous: bool,
    text: str | None,
    phone: str | None = None,
) -> None:
    record_report(
        session,
        case,
        actor=actor,
        now=now,
        reporter_name=reporter_name,
        reporter_phone=None if anonymous else phone or call.caller_phone,
        anonymous=anonymous,
        text=text,
        call_id=call.id,
    )


def _finish(call: Call, outcome: CallOutcome, ended_at: datetime, case: Case | None) -> None:
    call.outcome, call.ended_at = outcome, ended_at
    call.case_id = case.id if case is not None else None


def _may_end(actor: Actor, call: Call) -> bool:
    """The agent who took the call ends it; a supervisor may end anyone's (a console left open)."""
    return call.agent_id == actor.user_id or actor.role in (Role.SUPERVISOR, Role.ADMIN)


def get_call(*, session: Session, actor: Actor, call_id: int) -> Call:
    """A call its agent (or a supervisor) may look at; anyone else's is not found."""
    call = session.get(Call, call_id)
    if call is None or actor.role not in TAKERS or not _may_end(actor, call):
        raise NotFound("call.not_found", call_id=call_id)
    return call


def calls_in_progress(*, session: Session, actor: Actor, limit: int = 10) -> list[Call]:
    """This agent's calls not ended yet (a tab closed mid-call), newest first."""
    statement = (
        select(Call).where(Call.agent_id == actor.user_id, Call.outcome.is_(None)).order_by(Call.id.desc()).limit(limit)
    )
    return list(session.scalars(statement))


def _check_answerable(session: Session, article_id: int) -> None:
    """Only a published article answers a caller (a draft is unchecked, an archived one withdrawn)."""
    article = session.get(Article, article_id)
    if article is None:
        raise InvalidInput("validation.failed", fields={"article_id": [N_("call.article_unknown")]})
    if article.state is not ArticleState.PUBLISHED:
        raise InvalidInput("validation.failed", fields={"article_id": [N_("call.article_unpublished")]})
