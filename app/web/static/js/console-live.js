/**
 * The live dispatch page: counters and events from the socket, the cases awaiting
 * acknowledgement from the JSON API (with the login session and its CSRF token).
 * Text from cases is only ever set as text, never parsed as HTML.
 */

import { connectLive } from "./hotline-live.js";

const data = JSON.parse(document.getElementById("console-data").textContent);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const stateNode = document.getElementById("connection-state");
const eventLog = document.getElementById("event-log");
const eventsEmpty = document.getElementById("events-empty");
const alertList = document.getElementById("alert-list");
const alertsEmpty = document.getElementById("alerts-empty");
const awaitingBody = document.getElementById("awaiting-body");
const awaitingStatus = document.getElementById("awaiting-status");
const COLUMNS = ["open", "at_risk", "breached", "unacknowledged"];
const MAX_LOG = 300; // entries kept on screen; older ones are in each case's history
const MAX_ALERTS = 20;
const REFRESH_DELAY_MS = 300; // a burst of events reloads the list once
// Events after which a case may have joined or left the list of cases awaiting acknowledgement.
const LIST_CHANGES = new Set([
  "case_assigned", "case_acknowledged", "case_reported", "case_closed", "case_cancelled",
  "case_merged", "case_reopened",
]);

function t(key, params = {}) {
  const text = data.labels[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

const locale = data.lang === "en" ? "en-GB" : "zh-TW";
const timeOnly = new Intl.DateTimeFormat(locale, {
  timeZone: data.time_zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const dayAndTime = new Intl.DateTimeFormat(locale, {
  timeZone: data.time_zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function formatTime(iso, format = timeOnly) {
  if (!iso) return "";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? String(iso) : format.format(moment);
}

function categoryName(code, summary = null) {
  const fromEvent = data.lang === "en" ? summary?.category_name_en : summary?.category_name_zh;
  return fromEvent ?? data.categories[code] ?? code ?? "";
}

// Connection state ----------------------------------------------------------------------

let replayNote = "";

function showStatus(state, detail) {
  stateNode.dataset.state = state;
  if (state === "refused" && detail?.code === "realtime.unauthenticated") {
    stateNode.replaceChildren(t("status.logged_out"), " ", el("a", { href: "/login" }, t("status.login_link")));
    return;
  }
  if (state === "refused") {
    stateNode.textContent = t("status.refused", { message: detail?.message ?? detail?.code ?? "" });
    return;
  }
  stateNode.textContent = state === "connected" && replayNote ? `${t("status.connected")} ${replayNote}` : t(`status.${state}`);
  eventLog.setAttribute("aria-busy", String(state !== "connected"));
}

// Event log: newest first, each event once, late events slotted in by id -----------------

function addEvent(event) {
  const summary = event.case ?? {};
  const item = el(
    "li",
    { "data-event-id": event.id, "data-case-no": event.case_no, "data-type": event.type },
    el("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)), " ",
    el("span", { class: "event-type" }, data.labels[`event.${event.type}`] ?? event.type), " ",
    el("span", { class: "case-no" }, event.case_no), " ",
    el("span", { class: "category" }, categoryName(summary.category, summary)), " ",
    el("span", { class: "address" }, summary.address ?? ""),
    event.late ? el("span", { class: "late" }, ` ${t("events.late")}`) : null,
  );
  let before = null;
  for (const existing of eventLog.children) {
    if (Number(existing.dataset.eventId) < event.id) {
      before = existing;
      break;
    }
  }
  eventLog.insertBefore(item, before);
  while (eventLog.children.length > MAX_LOG) eventLog.lastElementChild.remove();
  eventsEmpty.hidden = true;
  if (LIST_CHANGES.has(event.type)) scheduleAwaiting();
}

// Urgent alerts ---------------------------------------------------------------------------

function addAlert(alert) {
  const kind = data.labels[`alert.${alert.event}`] ?? t("alert.other");
  alertList.prepend(el(
    "li",
    { "data-alert-id": alert.alert_id, "data-case-no": alert.case_no },
    el("strong", {}, kind), " ", alert.case_no ?? "", " ", categoryName(alert.category), " ", alert.address ?? "",
  ));
  while (alertList.children.length > MAX_ALERTS) alertList.lastElementChild.remove();
  alertsEmpty.hidden = true;
}

// Counters --------------------------------------------------------------------------------

function showCounters(counters) {
  const rows = (counters.agencies ?? []).map((row) => el(
    "tr",
    { "data-agency": row.agency ?? "" },
    el("th", { scope: "row" }, row.agency ? data.agencies[row.agency] ?? row.name_zh ?? row.agency : t("counters.triage")),
    ...COLUMNS.map((column) => el("td", { "data-column": column }, String(row[column] ?? 0))),
  ));
  const body = document.getElementById("counters-body");
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5 }, t("counters.none")))]));
  for (const cell of document.querySelectorAll("#counters tfoot td[data-column]")) {
    cell.textContent = String(counters.totals?.[cell.dataset.column] ?? 0);
  }
  document.getElementById("counters-as-of").textContent = t("counters.as_of", { time: formatTime(counters.as_of) });
}

// Cases awaiting acknowledgement, over HTTP -------------------------------------------------

let awaitingRequest = null;
let awaitingTimer = null;

async function api(path, options = {}) {
  const headers = { Accept: "application/json", "Accept-Language": data.lang, ...(options.headers ?? {}) };
  const response = await fetch(`${data.api}${path}`, { credentials: "same-origin", ...options, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function scheduleAwaiting(delay = REFRESH_DELAY_MS) {
  clearTimeout(awaitingTimer);
  awaitingTimer = setTimeout(() => loadAwaiting(), delay);
}

async function loadAwaiting(announce = "") {
  awaitingRequest?.abort();
  const request = new AbortController();
  awaitingRequest = request;
  try {
    const page = await api("/cases?status=assigned&limit=100", { signal: request.signal });
    if (request !== awaitingRequest) return;
    renderAwaiting(page.items ?? []);
    awaitingStatus.textContent = announce;
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.status === 401) {
      // Said, not done: a sudden jump to the login page would lose the reader's place (and race a logout).
      awaitingStatus.replaceChildren(t("status.logged_out"), " ", el("a", { href: "/login" }, t("status.login_link")));
      return;
    }
    awaitingStatus.textContent = t("awaiting.load_failed", { message: error.message });
  }
}

function dueTime(item) {
  const due = Date.parse(item.sla?.ack_due_at ?? "");
  return Number.isNaN(due) ? Number.POSITIVE_INFINITY : due;
}

function renderAwaiting(items) {
  const rows = [...items].sort((a, b) => dueTime(a) - dueTime(b)).map((item) => {
    const action = data.can_acknowledge
      ? el("button", { type: "button", "aria-label": t("awaiting.acknowledge_case", { case_no: item.case_no }) },
        t("awaiting.acknowledge"))
      : "";
    if (action) action.addEventListener("click", () => acknowledge(item.case_no, item.version, action));
    return el(
      "tr",
      { "data-case-no": item.case_no },
      el("th", { scope: "row" }, item.case_no),
      el("td", {}, categoryName(item.category)),
      el("td", {}, data.districts[item.district] ?? item.district ?? ""),
      el("td", {}, item.address ?? ""),
      el("td", {}, el("time", { datetime: item.assigned_at }, formatTime(item.assigned_at, dayAndTime))),
      el("td", {}, el("time", { datetime: item.sla?.ack_due_at }, formatTime(item.sla?.ack_due_at, dayAndTime))),
      el("td", {}, item.reporter_phone ?? "—"),
      el("td", {}, action),
    );
  });
  awaitingBody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 8 }, t("awaiting.none")))]));
}

async function acknowledge(caseNo, version, button) {
  button.disabled = true;
  try {
    await api(`/cases/${encodeURIComponent(caseNo)}/acknowledge`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ version }),
    });
    await loadAwaiting(t("awaiting.acknowledged", { case_no: caseNo }));
  } catch (error) {
    awaitingStatus.textContent = error.message;
    button.disabled = false;
  }
}

document.getElementById("awaiting-refresh").addEventListener("click", () => loadAwaiting(t("awaiting.reloaded")));

// Wiring ----------------------------------------------------------------------------------

loadAwaiting();
connectLive({
  storageKey: `hotline-live:last-event-id:${data.user_id}`,
  initialLastEventId: data.last_event_id,
  onEvent: addEvent,
  onCounters: showCounters,
  onAlert: addAlert,
  onStatus: showStatus,
  onReady(message) {
    replayNote = message.replayed ? t("events.replayed", { count: message.replayed }) : "";
    scheduleAwaiting(0); // what changed between the page's first fetch and the socket's start
  },
  onReload() {
    loadAwaiting(t("events.reload"));
  },
}).catch((error) => showStatus("refused", { message: error.message }));
