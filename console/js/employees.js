// Employees: the provider's employees with their roles and groups; tick some (only assignable ones),
// Edit gives each a group and a role, Next shows each one's access once saved, Save sends one request per
// group (the group's assignments as they will be: its current ones, with these added or changed).
import { api, seg } from "./api.js";
import { h, focus } from "./dom.js";
import { t, label } from "./i18n.js";
import { errorText, notice } from "./ui.js";
import { pageTop } from "./groups.js";

const PAGE = 20;
export const ASSIGNABLE_ROLES = ["program_account_manager", "editor", "read_only"];

function groupsText(employee) {
  if (!employee.groups.length) return t("emp.no_group");
  return employee.groups.map((g) => `${g.group_name} (${label("role", g.role)})`).join(", ");
}

export async function renderEmployees(query, ctx) {
  const { heading, nodes } = pageTop(t("emp.title"), ctx);
  const slot = h("div", { class: "notice-slot", id: "emp-notice" });
  ctx.main.replaceChildren(...nodes, slot);
  let page;
  let groups;
  try {
    [page, groups] = await Promise.all([
      api("GET", "/employees", { query: { q: query.q, cursor: query.cursor, limit: PAGE } }),
      api("GET", "/groups", { query: { limit: 100 } }),
    ]);
  } catch (error) {
    if (error.status === 401) throw error;
    notice(slot, "error", h("p", {}, errorText(error)));
    return heading;
  }
  const search = h("input", { type: "search", id: "emp-q", name: "q", value: query.q ?? "", maxlength: 100 });
  const searchForm = h(
    "form",
    {
      class: "inline-form",
      role: "search",
      "aria-label": t("emp.search"),
      onsubmit: (event) => {
        event.preventDefault();
        ctx.navigate({ screen: "employees", q: search.value.trim() });
      },
    },
    h("div", { class: "field" }, h("label", { for: search.id }, t("emp.search")), search),
    h("button", { type: "submit" }, t("pick.search_button")),
  );
  const all = h("input", { type: "checkbox", id: "emp-all", "aria-label": t("pick.all") });
  const boxes = [];
  const rows = page.items.map((e) => {
    const box = h("input", { type: "checkbox", value: e.employee_id, disabled: !e.assignable });
    box.setAttribute("aria-label", t("pick.select_row", { name: e.name }));
    boxes.push(box);
    return h(
      "tr",
      { "data-employee": e.employee_id },
      h("td", { class: "pick" }, box),
      h("th", { scope: "row", "data-label": t("emp.col.name") }, e.name),
      h("td", { "data-label": t("emp.col.email") }, e.email),
      h("td", { "data-label": t("emp.col.role") }, label("role", e.role), e.assignable ? null : h("span", { class: "hint" }, ` — ${t("emp.not_assignable")}`)),
      h("td", { "data-label": t("emp.col.groups") }, groupsText(e)),
    );
  });
  const enabled = () => boxes.filter((b) => !b.disabled);
  all.addEventListener("change", () => enabled().forEach((b) => (b.checked = all.checked)));
  const table = h(
    "table",
    { class: "results responsive", id: "emp-table" },
    h("caption", { class: "visually-hidden" }, t("emp.title")),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", class: "pick" }, h("label", { class: "check" }, all, t("pick.all_short"))),
        ["name", "email", "role", "groups"].map((c) => h("th", { scope: "col" }, t(`emp.col.${c}`))),
      ),
    ),
    h("tbody", {}, rows),
  );
  const edit = h("button", { type: "button", class: "primary", id: "emp-edit" }, t("emp.edit"));
  const list = h(
    "div",
    {},
    searchForm,
    page.items.length ? table : h("p", {}, t("emp.none")),
    h(
      "nav",
      { class: "pager", "aria-label": t("emp.pages") },
      query.cursor ? ctx.link({ screen: "employees", q: query.q }, t("search.first_page")) : null,
      page.next_cursor ? ctx.link({ screen: "employees", q: query.q, cursor: page.next_cursor }, t("search.next_page")) : null,
    ),
    h("div", { class: "buttons" }, edit),
  );
  edit.addEventListener("click", () => {
    const ids = new Set(enabled().filter((b) => b.checked).map((b) => b.value));
    const chosen = page.items.filter((e) => ids.has(e.employee_id));
    if (!chosen.length) return notice(slot, "error", h("p", {}, t("emp.tick_first")));
    if (!groups.items.length) return notice(slot, "error", h("p", {}, t("emp.no_groups_yet")));
    slot.replaceChildren();
    list.hidden = true;
    ctx.main.append(assignForm(chosen, groups.items, { list, slot, heading, ctx }));
  });
  ctx.main.append(list);
  return heading;
}

