/**
 * The live event log (newest first, each event once, late events slotted in by id), and what a
 * screen reader hears of it: one sentence per case rather than one per event (a new case is
 * created and assigned in the same moment), and nothing while a replay is being caught up.
 */

import { announce, categoryName, el, english, formatTime, t, tBuilt } from "./console-common.js";

const MAX_LOG = 300; // entries kept on screen; older ones are in each case's history
const GATHER_MS = 400; // events of one case this close together are said as one
const MAX_SENTENCES = 3; // more cases than this at once are said as a count

let eventLog = null;
let eventsEmpty = null;
let announcer = null;
const gathered = new Map(); // case_no -> {types, event}, waiting to be said
let gatherTimer = null;

export function initEventLog() {
  eventLog = document.getElementById("event-log");
  eventsEmpty = document.getElementById("events-empty");
  announcer = document.getElementById("event-announcer");
}

/** The connection's state, as the (empty) log and its busy flag show it. */
export function showLogState(state) {
  if (!eventLog) return;
  eventLog.setAttribute("aria-busy", String(state !== "connected"));
  const key = ["connecting", "connected", "refused"].includes(state) ? state : "offline";
  eventsEmpty.textContent = tBuilt(`events.none.${key}`);
}

function typeName(type) {
  return tBuilt(`event.${type}`);
}

/** Add one event; `quietly` while a replay is caught up (its count is said once, by the status line). */
export function addEvent(event, { quietly = false } = {}) {
  if (!eventLog) return;
  const summary = event.case ?? {};
  const item = el(
    "li",
    { "data-event-id": event.id, "data-case-no": event.case_no, "data-type": event.type },
    el("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)), " ",
    el("span", { class: "event-type" }, typeName(event.type)), " ",
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
  if (!quietly) gather(event);
}

function gather(event) {
  const pending = gathered.get(event.case_no) ?? { types: [], event, count: 0 };
  pending.count += 1;
  if (!pending.types.includes(event.type)) pending.types.push(event.type);
  pending.event = event; // the latest summary of the case
  gathered.set(event.case_no, pending);
  gatherTimer ??= setTimeout(sayGathered, GATHER_MS);
}

function sayGathered() {
  gatherTimer = null;
  const pending = [...gathered.values()];
  gathered.clear();
  if (pending.length > MAX_SENTENCES) {
    announce(announcer, t("events.many", { count: pending.reduce((sum, one) => sum + one.count, 0) }));
    return;
  }
  const sentences = pending.map(({ types, event }) => {
    const summary = event.case ?? {};
    const what = types.map(typeName).join(english ? ", " : "、");
    const where = [event.case_no, categoryName(summary.category, summary), summary.address].filter(Boolean);
    return `${what}${english ? ": " : "："}${where.join(english ? ", " : " ")}${english ? "." : "。"}`;
  });
  announce(announcer, sentences.join(english ? " " : ""));
}
