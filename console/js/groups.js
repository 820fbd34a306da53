// Manage my client groups, for a business account manager: the list, Create, Edit and Delete. Each change
// ends on a message that links to its process request (the change itself is applied asynchronously).
import { api, seg } from "./api.js";
import { h, focus, uid } from "./dom.js";
import { t, tn, label, number } from "./i18n.js";
import { errorText, notice } from "./ui.js";
import { checklist, chosenList } from "./checklist.js";

const PAGE = 20;

/** The page heading and the path above it ("Configure my portal › Manage my client groups"). */
export function pageTop(title, ctx, { parent = true } = {}) {
  const heading = h("h1", {}, title);
  const trail = h(
    "nav",
    { class: "breadcrumb", "aria-label": t("bam.breadcrumb") },
    h(
      "ol",
      {},
      h("li", {}, t("bam.portal")),
      parent ? h("li", {}, ctx.link({ screen: "groups" }, t("groups.title"))) : null,
      h("li", { "aria-current": "page" }, title),
    ),
  );
  return { heading, nodes: [trail, heading] };
}

/** Where a change ends: success or failure, and the link to the process request that applies it. */
function outcome(slot, ctx, { ok, text, requestId }) {
  return notice(
    slot,
    ok ? "success" : "error",
    h("p", {}, text),
    requestId ? h("p", {}, ctx.link({ screen: "requests", request: requestId }, t("groups.follow_request"))) : null,
  );
}

function clientLabel(row) {
  return row.business_number ? `${row.name} (${row.business_number})` : row.name;
}

/** The API's refusal of clients, one line per client with its reason. */
function refusedClients(error, known) {
  const clients = error.details.clients ?? (error.details.client_ids ?? []).map((id) => ({ client_id: id }));
  return h(
    "ul",
    { class: "refused" },
    clients.map((c) =>
      h("li", {}, `${known.get(c.client_id)?.name ?? c.client_id}: ${label("groups.reason", c.reason ?? "unknown")}`),
    ),
  );
}

/** The name field, with its message slot (name taken, invalid) tied to it. */
function nameField(value) {
  const input = h("input", { type: "text", id: "group-name", name: "name", required: true, maxlength: 100, value });
  const message = h("p", { class: "field-error", id: "group-name-error", role: "alert" });
  input.setAttribute("aria-describedby", message.id);
  const element = h("div", { class: "field" }, h("label", { for: input.id }, t("groups.name")), input, message);
  return {
    element,
    input,
    show(text) {
      message.textContent = text;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    },
    clear() {
      message.textContent = "";
      input.removeAttribute("aria-invalid");
    },
  };
}

/** A refusal shown where it belongs: the name's at the field, the clients' in the notice. True if shown. */
function showRefusal(error, name, slot, known) {
  if (error.code === "name_taken") {
    name.show(t("error.name_taken"));
    return true;
  }
  const nameProblem = (error.details.fields ?? []).find((f) => f.field === "name");
  if (error.code === "validation_error" && nameProblem) {
    name.show(nameProblem.message);
    return true;
  }
  if (error.code === "clients_unavailable") {
    notice(slot, "error", h("p", {}, t("error.clients_unavailable")), refusedClients(error, known));
    return true;
  }
  return false;
}

function availablePicker(chosen, refresh) {
  return checklist({
    name: "available",
    title: t("groups.available"),
    load: (q, cursor) => api("GET", "/groups/available-clients", { query: { q, cursor, limit: PAGE } }),
    key: (row) => row.client_id,
    hidden: (row) => chosen.has(row.client_id),
    columns: [
      { label: t("groups.col.client"), cell: (row) => row.name },
      { label: t("groups.col.business_number"), cell: (row) => row.business_number },
    ],
    action: t("groups.add"),
    onAction: (rows) => {
      for (const row of rows) chosen.set(row.client_id, row);
      refresh();
    },
  });
}

// --- the list ------------------------------------------------------------------------------------

