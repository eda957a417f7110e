/**
 * The agency's board: the sections are re-read from the server (which knows each case's own clock)
 * after an event for this agency and every 30 s; a new dispatch is announced once and, if asked for,
 * chimes. Keys on a focused row: ↓/↑ move, `a` acknowledges, `r` opens the case page's report form, Enter
 * opens the case page (a link).
 */

import { announce, data, loggedOutNotice, post, t, tBuilt } from "./console-common.js";
import { connectLive } from "./hotline-live.js";

const REREAD_EVERY_MS = 30_000; // the time left moves without any event
const REFRESH_DELAY_MS = 300; // a burst of events re-reads once
const SOUND_KEY = "hotline-board:sound";

const announcer = document.getElementById("board-announcer");
const statusNode = document.getElementById("board-status");
const stateNode = document.getElementById("connection-state");
const soundBox = document.getElementById("board-sound");
const announced = new Set(); // one announcement per case
let timer = null;
let audio = null;

// Off by default: browsers refuse sound before the user has touched the page anyway.
soundBox.checked = localStorage.getItem(SOUND_KEY) === "on";
soundBox.addEventListener("change", () => {
  localStorage.setItem(SOUND_KEY, soundBox.checked ? "on" : "off");
  if (soundBox.checked) chime(); // also unlocks audio within the user's gesture
});

function chime() {
  if (!soundBox.checked) return;
  try {
    audio ??= new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  } catch {
    // No sound where the browser allows none; the announcement still goes out.
  }
}

function say(...nodes) {
  statusNode.replaceChildren(...nodes);
}

function sections() {
  return document.getElementById("board-sections");
}

async function reread() {
  const focusedCase = document.activeElement?.closest?.("tr[data-case-no]")?.dataset.caseNo;
  const focusedSection = document.activeElement?.closest?.("section[data-section]")?.dataset.section;
  const response = await fetch(`/console/board/rows?agency=${encodeURIComponent(data.agency)}&lang=${data.lang}`, {
    credentials: "same-origin", headers: { Accept: "text/html" },
  });
  if (response.redirected || response.status === 401) {
    say(...loggedOutNotice());
    return;
  }
  if (!response.ok) return;
  // The server's own escaped template: the fragment is parsed, never built from case text here.
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("board-sections");
  if (!fresh) return;
  sections().replaceWith(document.adoptNode(fresh));
  if (focusedCase) {
    const link = rowOf(focusedCase)?.querySelector("a.case-link");
    if (link) link.focus();
    else document.getElementById(`section-${focusedSection ?? "awaiting"}`)?.focus();
  }
}

function schedule(delay = REFRESH_DELAY_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => reread().catch(() => {}), delay);
}

function rowOf(caseNo) {
  return [...sections().querySelectorAll("tr[data-case-no]")].find((row) => row.dataset.caseNo === caseNo);
}

function onEvent(event, live) {
  const summary = event.case ?? {};
  const mine = summary.agency === data.agency || rowOf(event.case_no);
  if (!mine) return;
  if (live && event.type === "case_assigned" && summary.agency === data.agency && !announced.has(event.case_no)) {
    announced.add(event.case_no);
    const category = data.lang === "en" ? summary.category_name_en : summary.category_name_zh;
    announce(announcer, t("board.announce_new", { case_no: event.case_no, category: category ?? summary.category ?? "" }));
    chime();
  }
  schedule();
}

async function acknowledge(row) {
  const caseNo = row.dataset.caseNo;
  if (row.dataset.status !== "assigned" || row.dataset.busy) return;
  row.dataset.busy = "1";
  try {
    await post(`/cases/${encodeURIComponent(caseNo)}/acknowledge`, { version: Number(row.dataset.version) });
    say(t("awaiting.acknowledged", { case_no: caseNo }));
  } catch (error) {
    if (error.status === 401) say(...loggedOutNotice());
    else say(error.message);
  } finally {
    delete row.dataset.busy;
  }
  await reread();
  // Stay with the case: it is now in progress.
  rowOf(caseNo)?.querySelector("a.case-link")?.focus();
}

function move(row, step) {
  const links = [...sections().querySelectorAll("tr[data-case-no] a.case-link")];
  const at = links.indexOf(row.querySelector("a.case-link"));
  links[Math.max(0, Math.min(links.length - 1, at + step))]?.focus();
}

document.addEventListener("keydown", (keyEvent) => {
  if (keyEvent.altKey || keyEvent.ctrlKey || keyEvent.metaKey) return;
  const row = keyEvent.target.closest?.("tr[data-case-no]");
  if (!row || !sections().contains(row)) return;
  if (keyEvent.key === "a") {
    keyEvent.preventDefault();
    acknowledge(row);
  } else if (keyEvent.key === "r") {
    // The case page's report form (the row's link says where): one place to report, with or without script.
    const link = row.querySelector("a.report-link");
    if (link) {
      keyEvent.preventDefault();
      window.location.assign(link.href);
    }
  } else if (keyEvent.key === "ArrowDown" || keyEvent.key === "ArrowUp") {
    keyEvent.preventDefault();
    move(row, keyEvent.key === "ArrowDown" ? 1 : -1);
  }
});

setInterval(() => reread().catch(() => {}), REREAD_EVERY_MS);

let live = false;
connectLive({
  storageKey: `hotline-live:board:${data.user_id}:${data.agency}`,
  initialLastEventId: data.last_event_id,
  onEvent: (event) => onEvent(event, live),
  onStatus: (state) => {
    live = state === "connected";
    stateNode.dataset.state = state;
    stateNode.textContent = tBuilt(`status.${state}`);
  },
  onReload: () => schedule(0),
}).catch(() => {
  stateNode.dataset.state = "offline";
  stateNode.textContent = t("status.offline");
});
