// Small DOM helpers: build elements, move focus, ask a Yes/No question in a modal dialog.
import { t } from "./i18n.js";

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, prop] of Object.entries(props ?? {})) {
    if (prop === null || prop === undefined || prop === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), prop);
    else if (key === "class") el.className = prop;
    else if (key === "value") value = prop;
    else if (key === "checked" || key === "selected") el[key] = Boolean(prop);
    else el.setAttribute(key, prop === true ? "" : String(prop));
  }
  append(el, children);
  if (value !== undefined) el.value = value;
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Move keyboard focus to an element that is not focusable by itself (a heading, a notice). */
export function focus(el) {
  if (!el) return;
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus();
}

/** A labelled form field: the label, the control, and an optional hint tied to it. */
export function field(label, control, hint) {
  const id = control.id || uid("field");
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/**
 * A modal Yes/No question. `body` is extra content (fields); resolves to the dialog's form data on Yes,
 * or null on No / Escape. The form's own validation runs before Yes is accepted.
 */
export function ask({ title, body = [], yes, no = t("common.no"), danger = false }) {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: titleId }, title),
      body,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", value: "yes", class: danger ? "danger" : "primary" }, yes ?? t("common.yes")),
        h("button", { type: "submit", value: "no", formnovalidate: true }, no),
      ),
    );
    const dialog = h("dialog", { "aria-labelledby": titleId }, form);
    dialog.addEventListener("close", () => {
      const answer = dialog.returnValue === "yes" ? new FormData(form) : null;
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