export async function renderGroupList(query, ctx) {
  const { heading, nodes } = pageTop(t("groups.title"), ctx, { parent: false });
  const slot = h("div", { class: "notice-slot" });
  const createLink = ctx.link({ screen: "create" }, t("groups.create"));
  createLink.className = "button-like primary";
  createLink.id = "create-link";
  ctx.main.replaceChildren(
    ...nodes,
    slot,
    h("p", {}, createLink),
  );
  try {
    const [page, pending] = await Promise.all([
      api("GET", "/groups", { query: { cursor: query.cursor, limit: PAGE } }),
      api("GET", "/process-requests", { query: { status: "pending", limit: 100 } }),
    ]);
    const changing = new Set(pending.items.map((r) => r.group_id));
    if (!page.items.length) ctx.main.append(h("p", {}, t("groups.none")));
    else ctx.main.append(groupTable(page.items, changing, ctx));
    ctx.main.append(
      h(
        "nav",
        { class: "pager", "aria-label": t("groups.pages") },
        query.cursor ? ctx.link({ screen: "groups" }, t("search.first_page")) : null,
        page.next_cursor ? ctx.link({ screen: "groups", cursor: page.next_cursor }, t("search.next_page")) : null,
      ),
    );
  } catch (error) {
    if (error.status === 401) throw error;
    notice(slot, "error", h("p", {}, errorText(error)));
  }
  return heading;
}

function groupTable(items, changing, ctx) {
  const cols = ["name", "clients", "employees", "status", "actions"];
  return h(
    "table",
    { class: "results responsive", id: "groups-table" },
    h("caption", { class: "visually-hidden" }, t("groups.title")),
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, t(`groups.col.${c}`))))),
    h(
      "tbody",
      {},
      items.map((g) => {
        const pending = g.status === "pending" || changing.has(g.group_id);
        return h(
          "tr",
          { "data-group": g.group_id },
          h("th", { scope: "row", "data-label": t("groups.col.name") }, g.name),
          h("td", { "data-label": t("groups.col.clients"), class: "number" }, number(g.client_count)),
          h("td", { "data-label": t("groups.col.employees"), class: "number" }, number(g.employee_count)),
          h(
            "td",
            { "data-label": t("groups.col.status") },
            h(
              "span",
              { class: `status status-group-${pending ? "pending" : g.status}` },
              h("span", { class: "dot", "aria-hidden": "true" }),
              pending ? t("groups.status.change_pending") : label("groups.status", g.status),
            ),
          ),
          h(
            "td",
            { "data-label": t("groups.col.actions"), class: "row-actions" },
            ctx.link({ screen: "edit", group: g.group_id }, t("groups.edit_named", { name: g.name })),
            ctx.link({ screen: "delete", group: g.group_id }, t("groups.delete_named", { name: g.name })),
          ),
        );
      }),
    ),
  );
}

// --- create --------------------------------------------------------------------------------------

