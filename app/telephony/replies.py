"""Acknowledgement from a phone: an SMS reply from a registered duty phone, or a keypress on the alert call.

Also the provider's status callbacks, which move an outbox row forward and never back.
Each function returns what to say to the person (SMS reply text, or TwiML for the call).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor
from app.alerting.alerts import unacknowledged_cases
from app.alerting.outbox import report_dead
from app.cases.actions import acknowledge_case
from app.db import write_transaction
from app.errors import DomainError
from app.models import Agency, Case, Notification, SmsOptOut
from app.reference.rosters import agencies_of_roster_phone, roster_phones
from app.vocabulary import CaseStatus, NotificationChannel, NotificationStatus, Role
from dispatch.channels.twilio import PERMANENT_ERROR_CODES
from dispatch.voice import acknowledged_twiml, alert_twiml, say_twiml

log = logging.getLogger(__name__)

_CASE_NO = re.compile(r"\d{7}-\d{4}")
# "1", "收到", "收到 1", "1 收到", "ok 1": one open case, acknowledged.
_ACKNOWLEDGING = re.compile(r"^(?:收到|OK|好)?\s*1?\s*(?:收到)?$", re.IGNORECASE)
_STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退訂", "取消訂閱"}
_START_WORDS = {"START", "YES", "UNSTOP", "訂閱"}

# Provider statuses in the order they can happen; a callback never moves a row back.
_PROGRESS = {
    "queued": 0, "initiated": 0, "accepted": 0, "sending": 1, "ringing": 1, "sent": 2, "in-progress": 2,
    "answered": 2, "delivered": 3, "completed": 3, "read": 3,
    "undelivered": 3, "failed": 3, "busy": 3, "no-answer": 3, "canceled": 3,
}  # fmt: skip
_DELIVERED = {"delivered", "completed", "read"}
_NOT_DELIVERED = {"undelivered", "failed"}


def _duty_agencies(session: Session, phone: str) -> list[Agency]:
    """Every active agency that lists this duty phone (a district office may share one with a bureau)."""
    on_roster = agencies_of_roster_phone(session, phone)
    return [
        agency
        for agency in session.scalars(select(Agency).where(Agency.active.is_(True)))
        if phone in agency.duty_phones or agency.id in on_roster
    ]


def _plain(text: str) -> str:
    """Full-width digits and punctuation as people type them on a phone, made plain."""
    return unicodedata.normalize("NFKC", text).strip().rstrip("。.!！")


def _phone_actor(agency: Agency, phone: str, via: str) -> Actor:
    return Actor(user_id=None, username=f"{via}:{phone}", role=Role.AGENCY, agency_id=agency.id)


def reply_to_sms(session: Session, *, sender: str, body: str, now: datetime) -> str:
    """Handle an inbound SMS: STOP/START, or 收到 from a duty phone. Returns the reply text."""
    phone = phones.try_normalise(sender)
    if phone is None:
        return "無法辨識來電號碼，未做任何變更。"
    text = _plain(body)
    words = text.upper()
    if words in _STOP_WORDS:
        with write_transaction(session):
            if session.get(SmsOptOut, phone) is None:
                session.add(SmsOptOut(phone=phone, opted_out_at=now))
        return "已停止傳送高雄市1999簡訊。回覆 START 可恢復。"
    if words in _START_WORDS:
        with write_transaction(session):
            session.execute(delete(SmsOptOut).where(SmsOptOut.phone == phone))
        return "已恢復傳送高雄市1999簡訊。"
    agencies = _duty_agencies(session, phone)
    if not agencies:
        return "您好，此號碼不是登錄的機關值勤電話，無法以簡訊確認案件。如需協助請撥 1999。"
    waiting = [case for agency in agencies for case in unacknowledged_cases(session, agency.id)]
    named = _CASE_NO.search(text)
    if named:
        chosen = [case for case in waiting if case.case_no == named.group(0)]
        if not chosen:
            return f"案件 {named.group(0)} 不是此值勤電話待確認的案件，未做任何變更。"
    elif _ACKNOWLEDGING.match(text):
        if not waiting:
            return "目前沒有待確認的案件，謝謝。"
        if len(waiting) > 1:
            listed = "、".join(case.case_no for case in waiting[:5])
            return f"有 {len(waiting)} 件待確認（{listed}），請回覆「收到 案件編號」。"
        chosen = waiting
    else:
        return "請回覆 1 確認收到；有多件時請回覆「收到 案件編號」。"
    case = chosen[0]
    assert case.agency is not None
    return _acknowledge(session, case, _phone_actor(case.agency, phone, "sms"), now, via="sms", phone=phone)


def _acknowledge(session: Session, case: Case, actor: Actor, now: datetime, *, via: str, phone: str) -> str:
    try:
        acknowledge_case(
            session=session,
            actor=actor,
            case_no=case.case_no,
            version=case.version,
            now=now,
            via={"via": via, "phone": phone},
        )
    except DomainError as refusal:
        log.info("acknowledgement of %s by %s refused: %s", case.case_no, phone, refusal.code)
        return f"案件 {case.case_no} 已由他人處理或狀態已變更，未做任何變更。"
    return f"已確認收到案件 {case.case_no}，謝謝。"


def answer_keypress(session: Session, *, notification_id: int, digits: str, gather_url: str, now: datetime) -> str:
    """Handle a key pressed on an alert call: 1 acknowledges, 2 repeats. Returns TwiML."""
    notification = session.get(Notification, notification_id) if 0 < notification_id < 2**63 else None
    case = session.get(Case, notification.case_id) if notification and notification.case_id else None
    if notification is None or case is None or case.agency is None:
        return say_twiml("查無此通知。")
    agency_phones = (*case.agency.duty_phones, *case.agency.supervisor_phones)
    if notification.recipient not in agency_phones and notification.recipient not in roster_phones(
        session, case.agency.id
    ):
        # A call placed for the agency the case was taken from: that agency can no longer acknowledge it.
        return say_twiml(f"案件 {case.case_no} 已改由其他機關處理，不需確認，謝謝。")
    if digits != "1":
        return alert_twiml(notification.body, gather_url)  # 2 asks to hear it again; any other key too
    if case.status is not CaseStatus.ASSIGNED:
        return say_twiml(f"案件 {case.case_no} 目前不需確認（狀態已變更），謝謝。")
    actor = _phone_actor(case.agency, notification.recipient, "voice")
    reply = _acknowledge(session, case, actor, now, via="voice", phone=notification.recipient)
    return acknowledged_twiml(case.case_no) if reply.startswith("已確認") else say_twiml(reply)


def record_status(session: Session, *, sid: str, status: str, error_code: str | None, now: datetime) -> bool:
    """A provider status callback: move the row forward (never back). False if the SID is unknown."""
    status = status.lower()
    with write_transaction(session):
        row = session.scalar(select(Notification).where(Notification.provider_id == sid).with_for_update())
        if row is None:
            return False
        if _PROGRESS.get(status, -1) < _PROGRESS.get(row.provider_status or "queued", 0):
            return True  # late or repeated callback: what we know is newer
        row.provider_status = status
        if status in _DELIVERED and row.status is NotificationStatus.SENT:
            row.status, row.delivered_at = NotificationStatus.DELIVERED, now
        elif (
            status in _NOT_DELIVERED
            and row.channel == NotificationChannel.SMS
            and row.status is NotificationStatus.SENT
        ):
            code = int(error_code) if error_code and error_code.isdigit() else None
            row.last_error = f"Twilio {code}: {PERMANENT_ERROR_CODES.get(code or 0, 'not delivered')}"
            # Not delivered is not sent: a permanent reason ends it, anything else is tried again.
            if code in PERMANENT_ERROR_CODES:
                row.status = NotificationStatus.DEAD
                report_dead(session, row, now)
            else:
                # Free the SID so the resend can store its own; late callbacks for this one are ignored.
                row.status, row.provider_id, row.next_attempt_at = NotificationStatus.FAILED, None, now
    return True
