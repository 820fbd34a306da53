// Add a customer: the person, their language and portal access, and a first service account. The API's
// validation messages are shown at the fields they name.
import { api } from "./api.js";
import { h, field } from "./dom.js";
import { t, label, LANGUAGES } from "./i18n.js";
import { accountFields, accountBody } from "./customer.js";
import { notice, showError, showFieldErrors, lastSearch } from "./ui.js";

const PERSON_FIELDS = [
  ["person_id", "info.person_id", { required: true }],
  ["first_name", "info.first_name", { required: true }],
  ["last_name", "info.last_name", { required: true }],
  ["email", "info.email", { required: true, type: "email" }],
  ["phone", "info.phone", { type: "tel" }],
];

export function renderNewCustomer(ctx) {
  const title = h("h1", {}, t("new.title"));
  const slot = h("div", { class: "notice-slot", id: "new-customer-notice" });
  const form = h(
    "form",
    {
      class: "new-customer card",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const value = (name) => String(form.elements[name].value).trim();
        const body = {
          ...Object.fromEntries(PERSON_FIELDS.map(([name]) => [name, value(name)]).filter(([name, v]) => v || name !== "phone")),
          language: value("language"),
          enroll_in_portal: form.elements.enroll_in_portal.checked,
          accounts: [accountBody(form, "accounts.0.")],
        };
        try {
          const created = await api("POST", "/customers", { body });
          await ctx.navigate({ customer: created.customer_id });
          const shown = document.getElementById("customer-notice");
          if (shown) notice(shown, "success", h("p", {}, t("new.done")));
        } catch (error) {
          if (error.status === 401) return;
          if (showFieldErrors(form, error)) notice(slot, "error", h("p", {}, t("new.fix")));
          else showError(slot, error);
          form.querySelector("[aria-invalid]")?.focus();
        }
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("new.person")),
      PERSON_FIELDS.map(([name, key, attrs]) => field(t(key), h("input", { name, ...attrs }))),
      field(t("info.language"), h("select", { name: "language" }, LANGUAGES.map((l) => h("option", { value: l }, label("language", l))))),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "enroll_in_portal", checked: true }), t("new.enroll")),
    ),
    h("fieldset", {}, h("legend", {}, t("new.account")), accountFields("accounts.0.")),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, t("new.submit"))),
  );
  ctx.main.replaceChildren(h("p", { class: "back" }, ctx.link(lastSearch(), t("customer.all_customers"))), title, slot, form);
  return title;
}
