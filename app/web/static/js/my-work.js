/**
 * My work: today's cases change state as agencies acknowledge and report back; the live feed
 * (hotline-live.js) pushes each event, and the row of a case shown here follows it, said politely.
 * A case this agent opens in another tab joins the table.
 */

import { announce, data, el, formatTime, t, tBuilt } from "./console-common.js";
import { connectLive } from "./hotline-live.js";

const body = document.getElementById("my-cases-body");
const announcer = document.getElementById("work-announcer");
const stateNode = document.getElementById("connection-state");

function showStatus(state) {
  stateNode.dataset.state = state;
  stateNode.textContent = tBuilt(`status.${state}`);
}

function statusCell(status) {
  return el("span", { class: `status status-${status}` }, tBuilt(`case_status.${status}`));
}

function addRow(event) {
  const summary = event.case;
  body.querySelector("tr.none")?.remove();
  const category = data.lang === "en" ? summary.category_name_en : summary.category_name_zh;
  const row = el("tr", { "data-case-no": event.case_no },
    el("th", { scope: "row", class: "nowrap" }, event.case_no),
    el("td", {}, category ?? summary.category ?? ""),
    el("td", {}, `${summary.district_name_zh ?? ""} ${summary.address ?? ""}`),
    el("td", { "data-column": "status" }, statusCell(summary.status)),
    el("td", { "data-column": "time_left" }, summary.sla_due_at ? t("my_work.due_at", { time: formatTime(summary.sla_due_at) }) : "—"),
    el("td", { "data-column": "reports", class: "number" }, String(summary.report_count ?? 1)));
  body.prepend(row);
  return row;
}

function onEvent(event, live) {
  let row = body.querySelector(`tr[data-case-no="${CSS.escape(event.case_no)}"]`);
  if (!row && event.type === "case_created" && event.actor === data.username) row = addRow(event);
  if (!row || !event.case) return;
  const cell = row.querySelector('[data-column="status"]');
  const before = cell.querySelector(".status")?.className;
  cell.replaceChildren(statusCell(event.case.status));
  const reports = row.querySelector('[data-column="reports"]');
  if (reports && event.case.report_count) reports.textContent = String(event.case.report_count);
  if (event.case.sla_due_at) {
    row.querySelector('[data-column="time_left"]').textContent = t("my_work.due_at", { time: formatTime(event.case.sla_due_at) });
  }
  if (live && before !== `status status-${event.case.status}`) {
    cell.append(" ", el("span", { class: "flag flag-changed" }, t("my_work.changed")));
    announce(announcer, t("my_work.announce", {
      case_no: event.case_no, status: tBuilt(`case_status.${event.case.status}`), event: tBuilt(`event.${event.type}`),
    }));
  }
}

let live = false;
connectLive({
  storageKey: `hotline-live:my-work:${data.user_id}`,
  initialLastEventId: data.last_event_id,
  onEvent: (event) => onEvent(event, live),
  onStatus: (state) => {
    live = state === "connected";
    showStatus(state);
  },
  onReady() {},
  onReload() {
    window.location.reload();
  },
}).catch(() => showStatus("offline"));
