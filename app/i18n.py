"""Messages people read, in zh-TW (the default) and English, chosen by Accept-Language."""

from __future__ import annotations

import re
from typing import Any

from flask import g, has_request_context, request
from flask_babel import Babel

SUPPORTED_LOCALES = ("zh_TW", "en")
DEFAULT_LOCALE = "zh_TW"
# A language the console user chose (?lang=, app/web) outranks the browser's Accept-Language.
CHOSEN_LOCALE = "hotline_locale"

babel = Babel()


def select_locale() -> str:
    """The language the console user chose, else the caller's most preferred one we speak; zh-TW when none is."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = g.get(CHOSEN_LOCALE)
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    for language, _quality in request.accept_languages:
        tag = language.lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


# code -> (zh-TW, en). Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "auth.missing": (
        "請提供 Authorization: Bearer <token>，或先登入主控台。",
        "Send Authorization: Bearer <token>, or log in to the console first.",
    ),
    "auth.invalid": (
        "憑證無效或已撤銷，請向管理員重新申請。",
        "The token is invalid or revoked; ask an administrator for a new one.",
    ),
    "auth.csrf": (
        "以主控台登入身分修改資料，須附上有效的 X-CSRFToken 標頭；請重新整理頁面後再試。",
        "A change made with a console login needs a valid X-CSRFToken header; reload the page and try again.",
    ),
    "auth.login_failed": ("帳號或密碼錯誤。", "The username or password is wrong."),
    "auth.logged_out": ("您已登出。", "You are logged out."),
    "auth.form_expired": (
        "表單已過期或不是從本系統送出，請重新整理頁面後再送出。",
        "The form has expired or was not sent from this site; reload the page and submit it again.",
    ),
    "auth.forbidden": ("您的角色（{role}）不能執行此操作。", "Your role ({role}) may not do this."),
    "realtime.unauthenticated": (
        "請先登入主控台，或在連線時提供有效的 API 憑證。",
        "Log in to the console first, or connect with a valid API token.",
    ),
    "realtime.rate_limited": (
        "連線過於頻繁，請稍候幾秒再試。",
        "Too many connection attempts; wait a few seconds and try again.",
    ),
    "realtime.forbidden_room": (
        "您的帳號不能加入此頻道；頻道依您的角色自動加入。",
        "Your account may not join this room; rooms are joined for you by your role.",
    ),
    "stats.forbidden": ("您的角色（{role}）不能查看即時統計。", "Your role ({role}) may not see the live statistics."),
    "http.bad_request": ("請求格式錯誤：{detail}", "Malformed request: {detail}"),
    "http.not_found": ("找不到此網址。", "There is nothing at this address."),
    "http.method_not_allowed": ("此網址不接受這個方法。", "This address does not accept this method."),
    "http.too_large": ("請求內容超過 {limit} 位元組上限。", "The request body is over the {limit}-byte limit."),
    "http.unsupported_media": ("請以 application/json 傳送內容。", "Send the body as application/json."),
    "http.error": ("請求無法處理。", "The request could not be handled."),
    "http.server_error": (
        "系統發生錯誤，已記錄，請稍後再試。",
        "Something went wrong on our side; it is logged. Please try again.",
    ),
    "validation.failed": ("資料有誤，請依欄位說明修正。", "Some fields need correcting; see the field messages."),
    "body.invalid_json": ("內容不是有效的 JSON（或不是 UTF-8 編碼）。", "The body is not valid JSON (or not UTF-8)."),
    "case.not_found": ("找不到案件 {case_no}。", "Case {case_no} was not found."),
    "case.stale_version": (
        "案件 {case_no} 已被他人更新（目前版本 {current}，您送出版本 {given}），請重新載入後再操作。",
        "Case {case_no} was changed by someone else (now version {current}, you sent {given}); "
        "reload it and try again.",
    ),
    "case.illegal_transition": (
        "案件 {case_no} 目前狀態為「{status}」，不能執行「{action}」。",
        'Case {case_no} is {status}; "{action}" is not possible now.',
    ),
    "case.changed_meanwhile": (
        "案件已被他人更新，請重新載入後再操作。",
        "The case was changed by someone else; reload it and try again.",
    ),
    "case.close_needs_report": (
        "{case_type}案件須待機關回報處理情形後才能結案。",
        "A {case_type} case can be closed only after the agency has reported back.",
    ),
    "case.merge_into_self": ("案件不能併入自己。", "A case cannot be merged into itself."),
    "case.merge_target_closed": (
        "目標案件 {case_no} 狀態為「{status}」，只能併入處理中的案件。",
        "Target case {case_no} is {status}; merge only into a case that is still open.",
    ),
    "case.no_route": (
        "找不到「{category}」在此行政區的權責機關，請指定機關。",
        "No agency is responsible for {category} here; name the agency.",
    ),
    "field.required": ("此欄位必填。", "This field is required."),
    "calendar.override_in_past": (
        "{day} 已經過去：過去的日子不能再改為停班或上班，已發生的逾期不會改寫。",
        "{day} has already passed: past days cannot be closed or opened, and breaches that happened stay.",
    ),
    "calendar.no_override": ("{day} 沒有調整紀錄。", "There is no override for {day}."),
    "calendar.year_out_of_range": (
        "只提供 {first} 至 {last} 年的行事曆，沒有 {year} 年。",
        "Calendars cover {first} to {last}; there is none for {year}.",
    ),
    "calendar.bad_range": (
        "時段不可為空，也不可跨過午夜（例如自 13:30 起、至 12:00 止）。",
        "The range must hold some time and stay within the day (e.g. from 13:30, or until 12:00).",
    ),
    "calendar.file_invalid": (
        "行事曆檔案有 {count} 處問題，未匯入任何資料；請依各行說明修正後再匯入。",
        "The calendar file has {count} problem(s); nothing was imported. Correct the lines listed and import again.",
    ),
    "calendar.csv.unknown_encoding": (
        "無法辨識檔案編碼：請存成 UTF-8 或 Big5 編碼的 CSV。",
        "The file's encoding is not recognised: save it as CSV in UTF-8 or Big5.",
    ),
    "calendar.csv.bad_header": (
        "第一行須為欄位名稱：西元日期,星期,是否放假,備註。",
        "The first line must name the columns: 西元日期,星期,是否放假,備註 (date, weekday, day off, note).",
    ),
    "calendar.csv.bad_date": (
        "日期無法辨識（例如 20260101、2026/1/1 或民國 115/1/1）。",
        "The date cannot be read (write 20260101, 2026/1/1, or ROC 115/1/1).",
    ),
    "calendar.csv.other_year": ("這一天不屬於要匯入的年份。", "This day is not in the year being imported."),
    "calendar.csv.duplicate_day": ("這一天在檔案中第二次出現。", "This day appears a second time in the file."),
    "calendar.csv.weekday_mismatch": ("星期與日期不符。", "The weekday does not match the date."),
    "calendar.csv.bad_flag": (
        "「是否放假」須為 2（放假）或 0（上班）。",
        "The day-off column must be 2 (day off) or 0 (working day).",
    ),
    "calendar.csv.weekend_inconsistent": (
        "星期日不會是上班日（補行上班都在星期六）。",
        "A Sunday cannot be a working day (make-up workdays are Saturdays).",
    ),
    "calendar.csv.missing_day": ("檔案缺少這一天。", "This day is missing from the file."),
    "calendar.csv.no_days": ("檔案中沒有任何日期。", "The file holds no days."),
    "calendar.import_needs_confirmation": (
        "匯入 {year} 年官方行事曆會變動 {count} 件處理中案件的期限；請先預覽差異，確認後再匯入"
        '（命令列加 --yes，API 送 "confirm": true）。',
        "Importing the official {year} calendar moves the deadlines of {count} open case(s): preview the "
        'differences, then import again with confirmation (--yes on the command line, "confirm": true in the API).',
    ),
    "field.unknown_category": (
        "沒有代碼為 {code} 的類別（或已停用）。",
        "There is no active category with code {code}.",
    ),
    "field.unknown_district": (
        "沒有代碼為 {code} 的行政區（或已停用）。",
        "There is no active district with code {code}.",
    ),
    "field.unknown_agency": ("沒有代碼為 {code} 的機關（或已停用）。", "There is no active agency with code {code}."),
    "field.type_mismatch": (
        "類別 {category} 屬於「{expected}」案件，不是「{given}」。",
        "Category {category} is for {expected} cases, not {given}.",
    ),
    "field.district_required": ("{case_type}案件必須填寫行政區。", "A {case_type} case needs a district."),
    "field.received_in_future": ("收件時間不能晚於現在。", "The time received cannot be in the future."),
    "field.received_too_old": (
        "收件時間不能早於 {days} 天前；更早的案件請洽管理員。",
        "The time received cannot be more than {days} days ago; ask an administrator for older matters.",
    ),
    "field.naive_datetime": (
        "請加上時區，例如 2023-07-01T09:30:00+08:00。",
        "Add a time zone, e.g. 2023-07-01T09:30:00+08:00.",
    ),
    "field.anonymous_with_name": (
        "匿名案件不可填寫陳情人姓名。",
        "An anonymous case cannot carry the reporter's name.",
    ),
    "field.sms_needs_mobile": (
        "要以簡訊回覆，請提供手機號碼（09 開頭）。",
        "To reply by SMS, give a mobile number (starting 09).",
    ),
    "field.answer_only_consultation": (
        "只有諮詢案件可以當場答覆結案。",
        "Only consultations can be answered and closed at once.",
    ),
    "field.bad_base64": ("須為 base64 編碼的檔案內容。", "Must be the file's content, base64-encoded."),
    "field.bad_date": (
        "日期格式應為 2024-07-25（1990 至 2100 年）。",
        "Dates look like 2024-07-25 (years 1990 to 2100).",
    ),
    "field.bad_cursor": (
        "分頁游標無效，請從第一頁重新查詢。",
        "The page cursor is not valid; start again from the first page.",
    ),
    "phone.invalid": ("電話號碼 {raw} 無效：{reason}", "Phone number {raw} is not valid: {reason}"),
    "phone.short_code": (
        "{raw} 是特殊服務號碼（如 1999、110、119），不能作為陳情人電話。",
        "{raw} is a short service number (like 1999, 110, 119), not a reporter's phone.",
    ),
    "phone.reason.unparseable": (
        "看不出是電話號碼，請只填數字、空白、括號、+ 或 -",
        "it does not look like a phone number; use digits, spaces, brackets, + or -",
    ),
    "phone.reason.too_short": ("位數太少", "too few digits"),
    "phone.reason.too_long": ("位數太多", "too many digits"),
    "phone.reason.not_a_number": (
        "台灣沒有這個號碼（市話請加區碼，如 07；手機為 09 開頭 10 碼）",
        "no such number in Taiwan (landlines need the area code, e.g. 07; mobiles are 10 digits starting 09)",
    ),
}

# Marshmallow's English messages, rendered in zh-TW for the default locale.
_MARSHMALLOW_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "此欄位必填。"),
    (re.compile(r"^Field may not be null\.$"), "此欄位不可為 null。"),
    (re.compile(r"^Unknown field\.$"), "不認得的欄位，請移除。"),
    (re.compile(r"^Not a valid string\.$"), "必須是文字。"),
    (re.compile(r"^Not a valid integer\.$"), "必須是整數。"),
    (re.compile(r"^Not a valid number\.$"), "必須是數字。"),
    (re.compile(r"^Not a valid boolean\.$"), "必須是 true 或 false。"),
    (re.compile(r"^Not a valid datetime\.$"), "必須是 ISO 8601 日期時間，例如 2023-07-01T09:30:00+08:00。"),
    (re.compile(r"^Not a valid date\.$"), "必須是日期，例如 2023-07-01。"),
    (re.compile(r"^Invalid input type\.$"), "資料型態不正確。"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"必須是以下之一：\1。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"長度不可超過 \1 字。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"長度至少 \1 字。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"長度須介於 \1 與 \2 字之間。"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"須介於 \1 與 \2 之間。",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"須大於或等於 \1。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"須小於或等於 \1。"),
    (re.compile(r"^String does not match expected pattern\.$"), "格式不符。"),
    (re.compile(r"^Invalid value\.$"), "值不正確。"),
    (re.compile(r"^Special numeric values \(nan or infinity\) are not permitted\.$"), "不接受 NaN 或無限大。"),
    (re.compile(r"^Must not contain the NUL character\.$"), "不可包含 NUL 字元。"),
    (re.compile(r"^Not valid Unicode text\.$"), "不是有效的 Unicode 文字。"),
    (re.compile(r"^Must be between the years (\d+) and (\d+)\.$"), r"年份須介於 \1 與 \2 之間。"),
]


def is_english() -> bool:
    return select_locale() == "en"


def message(code: str, /, **params: Any) -> str:
    """The message for a code in the request's language; unknown codes fall back to the code."""
    zh, en = MESSAGES.get(code, (code, code))
    template = en if is_english() else zh
    translated = {key: _translate_param(key, value) for key, value in params.items()}
    for key, value in params.items():
        # A parameter named like "reason_code" is itself a message: render it as "reason".
        if key.endswith("_code") and isinstance(value, str):
            translated[key.removesuffix("_code")] = message(value)
    return template.format(**translated)