export async function renderCreate(_query, ctx) {
  const { heading, nodes } = pageTop(t("groups.create"), ctx);
  const slot = h("div", { class: "notice-slot", id: "group-notice" });
  const chosen = new Map();
  const name = nameField("");
  const picked = chosenList({
    name: "chosen-add",
    title: t("groups.chosen"),
    empty: t("groups.chosen_none"),
    chosen,
    label: clientLabel,
    onChange: () => picker.redraw(),
  });
  const picker = availablePicker(chosen, () => picked.redraw());
  const submit = h("button", { type: "submit", class: "primary", id: "create-submit" }, t("groups.create_submit"));
  const form = h(
    "form",
    {
      class: "group-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        name.clear();
        if (!name.input.value.trim()) return name.show(t("groups.name_required"));
        if (!chosen.size) return notice(slot, "error", h("p", {}, t("groups.at_least_one")));
        submit.disabled = true;
        try {
          const answer = await api("POST", "/groups", {
            body: { name: name.input.value.trim(), client_ids: [...chosen.keys()] },
          });
          form.replaceChildren();
          outcome(slot, ctx, {
            ok: true,
            text: t("groups.created", { name: name.input.value.trim() }),
            requestId: answer.request_id,
          });
        } catch (error) {
          if (error.status === 401) throw error;
          if (!showRefusal(error, name, slot, chosen)) outcome(slot, ctx, { ok: false, text: errorText(error) });
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("div", { class: "card" }, name.element),
    picker.element,
    picked.element,
    h("div", { class: "buttons" }, submit, ctx.link({ screen: "groups" }, t("common.cancel"))),
  );
  ctx.main.replaceChildren(...nodes, slot, form);
  return heading;
}

// --- edit ----------------------------------------------------------------------------------------

async function loadGroup(groupId) {
  return api("GET", `/groups/${seg(groupId)}`, { query: { clients_limit: 1 } });
}

/** The typed word of the reader's language that enables `button`; the API gets its own token. */
function typedWord(word, button) {
  const input = h("input", { type: "text", id: "typed-word", autocomplete: "off", spellcheck: "false" });
  button.disabled = true;
  input.addEventListener("input", () => {
    button.disabled = input.value.trim() !== word;
  });
  return h("div", { class: "field" }, h("label", { for: input.id }, t("groups.type_word", { word })), input);
}

export async function renderEdit(query, ctx) {
  const group = await loadGroup(query.group);
  const { heading, nodes } = pageTop(t("groups.edit_title", { name: group.name }), ctx);
  const slot = h("div", { class: "notice-slot", id: "group-notice" });
  const adds = new Map();
  const removes = new Map();
  const name = nameField(group.name);
  const addList = chosenList({
    name: "chosen-add",
    title: t("groups.to_add"),
    empty: t("groups.chosen_none"),
    chosen: adds,
    label: clientLabel,
    onChange: () => picker.redraw(),
  });
  const removeList = chosenList({
    name: "chosen-remove",
    title: t("groups.to_remove"),
    empty: t("groups.chosen_none"),
    chosen: removes,
    label: clientLabel,
    onChange: () => members.redraw(),
  });
  const picker = availablePicker(adds, () => addList.redraw());
  const members = checklist({
    name: "members",
    title: t("groups.remove_section"),
    load: async (q, cursor) => {
      const page = await api("GET", `/groups/${seg(group.group_id)}`, {
        query: { clients_q: q, clients_cursor: cursor, clients_limit: PAGE },
      });
      return { items: page.clients, next_cursor: page.clients_next_cursor };
    },
    key: (row) => row.client_id,
    hidden: (row) => removes.has(row.client_id),
    columns: [{ label: t("groups.col.client"), cell: (row) => row.name }],
    action: t("groups.remove"),
    onAction: (rows) => {
      for (const row of rows) removes.set(row.client_id, row);
      removeList.redraw();
    },
  });
  const editor = h(
    "form",
    {
      class: "group-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        name.clear();
        const newName = name.input.value.trim();
        if (!newName) return name.show(t("groups.name_required"));
        if (newName === group.name && !adds.size && !removes.size) {
          return notice(slot, "error", h("p", {}, t("groups.nothing_changed")));
        }
        slot.replaceChildren();
        showSummary(newName === group.name ? null : newName);
      },
    },
    h("div", { class: "card" }, name.element),
    h("div", { class: "edit-grid" }, h("div", {}, picker.element, addList.element), h("div", {}, members.element, removeList.element)),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary", id: "edit-next" }, t("groups.next")),
      ctx.link({ screen: "groups" }, t("common.cancel")),
    ),
  );

  function showSummary(newName) {
    const save = h("button", { type: "submit", class: "primary", id: "edit-save" }, t("common.save"));
    const back = h("button", { type: "button", id: "edit-back" }, t("groups.back"));
    const summaryHeading = h("h2", { id: "summary-title" }, t("groups.summary"));
    const summary = h(
      "form",
      {
        class: "card summary",
        "aria-labelledby": "summary-title",
        onsubmit: async (event) => {
          event.preventDefault();
          save.disabled = true;
          const body = { confirmation: "CONFIRM" };
          if (newName) body.name = newName;
          if (adds.size) body.add_client_ids = [...adds.keys()];
          if (removes.size) body.remove_client_ids = [...removes.keys()];
          try {
            const answer = await api("PATCH", `/groups/${seg(group.group_id)}`, { body });
            summary.remove();
            outcome(slot, ctx, { ok: true, text: t("groups.updated", { name: newName ?? group.name }), requestId: answer.request_id });
          } catch (error) {
            if (error.status === 401) throw error;
            summary.remove();
            editor.hidden = false;
            if (!showRefusal(error, name, slot, adds)) outcome(slot, ctx, { ok: false, text: errorText(error) });
          }
        },
      },
      summaryHeading,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("groups.name")),
        h("dd", {}, newName ? t("groups.renamed", { from: group.name, to: newName }) : group.name),
        h("dt", {}, t("groups.to_add")),
        h("dd", {}, adds.size ? h("ul", { class: "plain" }, [...adds.values()].map((r) => h("li", {}, clientLabel(r)))) : t("groups.chosen_none")),
        h("dt", {}, t("groups.to_remove")),
        h("dd", {}, removes.size ? h("ul", { class: "plain" }, [...removes.values()].map((r) => h("li", {}, r.name))) : t("groups.chosen_none")),
      ),
      typedWord(t("groups.word_confirm"), save),
      h("div", { class: "buttons" }, save, back),
    );
    back.addEventListener("click", () => {
      summary.remove();
      editor.hidden = false;
      focus(heading);
    });
    editor.hidden = true;
    ctx.main.append(summary);
    focus(summaryHeading);
  }

  ctx.main.replaceChildren(...nodes, slot, editor);
  return heading;
}

