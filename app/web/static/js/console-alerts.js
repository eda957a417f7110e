/**
 * Urgent alerts: those pushed by the server (a dispatch, a ladder step, an SLA escalation, an
 * alert that could not be delivered) and those derived from the case list after a (re)connect.
 *
 * Alerts are pushed once and never replayed, so a console that was offline, or a page that was
 * reloaded, would otherwise show none of the urgent cases still waiting; the list of cases
 * awaiting acknowledgement says which those are. An alert is cleared once its case has moved on.
 */

import {
  agencyName, announce, categoryName, data, dayAndTime, districtName, el, english, formatTime, isUrgent,
  nationalPhone, t, tBuilt,
} from "./console-common.js";

const MAX_ALERTS = 50;
// Statuses after which a case no longer needs its report chased.
const REPORT_SETTLED = new Set(["reported", "closed", "merged", "cancelled"]);

let alertList = null;
let alertsEmpty = null;
let announcer = null;
let toggle = null;
let latest = null;
// key (the alert id, or "case:<no>" for a derived one) -> {node, caseNo, kind, target, addedAt}
const entries = new Map();

export function initAlerts() {
  alertList = document.getElementById("alert-list");
  alertsEmpty = document.getElementById("alerts-empty");
  announcer = document.getElementById("alert-announcer");
  toggle = document.getElementById("alerts-toggle");
  latest = document.getElementById("alert-latest");
  toggle?.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    alertList.hidden = !open;
  });
}

/** The stack's count and its newest line; the list itself opens only on request (a count, not banners). */
function restack() {
  const count = alertList.children.length;
  alertsEmpty.hidden = count > 0;
  if (!toggle) return;
  toggle.hidden = count === 0;
  toggle.textContent = t("alerts.count", { count });
  const newest = alertList.firstElementChild;
  latest.textContent = newest ? newest.textContent : "";
  if (count === 0) {
    toggle.setAttribute("aria-expanded", "false");
    alertList.hidden = true;
  }
}

function place(fields) {
  return [districtName(fields.district), fields.address].filter(Boolean).join(" ") || t("alert.unknown");
}

function recipientName(recipient) {
  if (!recipient) return t("alert.unknown");
  return recipient.startsWith("+") ? nationalPhone(recipient) : recipient.replace(/^room:/, "");
}

/** The words for one alert, by kind: {title, text, lang} (lang when the text is in another language). */
export function describeAlert(alert) {
  const fields = {
    case_no: alert.case_no ?? "",
    category: categoryName(alert.category) || t("alert.unknown"),
    place: place(alert),
    agency: agencyName(alert.agency) || t("alert.unknown"),
  };
  switch (alert.kind) {
    case "dispatch_alert":
    case "outstanding":
    case "supervisors_alert":
      return {
        title: tBuilt(`alert.${alert.kind}`),
        text: tBuilt(`alert.${alert.kind}.text`, { ...fields, step: alert.step ?? "" }),
      };
    case "sla_escalation_alert": {
      const title = t("alert.sla_escalation_alert");
      // The server's sentence is the one the supervisors' SMS carries; it is written in zh-TW only.
      if (alert.text && !english) return { title, text: alert.text };
      const target = data.labels[`alert.target.${alert.target}`] ?? alert.target ?? "";
      const deadline = formatTime(alert.deadline, dayAndTime) || t("alert.unknown");
      return { title, text: t("alert.sla_escalation_alert.text", { ...fields, target, deadline }) };
    }
    case "dead_alert":
      return {
        title: t("alert.dead_alert"),
        text: t("alert.dead_alert.text", {
          ...fields, recipient: recipientName(alert.recipient), reason: alert.reason || t("alert.unknown"),
        }),
      };
    default:
      return { title: t("alert.other"), text: t("alert.other.text", fields) };
  }
}

function show(key, alert) {
  const { title, text } = describeAlert(alert);
  const node = el(
    "li",
    { "data-alert-id": alert.alert_id, "data-case-no": alert.case_no, "data-kind": alert.kind },
    el("strong", { class: "alert-kind" }, title), " ",
    el("span", { class: "alert-text" }, text),
  );
  entries.set(key, { node, caseNo: alert.case_no, kind: alert.kind, target: alert.target, addedAt: performance.now() });
  alertList.prepend(node);
  while (alertList.children.length > MAX_ALERTS) {
    const oldest = alertList.lastElementChild;
    for (const [other, entry] of entries) if (entry.node === oldest) entries.delete(other);
    oldest.remove();
  }
  restack();
  return `${title}：${text}`;
}

function drop(key) {
  entries.get(key)?.node.remove();
  entries.delete(key);
  restack();
}

/** A pushed alert: shown and said at once; it takes the place of a derived entry for its case. */
export function addPushedAlert(alert) {
  if (!alertList) return;
  drop(`case:${alert.case_no}`);
  announce(announcer, show(`alert:${alert.alert_id ?? Math.random()}`, alert));
}

/**
 * After a (re)connect: every urgent case still awaiting acknowledgement gets an entry unless an
 * alert for it is shown already; with the complete list in hand, entries about cases that are no
 * longer waiting (and were shown before the list was asked for) go. One sentence says how many.
 */
export function deriveAlerts(items, { complete, askedAt }) {
  if (!alertList) return;
  const waiting = new Set(items.map((item) => item.case_no));
  if (complete) {
    for (const [key, entry] of entries) {
      if (entry.addedAt < askedAt && !waiting.has(entry.caseNo) && !aboutTheReport(entry)) drop(key);
    }
  }
  const shown = new Set([...entries.values()].map((entry) => entry.caseNo));
  const outstanding = items.filter((item) => isUrgent(item.category) && !shown.has(item.case_no));
  for (const item of outstanding) show(`case:${item.case_no}`, { ...item, kind: "outstanding" });
  const count = [...entries.values()].filter((entry) => entry.kind === "outstanding").length;
  if (outstanding.length) announce(announcer, t("alerts.outstanding", { count }));
}

function aboutTheReport(entry) {
  return entry.kind === "sla_escalation_alert" && entry.target === "report";
}

/** A pushed event says where a case stands: alerts it has answered are cleared. */
export function settleAlerts(event) {
  const summary = event.case;
  if (!alertList || !summary) return;
  const leftUs = data.role === "agency" && summary.agency !== data.agency;
  for (const [key, entry] of entries) {
    if (entry.caseNo !== event.case_no) continue;
    const settled = aboutTheReport(entry) ? REPORT_SETTLED.has(summary.status) : summary.status !== "assigned";
    if (settled || leftUs) drop(key);
  }
}
