// One customer, laid out as the guides show it: the name, three buttons (Impersonate, Lock Account,
// Account Recovery) and two tabs, Customer Information (profile, portal access, accounts, payments) and
// Activity Log, each addressable (`?customer=<id>&tab=activity`). Every action ends with a notice that
// takes focus.
import { api, seg } from "./api.js";
import { h, field, ask } from "./dom.js";
import { t, tn, label, dateTime, date, money, LANGUAGES } from "./i18n.js";
import { activitySection } from "./activity.js";
import { statusBadge, notice, showError, showFieldErrors, lastSearch } from "./ui.js";

const CSR_LOCK_REASONS = ["compromised", "misuse", "opt_out", "other"];

function noticeSlot() {
  return document.getElementById("customer-notice");
}

function dl(rows) {
  return h(
    "dl",
    { class: "facts" },
    rows.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? "—")]),
  );
}

function yesNo(value) {
  return t(value ? "common.yes" : "common.no");
}

function section(id, title, ...content) {
  return h("section", { class: `card ${id}`, "aria-labelledby": `${id}-heading` }, h("h2", { id: `${id}-heading` }, title), content);
}

export function paymentsTable(payments) {
  const columns = ["scheduled_for", "amount", "status", "account", "payment_id"];
  return h(
    "table",
    { class: "responsive payments-table" },
    h("caption", { class: "visually-hidden" }, t("payments.title")),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`payments.col.${c}`))))),
    h(
      "tbody",
      {},
      payments.map((p) =>
        h(
          "tr",
          {},
          h("td", { "data-label": t("payments.col.scheduled_for") }, date(p.scheduled_for)),
          h("td", { "data-label": t("payments.col.amount"), class: "number" }, money(p.amount, p.currency)),
          h("td", { "data-label": t("payments.col.status") }, label("payment.status", p.status)),
          h("td", { "data-label": t("payments.col.account") }, p.account_number),
          h("td", { "data-label": t("payments.col.payment_id") }, p.payment_id),
        ),
      ),
    ),
  );
}

// --- editing ----------------------------------------------------------------------------------------

function changed(form, original, names) {
  const data = new FormData(form);
  const out = {};
  for (const name of names) {
    const control = form.elements[name];
    const value = control.type === "checkbox" ? control.checked : String(data.get(name) ?? "").trim();
    if (value !== (original[name] ?? (control.type === "checkbox" ? false : ""))) out[name] = value;
  }
  return out;
}

function infoEditor(customer, ctx, view) {
  const names = ["first_name", "last_name", "phone", ...("language" in customer ? ["language"] : [])];
  const form = h(
    "form",
    {
      class: "edit-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const changes = changed(form, customer, names);
        await ctx.act(async () => {
          if (Object.keys(changes).length) await api("PATCH", `/customers/${seg(customer.customer_id)}`, { body: changes });
          return { content: h("p", {}, t("info.saved")) };
        });
      },
    },
    field(t("info.first_name"), h("input", { name: "first_name", value: customer.first_name, required: true })),
    field(t("info.last_name"), h("input", { name: "last_name", value: customer.last_name, required: true })),
    field(t("info.phone"), h("input", { name: "phone", type: "tel", value: customer.phone ?? "" })),
    "language" in customer
      ? field(
          t("info.language"),
          h("select", { name: "language", value: customer.language }, LANGUAGES.map((l) => h("option", { value: l }, label("language", l)))),
        )
      : null,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, t("common.save")),
      h("button", { type: "button", onclick: () => view.close() }, t("common.cancel")),
    ),
  );
  return form;
}

