// Pieces every screen shares: the portal-status badge, notices (success, error) and error texts.
import { h, focus } from "./dom.js";
import { t, label } from "./i18n.js";

/** A dot and the status's name: the colour is never the only sign. */
export function statusBadge(status) {
  return h(
    "span",
    { class: `status status-${status}` },
    h("span", { class: "dot", "aria-hidden": "true" }),
    label("status", status),
  );
}

/** The sentence to show for a failed call: ours for codes the console knows, else the API's message. */
export function errorText(error) {
  if (error.code === "network") return t("error.network");
  const key = `error.${error.code}`;
  const own = t(key);
  const text = own === key ? error.message : own;
  return error.requestId ? `${text} ${t("error.request_id", { id: error.requestId })}` : text;
}

/** A notice in `slot` (replacing the previous one), focused so that a screen reader reads it. */
export function notice(slot, kind, ...content) {
  const el = h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, content);
  slot.replaceChildren(el);
  focus(el);
  return el;
}

export function showError(slot, error) {
  return notice(slot, "error", h("p", {}, errorText(error)));
}

// The field a 409 names (the API's `details.fields` name the rest themselves).
const CONFLICT_FIELDS = { email_taken: ["email"], person_taken: ["person_id"], account_taken: ["account_number", "accounts.0.account_number"] };

/** The API's messages shown at the fields they name in `form` (422 `details.fields`, or a 409 of a field
 * such as `email_taken`); focus goes to the first. False when none of them names a field of the form. */
export function showFieldErrors(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const kept = (control.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (kept.length) control.setAttribute("aria-describedby", kept.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  const named = (error.details?.fields ?? []).map((item) => [item.field, item.message]);
  for (const name of CONFLICT_FIELDS[error.code] ?? []) named.push([name, errorText({ ...error, requestId: null })]);
  let first = null;
  for (const [name, message] of named) {
    const control = form.elements.namedItem(name);
    if (!control || control instanceof RadioNodeList) continue;
    const id = `${control.id || control.name.replace(/\W/g, "-")}-error`;
    const text = h("p", { class: "field-error", id }, message);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    (control.closest(".field, .check") ?? control).after(text);
    first ??= control;
  }
  if (first) first.focus();
  return first !== null;
}

const SEARCH_KEY = "csr-console.last-search";

/** Remember the search a CSR last ran, so that All Customers returns to it. */
export function rememberSearch(query) {
  sessionStorage.setItem(SEARCH_KEY, JSON.stringify(query));
}

export function lastSearch() {
  try {
    const query = JSON.parse(sessionStorage.getItem(SEARCH_KEY) ?? "{}");
    return query && typeof query === "object" ? query : {};
  } catch {
    return {};
  }
}
