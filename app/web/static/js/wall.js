/**
 * The supervisors' wall: the lists are re-read from the server (which knows each case's own clock)
 * after events and every 30 s, so a deadline passing moves a case without any event.
 */

import { data, t, tBuilt } from "./console-common.js";
import { connectLive } from "./hotline-live.js";

const REREAD_EVERY_MS = 30_000;
const REFRESH_DELAY_MS = 500; // a burst of events re-reads once
const stateNode = document.getElementById("connection-state");
let timer = null;

/** Someone is typing a reason or choosing an agency in a list: swapping the lists now would lose it. */
function busy() {
  const active = document.activeElement;
  return Boolean(active && active.closest("#wall-lists") && active.matches("input, select, textarea, button"));
}

async function reread() {
  if (busy()) {
    schedule(5_000);
    return;
  }
  const more = new URLSearchParams(window.location.search).get("more");
  const query = new URLSearchParams({ lang: data.lang, ...(more ? { more } : {}) });
  const response = await fetch(`/console/wall/lists?${query}`, {
    credentials: "same-origin", headers: { Accept: "text/html" },
  });
  if (!response.ok || response.redirected) return;
  // The server's own escaped template: parsed as a document, never built from case text here.
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("wall-lists");
  if (fresh && !busy()) document.getElementById("wall-lists").replaceWith(document.adoptNode(fresh));
}

function schedule(delay = REFRESH_DELAY_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => reread().catch(() => {}), delay);
}

setInterval(() => reread().catch(() => {}), REREAD_EVERY_MS);

connectLive({
  storageKey: `hotline-live:wall:${data.user_id}`,
  initialLastEventId: data.last_event_id,
  onEvent: () => schedule(),
  onReload: () => schedule(0),
  onStatus: (state) => {
    stateNode.dataset.state = state;
    stateNode.textContent = tBuilt(`status.${state}`);
  },
}).catch(() => {
  stateNode.dataset.state = "offline";
  stateNode.textContent = t("status.offline");
});
