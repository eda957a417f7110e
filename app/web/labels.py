"""The console's words, in zh-TW and English; messages (errors, notices) stay in app/i18n.py."""

from __future__ import annotations

from typing import Any

from app.i18n import is_english

# key -> (zh-TW, en). Placeholders are str.format fields (the page script fills {case_no} and the like).
LABELS: dict[str, tuple[str, str]] = {
    "skip": ("跳到主要內容", "Skip to main content"),
    "site": ("高雄市 1999 派工主控台", "Kaohsiung 1999 dispatch console"),
    "other_language": ("English", "中文"),
    "nav": ("語言與帳號", "Language and account"),
    "role.agent": ("話務人員", "call-centre agent"),
    "role.supervisor": ("督導", "supervisor"),
    "role.agency": ("機關承辦人", "agency responder"),
    "role.mayor_office": ("市長室", "mayor's office"),
    "role.admin": ("系統管理員", "administrator"),
    "signed_in_as": ("登入身分：{name}（{role}）", "Signed in as {name} ({role})"),
    "logout": ("登出", "Log out"),
    "login.title": ("登入", "Log in"),
    "login.username": ("帳號", "Username"),
    "login.password": ("密碼", "Password"),
    "login.submit": ("登入", "Log in"),
    "login.required_field": ("此欄位必填。", "This field is required."),
    "form_expired.title": ("請重新送出", "Please send it again"),
    "form_expired.back": ("回到登入頁", "Back to the login page"),
    "live.title": ("即時派工", "Live dispatch"),
    "live.status": ("連線狀態：", "Connection: "),
    "status.connecting": ("連線中…", "Connecting…"),
    "status.connected": ("已連線，即時更新中。", "Connected: updating live."),
    "status.connected_replayed": (
        "已連線，即時更新中。已補上 {count} 筆動態。",
        "Connected: updating live. {count} missed events added.",
    ),
    "status.reconnecting": ("連線中斷，重新連線中…", "Connection lost: reconnecting…"),
    "status.offline": (
        "離線：網路恢復後會自動補上期間的動態",
        "Offline: missed events arrive once the network is back",
    ),
    "status.logged_out": ("登入已失效。", "Your login has ended."),
    "status.login_link": ("重新登入", "Log in again"),
    "status.refused": ("連線被拒：{message}", "Connection refused: {message}"),
    "counters.title": ("即時統計", "Live counters"),
    "counters.caption": ("各機關處理中的案件", "Open cases per agency"),
    "counters.statistics_only": (
        "本頁顯示各機關的即時統計數字，每有變動即自動更新；不列出個別案件與動態。",
        "This page shows live statistics per agency, updated as they change; "
        "individual cases and events are not listed.",
    ),
    "counters.as_of": ("更新時間 {time}", "As of {time}"),
    "counters.agency": ("機關", "Agency"),
    "counters.open": ("處理中", "Open"),
    "counters.at_risk": ("即將逾期", "At risk"),
    "counters.breached": ("已逾期", "Breached"),
    "counters.unacknowledged": ("未確認收案", "Unacknowledged"),
    "counters.total": ("合計", "Total"),
    "counters.triage": ("待分派", "In triage"),
    "counters.none": ("目前沒有處理中的案件。", "There are no open cases."),
    "awaiting.title": ("待確認收案", "Awaiting acknowledgement"),
    "awaiting.caption": (
        "已分派、尚未確認收案的案件，確認期限最近的在前",
        "Assigned cases not yet acknowledged, nearest deadline first",
    ),
    "awaiting.none": ("目前沒有待確認收案的案件。", "No cases are waiting for acknowledgement."),
    "awaiting.loading": ("載入中…", "Loading…"),
    "awaiting.load_failed": ("無法載入案件清單：{message}", "The case list could not be loaded: {message}"),
    "awaiting.refresh": ("重新載入清單", "Reload the list"),
    "awaiting.reloaded": ("已重新載入清單。", "The list was reloaded."),
    "awaiting.acknowledge": ("確認收案", "Acknowledge"),
    "awaiting.acknowledge_case": ("確認收案 {case_no}", "Acknowledge {case_no}"),
    "awaiting.acknowledged": ("已確認收案 {case_no}。", "Case {case_no} acknowledged."),
    "awaiting.already": (
        "案件 {case_no} 已被他人處理，目前狀態為「{status}」，已從清單移除。",
        "Case {case_no} was handled by someone else (now {status}) and left the list.",
    ),
    "awaiting.still_changing": (
        "案件 {case_no} 剛被他人更新，尚未確認收案，請再按一次「確認收案」。",
        "Case {case_no} was just changed by someone else and is not acknowledged yet: press Acknowledge again.",
    ),
    "awaiting.truncated": (
        "只列出確認期限最近的 {count} 件；其餘請用案件查詢。",
        "Only the {count} cases due soonest are listed; search for the rest.",
    ),
    "flag.urgent": ("緊急", "Urgent"),
    "flag.overdue": ("逾期", "Overdue"),
    "flag.at_risk": ("即將逾期", "Due soon"),
    "case_status.new": ("待分派", "new"),
    "case_status.assigned": ("已分派", "assigned"),
    "case_status.acknowledged": ("已確認收案", "acknowledged"),
    "case_status.waiting_citizen": ("等候民眾補充", "waiting for the citizen"),
    "case_status.reported": ("已回報", "reported back"),
    "case_status.closed": ("已結案", "closed"),
    "case_status.merged": ("已併案", "merged"),
    "case_status.cancelled": ("已取消", "cancelled"),
    "col.case_no": ("案號", "Case no."),
    "col.agency": ("機關", "Agency"),
    "col.category": ("類別", "Category"),
    "col.district": ("行政區", "District"),
    "col.address": ("地址", "Address"),
    "col.assigned_at": ("分派時間", "Assigned"),
    "col.ack_due_at": ("確認期限", "Acknowledge by"),
    "col.reporter_phone": ("陳情人電話", "Reporter's phone"),
    "col.action": ("處理", "Action"),
    "events.title": ("即時動態", "Live events"),
    "events.scroll": ("動態清單（可用方向鍵捲動）", "Event list (scroll with the arrow keys)"),
    "events.hint": ("最新的在最上面。", "Newest first."),
    "events.none.connecting": ("連線中，新的動態稍後會出現在這裡。", "Connecting: new events will appear here."),
    "events.none.connected": ("已連線，目前還沒有新的動態。", "Connected: no new events yet."),
    "events.none.offline": (
        "目前離線，恢復連線後會補上期間的動態。",
        "Offline: missed events will be added once reconnected.",
    ),
    "events.none.refused": ("未連線，不會收到新的動態。", "Not connected: no new events will arrive."),
    "events.many": ("{count} 筆新動態。", "{count} new events."),
    "events.reload": (
        "離線太久，已重新載入清單；更早的動態請查看各案件。",
        "Offline too long: the list was reloaded; see each case for older events.",
    ),
    "events.late": ("（延遲送達）", "(arrived late)"),
    "alerts.title": ("緊急通知", "Urgent alerts"),
    "alerts.none": ("目前沒有緊急通知。", "No urgent alerts."),
    "alerts.outstanding": (
        "有 {count} 件緊急案件尚未確認收案。",
        "{count} urgent cases are still unacknowledged.",
    ),
    # Each kind: a short title, then its sentence. {place} is the district and address.
    "alert.dispatch_alert": ("緊急派工", "Urgent dispatch"),
    "alert.dispatch_alert.text": ("{case_no} {category}，{place}", "{case_no}, {category}, {place}"),
    "alert.sla_escalation_alert": ("逾期升級", "Overdue: escalated"),
    "alert.sla_escalation_alert.text": (
        "案件 {case_no}（{agency}）應於 {deadline} 前{target}，已逾期，請督導處理。",
        "Case {case_no} ({agency}) was to be {target} by {deadline} and is overdue: supervisors, please follow up.",
    ),
    "alert.target.ack": ("確認收到", "acknowledged"),
    "alert.target.report": ("回報處理情形", "reported back"),
    "alert.dead_alert": ("通知失敗，請以人工電話通知機關", "Alert failed: call the agency by hand"),
    "alert.dead_alert.text": (
        "{case_no} {category}（{agency}）：給 {recipient} 的通知無法送達。原因：{reason}",
        "{case_no}, {category} ({agency}): the alert to {recipient} could not be delivered. Reason: {reason}",
    ),
    "alert.supervisors_alert": ("仍未確認收案", "Still unacknowledged"),
    "alert.supervisors_alert.text": (
        "{case_no} {category}，{place}（{agency}）：第 {step} 步，已電話通知機關主管。",
        "{case_no}, {category}, {place} ({agency}): step {step}, the agency's supervisors are being called.",
    ),
    "alert.outstanding": ("緊急案件待確認收案", "Urgent case awaiting acknowledgement"),
    "alert.outstanding.text": (
        "{case_no} {category}，{place}（{agency}）",
        "{case_no}, {category}, {place} ({agency})",
    ),
    "alert.other": ("通知", "Alert"),
    "alert.other.text": ("{case_no}", "{case_no}"),
    "alert.unknown": ("不明", "unknown"),
    "event.case_created": ("新案", "New case"),
    "event.case_assigned": ("分派", "Assigned"),
    "event.case_acknowledged": ("確認收案", "Acknowledged"),
    "event.note_added": ("加註", "Note added"),
    "event.case_reported": ("回報處理情形", "Reported back"),
    "event.case_closed": ("結案", "Closed"),
    "event.case_reopened": ("重新開案", "Reopened"),
    "event.case_merged": ("併案", "Merged"),
    "event.case_merge_received": ("併入案件", "Case merged into this one"),
    "event.case_cancelled": ("取消", "Cancelled"),
    "event.routing_failed": ("無法自動分派", "Could not be routed"),
    "event.sla_paused": ("等候民眾補充", "Waiting for the citizen"),
    "event.sla_resumed": ("恢復處理", "Resumed"),
    "event.sla_recomputed": ("期限重新計算", "Deadlines recomputed"),
    "event.sla_warning": ("即將逾期", "Deadline near"),
    "event.sla_breached": ("已逾期", "Deadline passed"),
    "event.sla_escalated": ("逾期升級", "Escalated"),
    "event.alert_skipped": ("未發簡訊", "SMS not sent"),
    "event.alert_dead": ("通知失敗", "Alert failed"),
    "event.alert_escalated": ("通知升級", "Alert escalated"),
}


def label(key: str, /, **params: Any) -> str:
    """The console word for a key in the request's language; an unknown key shows itself."""
    zh, en = LABELS.get(key, (key, key))
    text = en if is_english() else zh
    return text.format(**params) if params else text


def labels_for_script() -> dict[str, str]:
    """Every label in the request's language, with placeholders left in, for the page script."""
    english = is_english()
    return {key: (en if english else zh) for key, (zh, en) in LABELS.items()}