function assignForm(chosen, groups, { list, slot, heading, ctx }) {
  const titleId = "assign-title";
  const choices = chosen.map((e) => {
    const group = h(
      "select",
      { id: `assign-group-${e.employee_id}`, name: "group" },
      groups.map((g) => h("option", { value: g.group_id }, g.name)),
    );
    const role = h(
      "select",
      { id: `assign-role-${e.employee_id}`, name: "role" },
      ASSIGNABLE_ROLES.map((r) => h("option", { value: r, selected: r === e.role }, label("role", r))),
    );
    return { employee: e, group, role };
  });
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": titleId,
      onsubmit: (event) => {
        event.preventDefault();
        form.hidden = true;
        ctx.main.append(summary(choices, groups, { form, list, slot, heading, ctx }));
      },
    },
    h("h2", { id: titleId }, t("emp.assign_title")),
    h(
      "table",
      { class: "results responsive" },
      h("caption", { class: "visually-hidden" }, t("emp.assign_title")),
      h("thead", {}, h("tr", {}, ["name", "group", "role"].map((c) => h("th", { scope: "col" }, t(`emp.col.${c}`))))),
      h(
        "tbody",
        {},
        choices.map(({ employee, group, role }) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", "data-label": t("emp.col.name") }, employee.name),
            h("td", { "data-label": t("emp.col.group") }, h("label", { for: group.id, class: "visually-hidden" }, t("emp.group_for", { name: employee.name })), group),
            h("td", { "data-label": t("emp.col.role") }, h("label", { for: role.id, class: "visually-hidden" }, t("emp.role_for", { name: employee.name })), role),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary", id: "assign-next" }, t("groups.next")),
      h("button", { type: "button", onclick: () => { form.remove(); list.hidden = false; focus(heading); } }, t("common.cancel")),
    ),
  );
  queueMicrotask(() => focus(form.querySelector("h2")));
  return form;
}

function summary(choices, groups, { form, list, slot, heading, ctx }) {
  const names = new Map(groups.map((g) => [g.group_id, g.name]));
  const titleId = "access-title";
  const save = h("button", { type: "submit", class: "primary", id: "assign-save" }, t("common.save"));
  const planned = choices.map(({ employee, group, role }) => ({ employee, groupId: group.value, role: role.value }));
  const box = h(
    "form",
    {
      class: "card summary",
      "aria-labelledby": titleId,
      onsubmit: async (event) => {
        event.preventDefault();
        save.disabled = true;
        try {
          const requests = await saveAssignments(planned);
          box.remove();
          form.remove();
          notice(
            slot,
            "success",
            h("p", {}, t("emp.saved")),
            h("ul", { class: "plain" }, requests.map(({ groupId, requestId }) => h("li", {}, ctx.link({ screen: "requests", request: requestId }, t("emp.follow", { group: names.get(groupId) }))))),
          );
        } catch (error) {
          if (error.status === 401) throw error;
          notice(slot, "error", h("p", {}, errorText(error)));
          save.disabled = false;
        }
      },
    },
    h("h2", { id: titleId }, t("emp.summary")),
    h(
      "ul",
      { class: "access" },
      planned.map(({ employee, groupId, role }) => {
        const kept = employee.groups.filter((g) => g.group_id !== groupId);
        const access = [{ group_name: names.get(groupId), role }, ...kept].map((g) => t("emp.access_line", { group: g.group_name, role: label("role", g.role) }));
        return h("li", {}, h("strong", {}, employee.name), h("ul", { class: "plain" }, access.map((line) => h("li", {}, line))));
      }),
    ),
    h(
      "div",
      { class: "buttons" },
      save,
      h("button", { type: "button", onclick: () => { box.remove(); form.hidden = false; } }, t("groups.back")),
    ),
  );
  queueMicrotask(() => focus(box.querySelector("h2")));
  return box;
}

/** One PUT per group: its current assignments, with the planned ones added or their role changed. */
async function saveAssignments(planned) {
  const byGroup = new Map();
  for (const p of planned) {
    if (!byGroup.has(p.groupId)) byGroup.set(p.groupId, []);
    byGroup.get(p.groupId).push(p);
  }
  const done = [];
  for (const [groupId, plans] of byGroup) {
    const group = await api("GET", `/groups/${seg(groupId)}`, { query: { clients_limit: 1 } });
    const roles = new Map(group.employees.map((e) => [e.employee_id, e.role]));
    for (const p of plans) roles.set(p.employee.employee_id, p.role);
    const assignments = [...roles].map(([employee_id, role]) => ({ employee_id, role }));
    const answer = await api("PUT", `/groups/${seg(groupId)}/employees`, { body: { assignments, confirmation: "CONFIRM" } });
    done.push({ groupId, requestId: answer.request_id });
  }
  return done;
}