function accountEditor(customer, account, ctx, view) {
  const names = ["nickname", "billing_address", "autopay", "paperless"];
  const form = h(
    "form",
    {
      class: "edit-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const changes = changed(form, account, names);
        await ctx.act(async () => {
          if (Object.keys(changes).length) {
            await api("PATCH", `/customers/${seg(customer.customer_id)}`, {
              body: { accounts: [{ account_number: account.account_number, ...changes }] },
            });
          }
          return { content: h("p", {}, t("accounts.saved", { account: account.account_number })) };
        });
      },
    },
    field(t("accounts.nickname"), h("input", { name: "nickname", value: account.nickname ?? "" })),
    field(t("accounts.billing_address"), h("input", { name: "billing_address", value: account.billing_address, required: true })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "autopay", checked: account.autopay }), t("accounts.autopay")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "paperless", checked: account.paperless }), t("accounts.paperless")),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, t("common.save")),
      h("button", { type: "button", onclick: () => view.close() }, t("common.cancel")),
    ),
  );
  return form;
}

/** A read view with an Edit button that swaps in a form; Cancel swaps back and returns focus. */
function editable(readView, makeForm, editLabel) {
  const holder = h("div", { class: "editable" });
  const button = h("button", { type: "button", class: "edit", onclick: () => open() }, editLabel);
  const view = {
    close: () => {
      holder.replaceChildren(readView, button);
      button.focus();
    },
  };
  function open() {
    const form = makeForm(view);
    holder.replaceChildren(form);
    form.querySelector("input, select")?.focus();
  }
  holder.append(readView, button);
  return holder;
}

// --- actions --------------------------------------------------------------------------------------

const LOCKED = ["locked", "permanent_lock", "hidden"];

/** The portal-access actions of the Customer Information tab (the toolbar has lock, unlock, impersonate). */
function portalActions(customer, staff) {
  const status = customer.portal.status;
  const list = [];
  if (status === "unenrolled") list.push("enroll");
  if (["enrolled", "locked"].includes(status)) list.push("deactivate");
  if (staff.supervisor && ["enrolled", "locked", "permanent_lock"].includes(status)) list.push("hide");
  return list;
}

function fullName(customer) {
  return `${customer.first_name} ${customer.last_name}`;
}

function path(customer, action) {
  return `/customers/${seg(customer.customer_id)}/${action}`;
}