def translate_validation_message(text: str) -> str:
    if is_english():
        return text
    for pattern, replacement in _MARSHMALLOW_ZH:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return text


# Words that appear inside messages (statuses, actions, case types).
_WORDS_ZH = {
    "new": "新案",
    "assigned": "已分派",
    "acknowledged": "已確認",
    "reported": "已回報",
    "closed": "已結案",
    "merged": "已併案",
    "cancelled": "已取消",
    "waiting_citizen": "等候民眾補充",
    "assign": "分派",
    "acknowledge": "確認收案",
    "note": "加註",
    "report": "回報處理情形",
    "close": "結案",
    "reopen": "重新開案",
    "merge": "併案",
    "cancel": "取消",
    "wait": "等候民眾",
    "resume": "恢復處理",
    "consultation": "諮詢",
    "petition": "陳情",
    "dispatch": "派工",
    "supervision": "全民督工",
    "other": "其他",
    "agent": "話務人員",
    "supervisor": "督導",
    "agency": "機關承辦人",
    "mayor_office": "市長室",
    "admin": "系統管理員",
}


# Only these parameters hold our own vocabulary; everything else may be what a user typed.
_VOCABULARY_PARAMS = frozenset({"status", "action", "case_type", "expected", "given", "role"})


def _translate_param(key: str, value: Any) -> Any:
    if key in _VOCABULARY_PARAMS and isinstance(value, str) and not is_english():
        return _WORDS_ZH.get(value, value)
    return value
