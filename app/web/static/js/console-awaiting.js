/**
 * The cases awaiting acknowledgement: fetched over HTTP, then kept current by the pushed events,
 * whose case summaries carry each case's status and version.
 *
 * Rows are kept, not rebuilt, so a reload never takes the keyboard focus away from the row the
 * user is on; when a row leaves, focus goes to the next row's button, or to the list's heading.
 */

import { deriveAlerts } from "./console-alerts.js";
import {
  agencyName, api, categoryName, data, dayAndTime, districtName, el, formatTime, isUrgent, loggedOutNotice,
  nationalPhone, post, statusName, t, tBuilt,
} from "./console-common.js";

const REFRESH_DELAY_MS = 300; // a burst of events reloads the list once
const MARKERS_EVERY_MS = 30_000; // a deadline passes without any event: look at the clock now and then
const PAGE_SIZE = 100;
const MAX_PAGES = 5;
const AT_RISK_SHARE = 0.75; // the policies' first warning falls at 75 % of the window (config/reference/sla.yaml)
const REMEMBERED = 2000; // cases whose newest status is kept to overrule an older HTTP answer
const COLUMNS = [
  "case_no", ...(data.show_agency ? ["agency"] : []), "category", "district", "address", "assigned_at",
  "ack_due_at", "reporter_phone", "action",
];

let body = null;
let statusNode = null;
let heading = null;
let truncatedNode = null;
let noneRow = null;
const rows = new Map(); // case_no -> {item, row, cells, button, busy}
const latest = new Map(); // case_no -> {version, status, agency}, the newest heard from events or answers
let request = null;
let timer = null;
let loadedOnce = false;
let deriveNext = false; // the next load follows a (re)connect: derive the outstanding urgent alerts
let noteNext = "";

export function initAwaiting() {
  body = document.getElementById("awaiting-body");
  statusNode = document.getElementById("awaiting-status");
  heading = document.getElementById("awaiting-title");
  truncatedNode = document.getElementById("awaiting-truncated");
  noneRow = el("tr", { role: "row", class: "none" }, el("td", { role: "cell", colspan: COLUMNS.length }, t("awaiting.none")));
  document.getElementById("awaiting-refresh").addEventListener("click", () => load(t("awaiting.reloaded")));
  setInterval(() => rows.forEach(fill), MARKERS_EVERY_MS);
  load();
}

function say(...nodes) {
  statusNode.replaceChildren(...nodes);
}

function belongs(summary) {
  return summary.status === "assigned" && (data.role !== "agency" || summary.agency === data.agency);
}

function remember(caseNo, { version, status, agency }) {
  const known = latest.get(caseNo);
  if (known && known.version > version) return;
  latest.delete(caseNo); // re-inserted last: the Map forgets the least recently heard first
  latest.set(caseNo, { version, status, agency });
  if (latest.size > REMEMBERED) latest.delete(latest.keys().next().value);
}

// Loading -----------------------------------------------------------------------------------

/** Reload after the socket (re)connected; `note` is said once the list is in. */
export function reloadAfterConnect(note = "") {
  deriveNext = true;
  noteNext = note || noteNext;
  scheduleAwaiting(0);
}

export function scheduleAwaiting(delay = REFRESH_DELAY_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const note = noteNext;
    noteNext = "";
    load(note);
  }, delay);
}

async function fetchAll(signal) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const answer = await api(`/cases?status=assigned&limit=${PAGE_SIZE}${after}`, { signal });
    items.push(...(answer.items ?? []));
    cursor = answer.next_cursor;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

async function load(note = "") {
  request?.abort();
  const mine = new AbortController();
  request = mine;
  const askedAt = performance.now();
  try {
    const { items, complete } = await fetchAll(mine.signal);
    if (mine !== request) return;
    request = null;
    merge(items);
    render();
    truncatedNode.hidden = complete;
    truncatedNode.textContent = complete ? "" : t("awaiting.truncated", { count: items.length });
    // A reload said nothing unless asked to: it must not blank a confirmation the user is reading.
    if (note) say(note);
    else if (!loadedOnce) say();
    loadedOnce = true;
    if (deriveNext) {
      deriveNext = false;
      deriveAlerts([...rows.values()].map((entry) => entry.item), { complete, askedAt });
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error.status === 401) {
      // Said, not done: a sudden jump to the login page would lose the reader's place (and race a logout).
      say(...loggedOutNotice());
      return;
    }
    say(t("awaiting.load_failed", { message: error.message }));
  }
}