const ACTIONS = {
  async enroll(customer) {
    const yes = await ask({ title: t("enroll.title"), body: h("p", {}, t("enroll.question", { name: fullName(customer) })) });
    if (!yes) return null;
    const answer = await api("POST", path(customer, "enroll"));
    return {
      content: [
        h("p", {}, t("enroll.done", { to: answer.sent_to, time: dateTime(answer.expires_at) })),
        h("p", { class: "read-aloud" }, t("reset.reminder")),
      ],
    };
  },
  async lock(customer, recovery) {
    const form = await ask({
      title: t("lock.title"),
      danger: true,
      yes: t("lock.yes"),
      body: [
        h("p", {}, t("lock.question", { name: fullName(customer) })),
        h("p", { class: "voids" }, t("lock.voids")),
        recovery.active ? h("p", { class: "voids" }, t("lock.voids_code", { time: dateTime(recovery.expires_at) })) : null,
        field(
          t("lock.reason"),
          h(
            "select",
            { name: "reason", required: true },
            h("option", { value: "" }, t("lock.choose_reason")),
            CSR_LOCK_REASONS.map((reason) => h("option", { value: reason }, label("lock_reason", reason))),
          ),
        ),
        field(t("lock.note"), h("textarea", { name: "note", maxlength: 500, rows: 3 }), t("lock.note_hint")),
      ],
    });
    if (!form) return null;
    const note = String(form.get("note") ?? "").trim();
    await api("POST", path(customer, "lock"), { body: { reason: form.get("reason"), ...(note ? { note } : {}) } });
    return { content: h("p", {}, t("lock.done", { reason: label("lock_reason", form.get("reason")) })) };
  },
  async unlock(customer) {
    const yes = await ask({ title: t("unlock.title"), body: h("p", {}, t("unlock.question", { name: fullName(customer) })) });
    if (!yes) return null;
    await api("POST", path(customer, "unlock"));
    return { content: h("p", {}, t("unlock.done")) };
  },
  async deactivate(customer) {
    const yes = await ask({
      title: t("deactivate.title"),
      danger: true,
      yes: t("deactivate.yes"),
      body: [
        h("p", {}, t("deactivate.question", { name: fullName(customer) })),
        h("p", { class: "voids" }, t("deactivate.voids")),
      ],
    });
    if (!yes) return null;
    let answer;
    try {
      answer = await api("POST", path(customer, "deactivate"), { body: { acknowledge_pending_payments: false } });
    } catch (error) {
      if (error.code !== "payments_pending") throw error;
      const payments = error.details.payments ?? [];
      const acknowledged = await ask({
        title: t("deactivate.payments_title"),
        danger: true,
        yes: t("deactivate.cancel_and_deactivate"),
        body: [
          h("p", {}, tn("deactivate.payments_intro", payments.length)),
          paymentsTable(payments),
          h("label", { class: "check" }, h("input", { type: "checkbox", name: "acknowledge", required: true }), t("deactivate.acknowledge")),
        ],
      });
      if (!acknowledged) return null;
      answer = await api("POST", path(customer, "deactivate"), { body: { acknowledge_pending_payments: true } });
    }
    const cancelled = answer.cancelled_payments ?? [];
    return {
      content: [h("p", {}, t("deactivate.done")), cancelled.length ? h("p", {}, tn("deactivate.cancelled", cancelled.length)) : null],
    };
  },
  async hide(customer) {
    const yes = await ask({
      title: t("hide.title"),
      danger: true,
      yes: t("hide.yes"),
      body: [h("p", {}, t("hide.question", { name: fullName(customer) })), h("p", { class: "voids" }, t("hide.voids"))],
    });
    if (!yes) return null;
    await api("POST", path(customer, "hide"));
    return { content: h("p", {}, t("hide.done")) };
  },
  async reset_link(customer) {
    const answer = await api("POST", path(customer, "password-reset-link"));
    return {
      content: [
        h("p", {}, t("reset.done", { to: answer.sent_to, time: dateTime(answer.expires_at) })),
        h("p", { class: "read-aloud" }, t("reset.reminder")),
      ],
    };
  },
  async impersonate(customer) {
    const answer = await api("POST", path(customer, "impersonation"));
    window.open(answer.portal_url, "_blank", "noopener");
    return {
      content: [
        h("p", {}, t("impersonate.done", { time: dateTime(answer.expires_at) })),
        h("p", {}, h("a", { href: answer.portal_url, target: "_blank", rel: "noopener noreferrer", class: "portal-link" }, t("impersonate.open"))),
      ],
    };
  },
};

// --- recovery code ---------------------------------------------------------------------------------

function instructionsList(instructions) {
  if (!instructions?.length) return null;
  return h("details", { class: "instructions" }, h("summary", {}, t("code.instructions")), h("ol", {}, instructions.map((line) => h("li", {}, line))));
}

function codePanel(answer) {
  const groups = answer.code.split(/[-\s]+/);
  return [
    h("p", { class: "strong" }, t("code.shown_once")),
    h("p", { class: "code", id: "recovery-code" }, groups.map((group, i) => [i ? "-" : "", h("span", { class: "code-group" }, group)])),
    h("p", {}, t("code.expires", { time: dateTime(answer.expires_at) })),
    instructionsList(answer.instructions),
  ];
}

function resetLinkPart(customer, ctx) {
  return h(
    "div",
    { class: "recovery-part" },
    h("h3", {}, t("recovery.reset_title")),
    h("p", {}, t("recovery.reset_intro")),
    h("button", { type: "button", "data-action": "reset_link", onclick: () => ctx.act(() => ACTIONS.reset_link(customer)) }, t("action.reset_link")),
  );
}

