/**
 * What every part of the live page shares: the page's data and words, building elements, times,
 * names by code, phone numbers, the JSON API with the login session, and screen-reader notices.
 * Text from cases is only ever set as text, never parsed as HTML.
 */

export const data = JSON.parse(document.getElementById("console-data").textContent);
export const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
export const english = data.lang === "en";

export function t(key, params = {}) {
  const text = data.labels[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** t() for a key built at run time (`event.${type}`): extraction takes only t("…"), so app/web/labels.py lists them. */
export function tBuilt(key, params = {}) {
  return t(key, params);
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// Times -------------------------------------------------------------------------------------

const locale = english ? "en-GB" : "zh-TW";
export const timeOnly = new Intl.DateTimeFormat(locale, {
  timeZone: data.time_zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
export const dayAndTime = new Intl.DateTimeFormat(locale, {
  timeZone: data.time_zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

export function formatTime(iso, format = timeOnly) {
  if (!iso) return "";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? String(iso) : format.format(moment);
}

// Names by code (the event's own names first: they are as current as the event) -------------

export function categoryName(code, summary = null) {
  const fromEvent = english ? summary?.category_name_en : summary?.category_name_zh;
  return fromEvent ?? data.categories[code] ?? code ?? "";
}

export function districtName(code) {
  return code ? data.districts[code] ?? code : "";
}

export function agencyName(code) {
  return code ? data.agencies[code] ?? code : "";
}

export function statusName(status) {
  return data.labels[`case_status.${status}`] ?? status ?? "";
}

/** The case list does not say whether a case is urgent: its category does (an event says so itself). */
export function isUrgent(category, summary = null) {
  return summary?.urgent ?? data.urgent_categories.includes(category);
}

// Phone numbers -----------------------------------------------------------------------------

// Taiwanese area codes, longest first so that 0826 (Kinmen's Wuqiu) is not read as 08.
const AREA_CODES = ["826", "836", "37", "49", "82", "89", "2", "3", "4", "5", "6", "7", "8"];

/**
 * +886912345678 as a Taiwanese writes it (0912-345-678, 07-123-4567, 02-2345-6789); anything
 * else (an agency's masked 0912***678, a foreign number) as given.
 */
export function nationalPhone(phone) {
  const digits = /^\+886(\d{8,9})$/.exec(phone ?? "")?.[1];
  if (!digits) return phone ?? "";
  if (digits.startsWith("9")) return `0${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
  const area = AREA_CODES.find((code) => digits.startsWith(code));
  const local = digits.slice(area.length);
  const split = local.length === 8 ? 4 : 3;
  return local.length < 7 ? `0${area}-${local}` : `0${area}-${local.slice(0, split)}-${local.slice(split)}`;
}

// The JSON API ------------------------------------------------------------------------------

export async function api(path, options = {}) {
  const headers = { Accept: "application/json", "Accept-Language": data.lang, ...(options.headers ?? {}) };
  const response = await fetch(`${data.api}${path}`, { credentials: "same-origin", ...options, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    error.code = body?.error?.code ?? null;
    throw error;
  }
  return body;
}

export function post(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
  });
}

export function loggedOutNotice() {
  return [t("status.logged_out"), " ", el("a", { href: "/login" }, t("status.login_link"))];
}

// Screen-reader notices ---------------------------------------------------------------------

/**
 * Say `text` through a live region. Emptied first and filled a moment later, so that the same
 * sentence twice in a row is still read twice.
 */
export function announce(region, text) {
  if (!region || !text) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}
