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