function codePart(customer, status, ctx) {
  const enrolled = customer.portal.status === "enrolled";
  const facts = status.active
    ? dl([
        [t("code.status"), t("code.active")],
        [t("code.expires_at"), dateTime(status.expires_at)],
        [t("code.created_by"), status.created_by],
        [t("code.created_at"), dateTime(status.created_at)],
      ])
    : h("p", {}, t("code.none"));
  const generate = async () => {
    if (status.active && !(await ask({ title: t("code.replace_title"), body: h("p", {}, t("code.replace_question")) }))) return null;
    const answer = await api("POST", path(customer, "recovery-code"));
    return { kind: "code", content: codePanel(answer) };
  };
  const revoke = async () => {
    if (!(await ask({ title: t("code.revoke_title"), body: h("p", {}, t("code.revoke_question")), danger: true }))) return null;
    await api("DELETE", path(customer, "recovery-code"));
    return { content: h("p", {}, t("code.revoked")) };
  };
  return h(
    "div",
    { class: "recovery-part" },
    h("h3", {}, t("code.title")),
    facts,
    h(
      "div",
      { class: "buttons" },
      enrolled ? h("button", { type: "button", "data-action": "generate_code", onclick: () => ctx.act(generate) }, t(status.active ? "code.generate_new" : "code.generate")) : null,
      status.active ? h("button", { type: "button", "data-action": "revoke_code", onclick: () => ctx.act(revoke) }, t("code.revoke")) : null,
    ),
    instructionsList(status.instructions),
  );
}

/** Account Recovery: the reset link and the recovery code; while locked, what to do first. */
function recoveryPanel(customer, status, ctx) {
  const state = customer.portal.status;
  const blocked = LOCKED.includes(state) ? "recovery.unlock_first" : state === "unenrolled" ? "recovery.enroll_first" : null;
  return h(
    "section",
    { class: "card recovery", id: "recovery-panel", "aria-labelledby": "recovery-heading" },
    h("h2", { id: "recovery-heading", tabindex: "-1" }, t("recovery.title")),
    blocked ? h("p", { class: "notice notice-warning" }, t(blocked)) : null,
    h("div", { class: "recovery-parts" }, blocked ? null : resetLinkPart(customer, ctx), codePart(customer, status, ctx)),
  );
}

// --- the page -------------------------------------------------------------------------------------

function infoSection(customer, ctx) {
  const facts = dl([
    [t("info.name"), fullName(customer)],
    [t("info.person_id"), customer.person_id],
    [t("info.email"), customer.email],
    [t("info.phone"), customer.phone],
    "language" in customer ? [t("info.language"), label("language", customer.language)] : null,
    [t("info.created_at"), dateTime(customer.created_at)],
  ]);
  return section("info", t("info.title"), editable(facts, (view) => infoEditor(customer, ctx, view), t("info.edit")));
}

const ACCOUNT_FIELDS = ["account_number", "service_address", "billing_address", "district", "nickname"];

/** The fields of a new service account, named as the API names them under `prefix`. */
export function accountFields(prefix = "") {
  const required = new Set(["account_number", "service_address", "billing_address", "district"]);
  return [
    ...ACCOUNT_FIELDS.map((name) =>
      field(t(name === "account_number" ? "accounts.number" : `accounts.${name}`), h("input", { name: `${prefix}${name}`, required: required.has(name) })),
    ),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `${prefix}autopay` }), t("accounts.autopay")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: `${prefix}paperless` }), t("accounts.paperless")),
  ];
}

/** A new account's body from a form whose fields `accountFields(prefix)` made. */
export function accountBody(form, prefix = "") {
  const value = (name) => String(form.elements[`${prefix}${name}`].value).trim();
  const body = Object.fromEntries(ACCOUNT_FIELDS.map((name) => [name, value(name)]).filter(([name, v]) => v || name !== "nickname"));
  return { ...body, autopay: form.elements[`${prefix}autopay`].checked, paperless: form.elements[`${prefix}paperless`].checked };
}

function addAccountForm(customer, ctx, view) {
  const form = h(
    "form",
    {
      class: "edit-form add-account",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const body = accountBody(form);
        await ctx.act(async () => {
          await api("POST", `/customers/${seg(customer.customer_id)}/accounts`, { body });
          return { content: h("p", {}, t("accounts.added", { account: body.account_number })) };
        }, form);
      },
    },
    h("h3", {}, t("accounts.add")),
    accountFields(),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, t("accounts.add_submit")),
      h("button", { type: "button", onclick: () => view.close() }, t("common.cancel")),
    ),
  );
  return form;
}