/** The fetched list, except what the events have since said has moved on. */
function merge(items) {
  const fetched = new Map();
  for (const item of items) {
    const known = latest.get(item.case_no);
    if (known && known.version > item.version) {
      if (!belongs(known)) continue;
      item.version = known.version;
    }
    fetched.set(item.case_no, item);
  }
  for (const caseNo of rows.keys()) if (!fetched.has(caseNo)) rows.delete(caseNo);
  for (const item of fetched.values()) {
    const entry = rows.get(item.case_no);
    if (!entry) rows.set(item.case_no, createRow(item));
    else {
      entry.item = { ...item, version: Math.max(item.version, entry.item.version) };
      fill(entry);
    }
  }
}

// Live updates ------------------------------------------------------------------------------

/** An event's case summary: update the row in place, drop it, or fetch a case that joined the list. */
export function applyEvent(event) {
  const summary = event.case;
  if (!body || !summary || !Number.isSafeInteger(summary.version)) return;
  remember(event.case_no, summary);
  const entry = rows.get(event.case_no);
  if (entry && summary.version < entry.item.version) return; // a late event: the row is newer already
  if (!belongs(summary)) {
    if (entry) {
      rows.delete(event.case_no);
      render();
    }
    return;
  }
  if (!entry) {
    scheduleAwaiting(); // its assignment time and deadlines are in the case list, not in the event
    return;
  }
  entry.item.version = summary.version;
  entry.item.status = summary.status;
  entry.item.sla = { ...(entry.item.sla ?? {}), stage: summary.sla_stage };
  fill(entry);
}

// Rendering ---------------------------------------------------------------------------------

function dueTime(item) {
  const due = Date.parse(item.sla?.ack_due_at ?? item.sla?.due_at ?? "");
  return Number.isNaN(due) ? Number.POSITIVE_INFINITY : due;
}

/** "overdue", "at_risk" or null: the server's stage, or the clock when the server has not said so yet. */
export function deadlineState(item, now = Date.now()) {
  const stage = item.sla?.stage;
  const due = dueTime(item);
  if (stage === "breached" || stage === "escalated" || now >= due) return "overdue";
  if (stage === "at_risk") return "at_risk";
  const start = Date.parse(item.sla?.started_at ?? "");
  if (Number.isFinite(due) && !Number.isNaN(start) && now - start >= AT_RISK_SHARE * (due - start)) return "at_risk";
  return null;
}

function flag(kind) {
  return el("span", { class: `flag flag-${kind}` }, tBuilt(`flag.${kind}`));
}

function createRow(item) {
  const row = el("tr", { role: "row", "data-case-no": item.case_no });
  const cells = {};
  for (const column of COLUMNS) {
    const header = column === "case_no";
    const cell = el(header ? "th" : "td", header ? { scope: "row", role: "rowheader" } : { role: "cell" });
    cell.dataset.label = tBuilt(`col.${column}`); // shown before the value when the rows are stacked
    cell.dataset.column = column;
    // One wrapper, so that a stacked row lays out as exactly two pieces: the label and the value.
    cells[column] = el("span", { class: "value" });
    cell.append(cells[column]);
    row.append(cell);
  }
  const entry = { item, row, cells, button: null, busy: false };
  if (data.can_acknowledge) {
    entry.button = el("button", { type: "button", "aria-label": t("awaiting.acknowledge_case", { case_no: item.case_no }) },
      t("awaiting.acknowledge"));
    entry.button.addEventListener("click", () => acknowledge(item.case_no));
    cells.action.append(entry.button);
  }
  fill(entry);
  return entry;
}

