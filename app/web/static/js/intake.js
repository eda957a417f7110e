/**
 * The call page: type-ahead for category and district, duplicates while typing (one keystroke adds the
 * call to one), the caller's history for a number typed later, keys that keep hands on the keyboard,
 * and a draft kept in this tab so that a login in between loses nothing. The forms work without it.
 */

import { announce, data, el, t, tBuilt } from "./console-common.js";
import { enhanceSelect } from "./combobox.js";

const caseForm = document.getElementById("case-form");
const endForm = document.getElementById("end-form");
const announcer = document.getElementById("intake-announcer");
const english = data.lang === "en";
const DRAFT_KEY = `intake-draft:${data.user_id}:${data.call_id}`;
const DUPLICATE_KEYS = 5;

// Type-ahead ------------------------------------------------------------------------------------

for (const select of caseForm.querySelectorAll("select[data-combobox]")) {
  const focus = select.hasAttribute("autofocus");
  const input = enhanceSelect(select, announcer);
  if (focus) input.focus();
}

// Keys ------------------------------------------------------------------------------------------

/** Enter in a one-line field goes to the next field (no half-typed case is sent by accident); Ctrl+Enter sends. */
function nextField(form, from) {
  const fields = [...form.elements].filter((field) => !field.disabled && !field.hidden && field.type !== "hidden"
    && field.tabIndex >= 0 && field.offsetParent !== null);
  const index = fields.indexOf(from);
  fields[Math.min(index + 1, fields.length - 1)]?.focus();
}

for (const form of [caseForm, endForm]) {
  form.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.key !== "Enter" || event.altKey || event.metaKey) return;
    if (event.ctrlKey) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== "submit" && !event.shiftKey) {
      event.preventDefault();
      nextField(form, target);
    }
  });
}

document.addEventListener("keydown", (event) => {
  if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
  const digit = /^Digit([1-9])$/.exec(event.code)?.[1];
  const button = digit && document.querySelector(`#duplicates button[data-duplicate="${digit}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});

// Duplicates ------------------------------------------------------------------------------------

const duplicateList = document.getElementById("duplicates");
const duplicateStatus = document.getElementById("duplicates-status");
let lastDuplicates = [...duplicateList.querySelectorAll("button[data-duplicate]")].map((button) => button.value).join();
let lookup = 0;
let timer = null;

function caseFacts(item) {
  const category = english ? item.category_name_en : item.category_name_zh;
  const district = english ? item.district_name_en : item.district_name_zh;
  const head = el("p", { class: "case-head" },
    el("span", { class: "case-no" }, item.spoken_case_no), " ",
    el("span", { class: `status status-${item.status}` }, tBuilt(`case_status.${item.status}`)));
  if (["at_risk", "breached", "escalated"].includes(item.sla_stage)) {
    const flag = item.sla_stage === "at_risk" ? "at_risk" : "overdue";
    head.append(" ", el("span", { class: `flag flag-${flag}` }, tBuilt(`sla_stage.${item.sla_stage}`)));
  }
  const what = [category, district, item.address].filter(Boolean).join(" · ");
  const when = [t("case.received", { time: item.received_at_roc }), item.time_left_words,
    item.report_count > 1 ? t("case.reports", { count: item.report_count }) : null].filter(Boolean).join(" · ");
  return [head, el("p", { class: "case-what" }, what), el("p", { class: "case-when" }, when)];
}

function showDuplicates(items) {
  const key = items.map((item) => item.case_no).join();
  duplicateList.replaceChildren(...items.map((item, index) => {
    const number = index + 1;
    const button = el("button", {
      type: "submit", form: "case-form", formaction: data.urls.add, formnovalidate: "", name: "add_case_no",
      value: item.case_no, "data-duplicate": number,
      "aria-keyshortcuts": number <= DUPLICATE_KEYS ? `Alt+Shift+${number}` : null,
    }, t("dup.add", { case_no: item.spoken_case_no }));
    const keys = number <= DUPLICATE_KEYS ? el("kbd", { "aria-hidden": "true" }, `Alt+Shift+${number}`) : null;
    return el("li", {}, ...caseFacts(item), el("p", { class: "why" }, tBuilt(`why.${item.why}`)), button, " ", keys);
  }));
  duplicateStatus.textContent = items.length ? t("dup.found", { count: items.length }) : t("dup.none");
  if (key === lastDuplicates) return;
  lastDuplicates = key;
  if (items.length) {
    const first = items[0];
    announce(announcer, t("dup.announce", { count: items.length, case_no: first.spoken_case_no, address: first.address ?? "" }));
  } else {
    announce(announcer, t("dup.none"));
  }
}

async function lookUpDuplicates() {
  const values = new FormData(caseForm);
  const category = values.get("category");
  if (!category) {
    showDuplicates([]);
    return;
  }
  const query = new URLSearchParams({
    category, district: values.get("district") ?? "", address: values.get("address") ?? "", phone: data.caller ?? "",
  });
  const mine = ++lookup;
  try {
    const response = await fetch(`${data.urls.duplicates}?${query}`, { headers: { Accept: "application/json" } });
    if (!response.ok || !response.headers.get("Content-Type")?.includes("json")) throw new Error("logged out");
    const body = await response.json();
    if (mine === lookup) showDuplicates(body.items);
  } catch {
    if (mine === lookup) duplicateStatus.textContent = t("dup.failed");
  }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(lookUpDuplicates, 250);
}

caseForm.addEventListener("change", (event) => {
  if (["category", "district", "address"].includes(event.target.name)) soon();
});
caseForm.elements.address.addEventListener("input", soon);

// The draft: kept in this tab while the call lasts --------------------------------------------

function readDraft() {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? "null");
  } catch {
    return null;
  }
}

function saveDraft() {
  const draft = {};
  for (const form of [caseForm, endForm]) {
    for (const field of form.elements) {
      if (!field.name || field.name === "csrf_token" || field.type === "submit") continue;
      if (field.type === "checkbox") draft[`${form.id}:${field.name}`] = field.checked;
      else if (field.type === "radio") {
        if (field.checked) draft[`${form.id}:${field.name}`] = field.value;
      } else draft[`${form.id}:${field.name}`] = field.value;
    }
  }
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    // Private mode or a full quota: the form still works, only the draft is not kept.
  }
}

function restoreDraft(draft) {
  for (const form of [caseForm, endForm]) {
    for (const field of form.elements) {
      const key = `${form.id}:${field.name}`;
      if (!field.name || field.name === "csrf_token" || !(key in draft)) continue;
      if (field.type === "checkbox") field.checked = Boolean(draft[key]);
      else if (field.type === "radio") field.checked = field.value === draft[key];
      else field.value = draft[key];
      if (field.tagName === "SELECT") field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
  document.getElementById("draft-note")?.remove();
  caseForm.prepend(el("p", { id: "draft-note", class: "notice", role: "status" }, t("intake.draft_restored")));
}

const draft = readDraft();
if (draft && caseForm.dataset.fresh === "true") restoreDraft(draft);
for (const form of [caseForm, endForm]) {
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
}
if (caseForm.elements.category.value) soon();
performance.mark("intake-ready"); // the form is interactive (bench/intake_console.py reads it)
