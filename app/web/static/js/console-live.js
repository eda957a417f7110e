/**
 * The live dispatch page: the connection's state and the counters here; the urgent alerts, the
 * cases awaiting acknowledgement and the event log in modules of their own. The mayor's office
 * is sent counters only, so its page has nothing else.
 */

import { addPushedAlert, initAlerts, settleAlerts } from "./console-alerts.js";
import { applyEvent, initAwaiting, reloadAfterConnect } from "./console-awaiting.js";
import { data, el, formatTime, loggedOutNotice, t, tBuilt } from "./console-common.js";
import { addEvent, initEventLog, showLogState } from "./console-events.js";
import { connectLive } from "./hotline-live.js";

const stateNode = document.getElementById("connection-state");
const COLUMNS = ["open", "at_risk", "breached", "unacknowledged"];

// Connection state ----------------------------------------------------------------------

let replayed = 0; // events caught up on the last (re)connect, said once in the status line
let live = false; // events before `ready` are a replay: shown, not read out one by one

function showStatus(state, detail) {
  live = state === "connected";
  stateNode.dataset.state = state;
  showLogState(state);
  if (state === "refused" && detail?.code === "realtime.unauthenticated") {
    stateNode.replaceChildren(...loggedOutNotice());
    return;
  }
  if (state === "refused") {
    stateNode.textContent = t("status.refused", { message: detail?.message ?? detail?.code ?? "" });
    return;
  }
  stateNode.textContent = state === "connected" && replayed
    ? t("status.connected_replayed", { count: replayed })
    : tBuilt(`status.${state}`);
}

// Counters --------------------------------------------------------------------------------

function showCounters(counters) {
  const rows = (counters.agencies ?? []).map((row) => el(
    "tr",
    { "data-agency": row.agency ?? "" },
    el("th", { scope: "row" }, row.agency ? data.agencies[row.agency] ?? row.name_zh ?? row.agency : t("counters.triage")),
    ...COLUMNS.map((column) => el("td", { "data-column": column }, String(row[column] ?? 0),
      // A breach stays with the agency that breached it after a re-route (改分): said apart, in words.
      ...(column === "breached" && row.breached_moved_away
        ? [" ", el("span", { class: "moved-away" }, t("counters.moved_away", { count: row.breached_moved_away }))]
        : []))),
  ));
  const body = document.getElementById("counters-body");
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5 }, t("counters.none")))]));
  for (const cell of document.querySelectorAll("#counters tfoot td[data-column]")) {
    cell.textContent = String(counters.totals?.[cell.dataset.column] ?? 0);
  }
  document.getElementById("counters-as-of").textContent = t("counters.as_of", { time: formatTime(counters.as_of) });
}

// Events ----------------------------------------------------------------------------------

function onEvent(event) {
  addEvent(event, { quietly: !live });
  applyEvent(event);
  settleAlerts(event);
}

// Wiring ----------------------------------------------------------------------------------

if (!data.statistics_only) {
  initAlerts();
  initEventLog();
  initAwaiting();
}

connectLive({
  storageKey: `hotline-live:last-event-id:${data.user_id}`,
  initialLastEventId: data.last_event_id,
  onEvent,
  onCounters: showCounters,
  onAlert: addPushedAlert,
  onStatus: showStatus,
  onReady(message) {
    replayed = message.replayed ?? 0;
    // What changed between the page's first fetch and the socket's start, and the urgent cases
    // still waiting whose alerts were pushed while this console was away.
    if (!data.statistics_only) reloadAfterConnect();
  },
  onReload() {
    if (!data.statistics_only) reloadAfterConnect(t("events.reload"));
  },
}).catch((error) => showStatus("refused", { message: error.message }));
