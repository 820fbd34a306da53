// The activity log of a customer: a filter of several types at once (checkboxes), numbered pages (the
// API pages with cursors, so a page is reached by walking the cursors before it), Next, and View All /
// Paginate. The types and their names come from the API (`types` of every page, in the reader's
// language), as does each entry's summary: the console restates neither.
import { api, seg } from "./api.js";
import { h, focus } from "./dom.js";
import { t, label, dateTime, number } from "./i18n.js";
import { errorText } from "./ui.js";

export const PAGE_SIZE = 10;
const WINDOW = 2; // page numbers shown each side of the current one

function actor(entry) {
  const who = entry.actor ?? {};
  if (who.kind === "csr") return who.name ?? t("actor.csr_id", { id: who.id });
  return label("actor", who.kind);
}

function entriesTable(items, names) {
  const columns = ["at", "type", "actor", "summary"];
  return h(
    "table",
    { class: "responsive activity-table" },
    h("caption", { class: "visually-hidden" }, t("activity.title")),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`activity.col.${c}`))))),
    h(
      "tbody",
      {},
      items.map((entry) =>
        h(
          "tr",
          {},
          h("td", { "data-label": t("activity.col.at") }, h("time", { datetime: entry.at }, dateTime(entry.at))),
          h("td", { "data-label": t("activity.col.type") }, names.get(entry.type) ?? entry.type),
          h("td", { "data-label": t("activity.col.actor") }, actor(entry)),
          h("td", { "data-label": t("activity.col.summary") }, entry.summary),
        ),
      ),
    ),
  );
}

function pageNumbers(current, last) {
  const shown = new Set([1, last]);
  for (let page = current - WINDOW; page <= current + WINDOW; page += 1) if (page >= 1 && page <= last) shown.add(page);
  const sorted = [...shown].sort((a, b) => a - b);
  const withGaps = [];
  sorted.forEach((page, index) => {
    if (index && page - sorted[index - 1] > 1) withGaps.push(null);
    withGaps.push(page);
  });
  return withGaps;
}

export async function activitySection(customerId) {
  const state = { types: [], cursors: [null], page: 1, all: false, names: new Map() };
  const heading = h("h2", { id: "activity-heading" }, t("activity.title"));
  const summary = h("p", { class: "activity-summary", id: "activity-summary", tabindex: "-1" });
  const body = h("div", { class: "activity-body" });
  const pager = h("nav", { class: "pager", "aria-label": t("activity.pages") });
  const boxes = h("div", { class: "type-boxes" });
  const filter = h(
    "form",
    {
      class: "type-filter",
      onsubmit: (event) => {
        event.preventDefault();
        state.types = [...boxes.querySelectorAll("input:checked")].map((box) => box.value);
        state.cursors = [null];
        state.all = false;
        show(1, true);
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("activity.types")),
      h("p", { class: "hint" }, t("activity.types_hint")),
      boxes,
    ),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, t("activity.apply")),
      h("button", { type: "button", onclick: () => boxes.querySelectorAll("input:checked").forEach((box) => (box.checked = false)) }, t("activity.clear_types")),
    ),
  );

  function drawTypes(types) {
    state.names = new Map(types.map((item) => [item.type, item.label]));
    if (boxes.childElementCount) return;
    boxes.replaceChildren(
      ...types.map((item) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "types", value: item.type, checked: state.types.includes(item.type) }), item.label),
      ),
    );
  }

  async function fetchPage(cursor, all = false) {
    return api("GET", `/customers/${seg(customerId)}/activity`, {
      query: { types: state.types.join(","), limit: all ? undefined : PAGE_SIZE, cursor, all: all ? "true" : undefined },
    });
  }

  async function show(page, moveFocus) {
    try {
      for (let known = state.cursors.length; known < page; known += 1) {
        const walked = await fetchPage(state.cursors[known - 1]);
        state.cursors[known] = walked.next_cursor;
      }
      const answer = await fetchPage(state.all ? undefined : state.cursors[page - 1], state.all);
      state.page = page;
      state.cursors[page] = answer.next_cursor;
      drawTypes(answer.types ?? []);
      draw(answer);
    } catch (error) {
      if (error.status === 401) return;
      body.replaceChildren(h("div", { class: "notice notice-error", role: "alert" }, h("p", {}, errorText(error))));
      pager.replaceChildren();
    }
    if (moveFocus) focus(summary);
  }

  function draw(answer) {
    const { items, total } = answer;
    if (!total) {
      summary.textContent = t("activity.none");
      body.replaceChildren();
      pager.replaceChildren();
      return;
    }
    body.replaceChildren(entriesTable(items, state.names));
    if (state.all) {
      summary.textContent = answer.next_cursor
        ? t("activity.all_capped", { shown: number(items.length), total: number(total) })
        : t("activity.all_shown", { total: number(total) });
      pager.replaceChildren(
        h("button", { type: "button", onclick: () => ((state.all = false), show(1, true)) }, t("activity.paginate")),
      );
      return;
    }
    const last = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const from = (state.page - 1) * PAGE_SIZE + 1;
    summary.textContent = t("activity.range", {
      from: number(from),
      to: number(from + items.length - 1),
      total: number(total),
      page: number(state.page),
      pages: number(last),
    });
    pager.replaceChildren(
      h(
        "ul",
        { class: "page-numbers" },
        pageNumbers(state.page, last).map((page) =>
          h(
            "li",
            {},
            page === null
              ? h("span", { "aria-hidden": "true" }, "…")
              : h(
                  "button",
                  {
                    type: "button",
                    class: "page",
                    "aria-current": page === state.page ? "page" : null,
                    "aria-label": t("activity.page_n", { page: number(page) }),
                    onclick: () => show(page, true),
                  },
                  number(page),
                ),
          ),
        ),
      ),
      ...(answer.next_cursor
        ? [h("button", { type: "button", class: "next", onclick: () => show(state.page + 1, true) }, t("activity.next"))]
        : []),
      h("button", { type: "button", class: "view-all", onclick: () => ((state.all = true), show(1, true)) }, t("activity.view_all")),
    );
  }

  await show(1, false);
  const folded = h("details", { class: "type-filter-box" }, h("summary", {}, t("activity.types")), filter);
  return h("section", { class: "card activity", "aria-labelledby": "activity-heading" }, heading, folded, summary, body, pager);
}