function accountCard(customer, account, ctx) {
  const admin = account.payment_admin_url
    ? h(
        "p",
        { class: "payment-admin" },
        h(
          "a",
          { href: account.payment_admin_url, target: "_blank", rel: "noopener noreferrer", "aria-label": t("accounts.payment_admin_of", { account: account.account_number }) },
          t("accounts.payment_admin"),
        ),
      )
    : null;
  return h(
    "li",
    {},
    h("h3", {}, account.nickname ? `${account.account_number} · ${account.nickname}` : account.account_number),
    admin,
    editable(
      dl([
        [t("accounts.service_address"), account.service_address],
        [t("accounts.billing_address"), account.billing_address],
        [t("accounts.district"), account.district],
        [t("accounts.nickname"), account.nickname],
        [t("accounts.autopay"), yesNo(account.autopay)],
        [t("accounts.paperless"), yesNo(account.paperless)],
      ]),
      (view) => accountEditor(customer, account, ctx, view),
      t("accounts.edit", { account: account.account_number }),
    ),
  );
}

function accountsSection(customer, ctx) {
  const adding = editable(h("span"), (view) => addAccountForm(customer, ctx, view), t("accounts.add"));
  return section(
    "accounts",
    t("accounts.title"),
    h("ul", { class: "accounts-list" }, customer.accounts.map((account) => accountCard(customer, account, ctx))),
    adding,
  );
}

function portalSection(customer, ctx) {
  const portal = customer.portal;
  const facts = dl([
    [t("portal.status"), statusBadge(portal.status)],
    [t("portal.last_access"), portal.last_access_at ? dateTime(portal.last_access_at) : t("common.never")],
    [t("portal.failed_logins"), String(portal.failed_login_count ?? 0)],
    portal.lock_reason ? [t("portal.lock_reason"), label("lock_reason", portal.lock_reason)] : null,
    portal.lock_note ? [t("portal.lock_note"), portal.lock_note] : null,
    portal.locked_at ? [t("portal.locked_at"), dateTime(portal.locked_at)] : null,
  ]);
  const buttons = portalActions(customer, ctx.staff).map((action) =>
    h(
      "button",
      {
        type: "button",
        "data-action": action,
        class: ["deactivate", "hide"].includes(action) ? "danger" : null,
        onclick: () => ctx.act(() => ACTIONS[action](customer)),
      },
      t(`action.${action}`),
    ),
  );
  return section("portal", t("portal.title"), facts, buttons.length ? h("div", { class: "buttons actions" }, buttons) : null);
}

/** The guides' three buttons: Impersonate, Lock Account (Unlock while locked), Account Recovery. */
function toolbar(customer, recovery, ctx, toggleRecovery) {
  const status = customer.portal.status;
  const button = (action, work, extra = {}) =>
    h("button", { type: "button", "data-action": action, onclick: work, ...extra }, t(`action.${action}`));
  return h(
    "div",
    { class: "toolbar buttons", role: "group", "aria-label": t("customer.toolbar") },
    status !== "unenrolled" ? button("impersonate", () => ctx.act(() => ACTIONS.impersonate(customer))) : null,
    status === "enrolled" ? button("lock", () => ctx.act(() => ACTIONS.lock(customer, recovery)), { class: "danger" }) : null,
    LOCKED.includes(status) ? button("unlock", () => ctx.act(() => ACTIONS.unlock(customer))) : null,
    button("recovery", toggleRecovery, { "aria-controls": "recovery-panel", "aria-expanded": String(Boolean(ctx.recoveryOpen)) }),
  );
}

const TABS = ["info", "activity"];