// --- delete --------------------------------------------------------------------------------------

export async function renderDelete(query, ctx) {
  const group = await api("GET", `/groups/${seg(query.group)}`, { query: { clients_limit: PAGE } });
  const { heading, nodes } = pageTop(t("groups.delete_title", { name: group.name }), ctx);
  const slot = h("div", { class: "notice-slot", id: "group-notice" });
  const remove = h("button", { type: "submit", class: "danger", id: "delete-submit" }, t("groups.delete"));
  const reviewId = uid("review");
  const form = h(
    "form",
    {
      class: "card summary",
      "aria-labelledby": reviewId,
      onsubmit: async (event) => {
        event.preventDefault();
        remove.disabled = true;
        try {
          const answer = await api("DELETE", `/groups/${seg(group.group_id)}`, { query: { confirmation: "DELETE" } });
          form.remove();
          outcome(slot, ctx, { ok: true, text: t("groups.deleted", { name: group.name }), requestId: answer.request_id });
        } catch (error) {
          if (error.status === 401) throw error;
          outcome(slot, ctx, { ok: false, text: errorText(error) });
          remove.disabled = false;
        }
      },
    },
    h("h2", { id: reviewId }, t("groups.review")),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("groups.name")),
      h("dd", {}, group.name),
      h("dt", {}, t("groups.col.status")),
      h("dd", {}, label("groups.status", group.status)),
      h("dt", {}, t("groups.col.clients")),
      h(
        "dd",
        {},
        tn("groups.client_count", group.client_count),
        h("ul", { class: "plain" }, group.clients.map((c) => h("li", {}, c.name))),
        group.clients_next_cursor ? h("p", { class: "hint" }, t("groups.first_clients", { count: group.clients.length })) : null,
      ),
      h("dt", {}, t("groups.col.employees")),
      h(
        "dd",
        {},
        group.employees.length
          ? h("ul", { class: "plain" }, group.employees.map((e) => h("li", {}, `${e.name} (${label("role", e.role)})`)))
          : t("groups.no_employees"),
      ),
    ),
    h("p", {}, t("groups.delete_warning")),
    typedWord(t("groups.word_delete"), remove),
    h("div", { class: "buttons" }, remove, ctx.link({ screen: "groups" }, t("common.cancel"))),
  );
  ctx.main.replaceChildren(...nodes, slot, form);
  return heading;
}
