// Message catalogs (console/locales/<lang>.json) and locale-aware formatting through Intl.
export const LANGUAGES = ["en", "fr", "es"];
const STORAGE_KEY = "csr-console.language";

let current = "en";
let catalog = {};
let english = {};

/** The stored choice, else the first browser language we have, else English. */
export function initialLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

async function load(lang) {
  const response = await fetch(new URL(`../locales/${lang}.json`, import.meta.url));
  if (!response.ok) throw new Error(`locale ${lang}: ${response.status}`);
  return response.json();
}

export async function setLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : "en";
  if (!Object.keys(english).length) english = await load("en");
  catalog = chosen === "en" ? english : await load(chosen);
  current = chosen;
  localStorage.setItem(STORAGE_KEY, chosen);
  document.documentElement.lang = chosen;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("app.title");
}

export function language() {
  return current;
}

/** The text of `key` with `{name}` placeholders filled; the English text if a catalog lacks it. */
export function t(key, params = {}) {
  const text = catalog[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A counted text: `key.one`, `key.other` (and whatever plural categories the language has). */
export function tn(key, count, params = {}) {
  const category = new Intl.PluralRules(current).select(count);
  const chosen = `${key}.${category}` in catalog ? `${key}.${category}` : `${key}.other`;
  return t(chosen, { count: number(count), ...params });
}

/** A label of a known value (`status.locked`), or the raw value when the catalog has none. */
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in catalog || key in english ? t(key) : String(value);
}

export function number(value) {
  return new Intl.NumberFormat(current).format(value);
}

/** A value the API sent that this browser cannot show (a date out of range, an unknown currency) reads as
 * "Unknown" rather than breaking the page. */
function shown(format) {
  try {
    return format();
  } catch {
    return t("common.unknown");
  }
}

function moment(iso) {
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) throw new RangeError(`not a time: ${iso}`);
  return value;
}

export function money(amount, currency) {
  return shown(() => new Intl.NumberFormat(current, { style: "currency", currency }).format(amount));
}

export function dateTime(iso) {
  if (!iso) return "";
  return shown(() => new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(moment(iso)));
}

/** A day: `2027-01-15` is that calendar day wherever the browser is; a full time is shown in local time. */
export function date(iso) {
  if (!iso) return "";
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const options = dayOnly ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium" };
  return shown(() => new Intl.DateTimeFormat(current, options).format(moment(dayOnly ? `${iso}T00:00:00Z` : iso)));
}