/** Two tabs (ARIA tabs: arrow keys move between them); the chosen one is in the URL, so it can be linked. */
function tabs(customerId, chosen, panels) {
  const tabButtons = TABS.map((name) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${name}`,
        "aria-controls": `panel-${name}`,
        "aria-selected": String(name === chosen),
        tabindex: name === chosen ? "0" : "-1",
        onclick: () => select(name, true),
        onkeydown: (event) => {
          const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
          if (!step) return;
          event.preventDefault();
          select(TABS[(TABS.indexOf(name) + step + TABS.length) % TABS.length], true);
        },
      },
      t(`customer.tab.${name}`),
    ),
  );
  function select(name, moveFocus) {
    tabButtons.forEach((tab, i) => {
      const on = TABS[i] === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      panels[TABS[i]].hidden = !on;
    });
    const query = new URLSearchParams({ customer: customerId, ...(name === "info" ? {} : { tab: name }) });
    history.replaceState(null, "", `${location.pathname}?${query}`);
    if (moveFocus) tabButtons[TABS.indexOf(name)].focus();
  }
  TABS.forEach((name) => {
    panels[name].hidden = name !== chosen;
  });
  return h("div", { class: "tabs", role: "tablist", "aria-label": t("customer.tabs") }, tabButtons);
}

function tabPanel(name, ...content) {
  return h("div", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, class: `tab-panel panel-${name}` }, content);
}

const recoveryOpen = new Set(); // customers whose Account Recovery stays open across redraws

export async function renderCustomer(customerId, ctx, tab = "info") {
  const back = h("p", { class: "back" }, ctx.link(lastSearch(), t("customer.all_customers")));
  let customer;
  let payments;
  let recovery;
  let activity;
  try {
    [customer, payments, recovery, activity] = await Promise.all([
      api("GET", `/customers/${seg(customerId)}`),
      api("GET", `/customers/${seg(customerId)}/payments`),
      api("GET", `/customers/${seg(customerId)}/recovery-code`),
      activitySection(customerId),
    ]);
  } catch (error) {
    if (error.status === 401) throw error;
    const title = h("h1", {}, t("customer.not_found_title"));
    const slot = h("div", { id: "customer-notice" });
    ctx.main.replaceChildren(back, title, slot);
    showError(slot, error);
    return title;
  }
  const currentTab = () => new URLSearchParams(location.search).get("tab") ?? "info";
  const local = {
    ...ctx,
    recoveryOpen: recoveryOpen.has(customerId),
    act: async (work, form) => {
      let result;
      try {
        result = await work();
      } catch (error) {
        if (error.status === 401) return;
        if (form && showFieldErrors(form, error)) return;
        if (error.status === 409) await renderCustomer(customerId, ctx, currentTab());
        showError(noticeSlot(), error);
        return;
      }
      if (!result) return;
      await renderCustomer(customerId, ctx, currentTab());
      notice(noticeSlot(), result.kind ?? "success", result.content);
    },
  };
  const panel = recoveryPanel(customer, recovery, local);
  panel.hidden = !local.recoveryOpen;
  const toggleRecovery = (event) => {
    const open = panel.hidden;
    panel.hidden = !open;
    event.currentTarget.setAttribute("aria-expanded", String(open));
    if (open) {
      recoveryOpen.add(customerId);
      panel.querySelector("h2").focus();
    } else recoveryOpen.delete(customerId);
  };
  const title = h("h1", {}, fullName(customer));
  const panels = {
    info: tabPanel(
      "info",
      h(
        "div",
        { class: "customer-grid" },
        infoSection(customer, local),
        portalSection(customer, local),
        accountsSection(customer, local),
        section("payments", t("payments.title"), payments.items.length ? paymentsTable(payments.items) : h("p", {}, t("payments.none"))),
      ),
    ),
    activity: tabPanel("activity", activity),
  };
  ctx.main.replaceChildren(
    back,
    h("div", { class: "customer-head" }, title, statusBadge(customer.portal.status)),
    toolbar(customer, recovery, local, toggleRecovery),
    h("div", { id: "customer-notice", class: "notice-slot" }),
    panel,
    tabs(customerId, TABS.includes(tab) ? tab : "info", panels),
    panels.info,
    panels.activity,
  );
  return title;
}
