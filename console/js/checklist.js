// A paged list with a search, an "All" box and a box per row, and one action for the rows ticked: the
// client pickers of Create and Edit, and the list of a group's clients to remove. Rows are read a page at a
// time from `load(q, cursor)`; "More" reads the next page. Nothing ever loads a whole group.
import { h, uid } from "./dom.js";
import { t } from "./i18n.js";
import { errorText } from "./ui.js";

/**
 * @param {object} options
 * @param {string} options.name - a stable id prefix (tests and labels use it)
 * @param {string} options.title - the section heading
 * @param {(q: string, cursor?: string) => Promise<{items: object[], next_cursor: string|null}>} options.load
 * @param {(row: object) => string} options.key - a row's id
 * @param {{label: string, cell: (row: object) => any}[]} options.columns - the first column names the row
 * @param {string} options.action - the action button's text
 * @param {(rows: object[]) => void} options.onAction - called with the ticked rows
 * @param {(row: object) => boolean} [options.hidden] - rows not to show (already chosen)
 */
export function checklist({ name, title, load, key, columns, action, onAction, hidden = () => false }) {
  const headingId = uid(`${name}-title`);
  const status = h("p", { class: "hint", role: "status", id: `${name}-status` });
  const body = h("tbody");
  const all = h("input", { type: "checkbox", id: `${name}-all` });
  const more = h("button", { type: "button", id: `${name}-more`, hidden: true }, t("pick.more"));
  const search = h("input", { type: "search", id: `${name}-q`, maxlength: 100 });
  let rows = [];
  let cursor = null;
  let query = "";

  const boxes = () => [...body.querySelectorAll("input[type=checkbox]")];
  const syncAll = () => {
    const list = boxes();
    all.checked = list.length > 0 && list.every((box) => box.checked);
    all.indeterminate = !all.checked && list.some((box) => box.checked);
  };

  function draw() {
    const shown = rows.filter((row) => !hidden(row));
    body.replaceChildren(
      ...shown.map((row) => {
        const box = h("input", {
          type: "checkbox",
          value: key(row),
          id: uid(`${name}-row`),
          onchange: syncAll,
        });
        box.setAttribute("aria-label", t("pick.select_row", { name: columns[0].cell(row) }));
        return h(
          "tr",
          { "data-id": key(row) },
          h("td", { class: "pick" }, box),
          columns.map((column, index) =>
            h(index === 0 ? "th" : "td", { scope: index === 0 ? "row" : null, "data-label": column.label }, column.cell(row)),
          ),
        );
      }),
    );
    status.textContent = shown.length ? t("pick.shown", { count: shown.length }) : t("pick.none");
    more.hidden = !cursor;
    syncAll();
  }

  let asked = 0;
  async function fetchPage(reset) {
    asked += 1;
    const mine = asked;
    try {
      const answer = await load(query, reset ? undefined : cursor);
      if (mine !== asked) return; // a later search answers instead
      rows = reset ? answer.items : [...rows, ...answer.items];
      cursor = answer.next_cursor;
      draw();
    } catch (error) {
      if (error.status === 401) throw error;
      status.textContent = errorText(error);
    }
  }

  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    all.indeterminate = false;
  });
  all.setAttribute("aria-label", t("pick.all"));
  more.addEventListener("click", () => fetchPage(false));

  const form = h(
    "form",
    {
      class: "inline-form",
      role: "search",
      "aria-label": t("pick.search_in", { title }),
      onsubmit: (event) => {
        event.preventDefault();
        query = search.value.trim();
        fetchPage(true);
      },
    },
    h("div", { class: "field" }, h("label", { for: search.id }, t("pick.search")), search),
    h("button", { type: "submit", id: `${name}-search` }, t("pick.search_button")),
  );
  const actionButton = h(
    "button",
    {
      type: "button",
      class: "primary",
      id: `${name}-action`,
      onclick: () => {
        const ticked = new Set(boxes().filter((box) => box.checked).map((box) => box.value));
        const chosen = rows.filter((row) => ticked.has(key(row)));
        if (!chosen.length) {
          status.textContent = t("pick.tick_first");
          return;
        }
        onAction(chosen);
        draw();
      },
    },
    action,
  );
  const table = h(
    "table",
    { class: "results responsive checklist", id: `${name}-table` },
    h("caption", { class: "visually-hidden" }, title),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", class: "pick" }, h("label", { class: "check" }, all, t("pick.all_short"))),
        columns.map((column) => h("th", { scope: "col" }, column.label)),
      ),
    ),
    body,
  );
  const section = h(
    "section",
    { class: "card picker", "aria-labelledby": headingId, id: name },
    h("h2", { id: headingId }, title),
    form,
    status,
    h("div", { class: "table-scroll" }, table),
    h("div", { class: "buttons" }, more, actionButton),
  );
  fetchPage(true);
  return { element: section, redraw: draw, reload: () => fetchPage(true) };
}

/** The rows chosen so far (clients to add, to remove), each with a button that takes it off the list. */
export function chosenList({ name, title, empty, chosen, label, onChange }) {
  const headingId = uid(`${name}-title`);
  const list = h("ul", { class: "chosen", id: name });
  const count = h("p", { class: "hint", "aria-live": "polite" });
  function draw() {
    count.textContent = chosen.size ? t("pick.chosen_count", { count: chosen.size }) : empty;
    list.replaceChildren(
      ...[...chosen.values()].map((row) =>
        h(
          "li",
          {},
          h("span", {}, label(row)),
          h(
            "button",
            {
              type: "button",
              class: "link-button",
              "aria-label": t("pick.unchoose", { name: label(row) }),
              onclick: () => {
                chosen.delete(row.client_id);
                draw();
                onChange();
              },
            },
            t("pick.unchoose_short"),
          ),
        ),
      ),
    );
  }
  draw();
  return {
    element: h("section", { class: "card", "aria-labelledby": headingId }, h("h2", { id: headingId }, title), count, list),
    redraw: draw,
  };
}