function fill(entry) {
  const { item, cells, row } = entry;
  const urgent = isUrgent(item.category);
  const deadline = deadlineState(item);
  const due = item.sla?.ack_due_at ?? item.sla?.due_at;
  cells.case_no.replaceChildren(item.case_no, ...(urgent ? [" ", flag("urgent")] : []));
  cells.agency?.replaceChildren(agencyName(item.agency));
  cells.category.replaceChildren(categoryName(item.category));
  cells.district.replaceChildren(districtName(item.district));
  cells.address.replaceChildren(item.address ?? "");
  cells.assigned_at.replaceChildren(el("time", { datetime: item.assigned_at }, formatTime(item.assigned_at, dayAndTime)));
  cells.ack_due_at.replaceChildren(
    due ? el("time", { datetime: due }, formatTime(due, dayAndTime)) : "—",
    ...(deadline ? [" ", flag(deadline)] : []),
  );
  // Staff see the number in full, written as Taiwanese write it; agencies see it masked (0912***678).
  cells.reporter_phone.replaceChildren(nationalPhone(item.reporter_phone) || "—");
  row.dataset.urgent = String(urgent);
  row.dataset.deadline = deadline ?? "";
}

/** Put the rows in deadline order, moving as few as possible; keep or move the keyboard focus. */
function render() {
  const focused = document.activeElement;
  const focusedRow = body.contains(focused) ? focused.closest("tr") : null;
  const focusedAt = focusedRow ? [...body.children].indexOf(focusedRow) : -1;
  const wanted = [...rows.values()].sort((a, b) => dueTime(a.item) - dueTime(b.item)
    || a.item.case_no.localeCompare(b.item.case_no)).map((entry) => entry.row);
  if (!wanted.length) wanted.push(noneRow);
  const keep = new Set(wanted);
  for (const child of [...body.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((row, index) => {
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] ?? null);
  });
  if (focusedRow && !body.contains(document.activeElement)) {
    const same = rows.get(focusedRow.dataset.caseNo);
    // The row left: the one that took its place (the next one), else the list's heading.
    const next = same ?? [...rows.values()].find((entry) => entry.row === body.children[focusedAt]);
    (next?.button ?? heading).focus();
  }
}

// Acknowledging -----------------------------------------------------------------------------

function setBusy(entry, busy) {
  entry.busy = busy;
  // Not `disabled`: a disabled button drops the keyboard focus to the page.
  if (busy) entry.button?.setAttribute("aria-disabled", "true");
  else entry.button?.removeAttribute("aria-disabled");
}

function leave(caseNo, answer) {
  if (answer) remember(caseNo, answer);
  if (rows.delete(caseNo)) render();
}

async function acknowledge(caseNo) {
  const entry = rows.get(caseNo);
  if (!entry || entry.busy) return;
  setBusy(entry, true);
  try {
    say(await acknowledgeOnce(entry));
  } catch (error) {
    if (error.status === 401) say(...loggedOutNotice());
    else say(error.message);
  } finally {
    setBusy(entry, false);
  }
}

/**
 * Acknowledge at the version this page knows. A 409 means someone changed the case meanwhile (a
 * note bumps the version): look at it again, and if it still awaits acknowledgement try once more
 * at its new version; otherwise say what became of it.
 */
async function acknowledgeOnce(entry) {
  const caseNo = entry.item.case_no;
  const path = `/cases/${encodeURIComponent(caseNo)}`;
  let version = entry.item.version;
  for (let attempt = 0; ; attempt += 1) {
    try {
      leave(caseNo, await post(`${path}/acknowledge`, { version }));
      return t("awaiting.acknowledged", { case_no: caseNo });
    } catch (error) {
      if (error.status !== 409) throw error;
    }
    let current;
    try {
      current = await api(path);
    } catch (error) {
      if (error.status === 404 || error.status === 403) leave(caseNo, null); // moved to another agency
      throw error;
    }
    if (!belongs(current)) {
      leave(caseNo, current);
      return t("awaiting.already", { case_no: caseNo, status: statusName(current.status) });
    }
    remember(caseNo, current);
    entry.item.version = current.version;
    if (attempt >= 1) return t("awaiting.still_changing", { case_no: caseNo });
    version = current.version;
  }
}
