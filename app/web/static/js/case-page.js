/**
 * The case page, kept current: its changing sections are re-read from the server (which words them) every
 * 30 s, so the time left and the delivery states move on, and soon after every pushed event of this case.
 * New timeline entries are added in place and said; a deadline passing is said; a case that changed under
 * the page's forms is pointed out (the forms keep the version the user read: sending one explains the change).
 */

import { announce, data, el, loggedOutNotice, t, tBuilt } from "./console-common.js";
import { connectLive } from "./hotline-live.js";

const REREAD_EVERY_MS = 30_000; // as the live console looks at its clocks
const AFTER_EVENT_MS = 300; // a burst of events (created + assigned) is read once
const SECTIONS = ["fields", "deadline", "notifications", "calls", "related", "photos"];

const announcer = document.getElementById("case-announcer");
const changedNode = document.getElementById("case-changed");
const stateNode = document.getElementById("connection-state");
let timer = null;
let reading = null;

function section(root, name) {
  return root.querySelector(`[data-section="${name}"]`);
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(reread, delay);
}

async function reread() {
  schedule(REREAD_EVERY_MS); // the next look, whatever becomes of this one
  reading?.abort();
  const mine = new AbortController();
  reading = mine;
  let response;
  try {
    response = await fetch(data.sections_url, { credentials: "same-origin", signal: mine.signal });
  } catch (error) {
    if (error.name !== "AbortError") showState("offline");
    return;
  }
  if (mine !== reading) return;
  reading = null;
  if (response.status === 401) {
    changedNode.replaceChildren(...loggedOutNotice());
    return;
  }
  if (response.status === 404) {
    // Moved to another agency: this user may no longer see it.
    changedNode.textContent = t("case_page.gone");
    return;
  }
  if (!response.ok) return;
  apply(new DOMParser().parseFromString(await response.text(), "text/html"));
}

/** Swap in what changed; keep the keyboard focus where it was, or on the section's heading. */
function apply(fresh) {
  const said = [];
  for (const name of SECTIONS) {
    const now = section(document, name);
    const next = section(fresh, name);
    if (!now || !next || now.innerHTML === next.innerHTML) continue;
    const hadFocus = now.contains(document.activeElement);
    if (name === "deadline" && now.dataset.state !== next.dataset.state) {
      said.push(t("case_page.deadline_now", { state: next.querySelector(".deadline-badge")?.textContent ?? "" }));
    }
    now.replaceWith(next);
    if (hadFocus) next.querySelector("h2")?.focus();
  }
  said.push(...addEntries(fresh));
  const version = Number(section(fresh, "fields")?.dataset.version);
  if (Number.isSafeInteger(version) && version !== data.version && !changedNode.childElementCount) {
    changedNode.replaceChildren(
      t("case_page.changed"), " ",
      el("a", { href: window.location.pathname }, t("case_page.reload")),
    );
  }
  if (said.length) announce(announcer, said.join(" "));
}

/** Timeline entries the page does not have yet, appended in id order; their words, to be said. */
function addEntries(fresh) {
  const list = document.getElementById("timeline-list");
  const known = new Set([...list.children].map((item) => item.dataset.eventId));
  const said = [];
  for (const item of fresh.querySelectorAll("#timeline-list > li")) {
    if (known.has(item.dataset.eventId)) continue;
    item.classList.add("is-new");
    list.append(document.adoptNode(item));
    const title = item.querySelector(".entry-title")?.textContent ?? "";
    const details = [...item.querySelectorAll(".entry-details p")].map((line) => line.textContent).join(" ");
    said.push(t("case_page.new_event", { event: `${title} ${details}`.trim() }));
  }
  return said;
}

function showState(state) {
  stateNode.dataset.state = state;
  stateNode.textContent = tBuilt(`status.${state}`);
}

// Keys: a, t, d, n jump to the actions, the timeline, the deadline, the notifications (outside text fields).
const JUMPS = {
  a: "case-actions-title", t: "case-timeline-title", d: "case-deadline-title", n: "case-notifications-title",
  p: "case-photos-title",
};

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
  const target = JUMPS[event.key] && document.getElementById(JUMPS[event.key]);
  if (target) {
    event.preventDefault();
    target.scrollIntoView({ block: "start" });
    target.focus();
  }
});

// The report's photos, checked as they are chosen and before sending (the server checks again and decides).
const photoInput = document.getElementById("report-photos");
const photoCheck = document.getElementById("report-photos-check");

function photoProblem() {
  const files = [...photoInput.files];
  const most = Number(photoCheck.dataset.maxFiles);
  const bytes = Number(photoCheck.dataset.maxBytes);
  if (files.length > most) return t("action.photos.too_many", { most, given: files.length });
  const big = files.find((file) => file.size > bytes);
  return big ? t("action.photos.too_large", { name: big.name, most_mb: Math.floor(bytes / 1048576) }) : "";
}

if (photoInput && photoCheck) {
  photoInput.addEventListener("change", () => {
    photoCheck.textContent = photoProblem();
  });
  photoInput.form.addEventListener("submit", (event) => {
    const problem = photoProblem();
    if (!problem) return;
    event.preventDefault();
    photoCheck.textContent = problem;
    photoInput.focus();
  });
}

// A re-rendered page with a refusal or a changed case: the keyboard starts where the explanation is.
// Else, from the board's `r` (…#action-report): straight into the report form's first field, once the browser
// has scrolled to the fragment (which would otherwise take the focus back to the page).
const explained = document.querySelector("[data-focus-on-load]");
const reportField = window.location.hash === "#action-report"
  ? document.querySelector("#action-report :is(select, textarea, input:not([type=hidden]))") : null;
if (explained) explained.focus();
else if (reportField) {
  const focusField = () => requestAnimationFrame(() => reportField.focus());
  if (document.readyState === "complete") focusField();
  else window.addEventListener("load", focusField, { once: true });
}

schedule(REREAD_EVERY_MS);
connectLive({
  storage: null, // from this render on: the page itself shows everything before it
  initialLastEventId: data.last_event_id,
  onEvent(event) {
    if (event.case_no === data.case_no) schedule(AFTER_EVENT_MS);
  },
  onReady() {
    schedule(0); // anything between the render and the connection
  },
  onReload() {
    schedule(0);
  },
  onStatus(state, detail) {
    if (state === "refused" && detail?.code === "realtime.unauthenticated") {
      stateNode.dataset.state = state;
      stateNode.replaceChildren(...loggedOutNotice());
      return;
    }
    showState(state === "refused" ? "offline" : state);
  },
}).catch(() => showState("offline"));
