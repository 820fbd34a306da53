// Process requests: the provider's group changes, newest first, with their progress. While one is pending
// the table asks the API again every few seconds and redraws in place (no reload).
import { api } from "./api.js";
import { h } from "./dom.js";
import { t, label, dateTime, number } from "./i18n.js";
import { errorText, notice } from "./ui.js";
import { pageTop } from "./groups.js";

const POLL_MS = 2000;
let poll = null;

/** Any screen change stops the polling of the one before. */
export function stopPolling() {
  clearTimeout(poll);
  poll = null;
}

function progress(r) {
  const total = Math.max(r.items_total, 0);
  const text = t("req.progress", { done: number(r.items_done), total: number(total) });
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: total || 1, value: total ? r.items_done : r.status === "completed" ? 1 : 0, "aria-label": text }),
    h("span", {}, text),
  );
}

function row(r, highlighted) {
  const group = r.new_name ? t("req.renamed", { from: r.group_name, to: r.new_name }) : r.group_name;
  return h(
    "tr",
    { "data-request": r.request_id, "data-status": r.status, class: highlighted ? "highlight" : null, "aria-current": highlighted ? "true" : null },
    h("th", { scope: "row", "data-label": t("req.col.id") }, h("code", {}, r.request_id)),
    h("td", { "data-label": t("req.col.operation") }, label("req.op", r.operation)),
    h("td", { "data-label": t("req.col.group") }, group),
    h("td", { "data-label": t("req.col.initiator") }, r.initiated_by === "system" ? t("actor.system") : r.initiated_by),
    h(
      "td",
      { "data-label": t("req.col.status") },
      h("span", { class: `status status-req-${r.status}` }, h("span", { class: "dot", "aria-hidden": "true" }), label("req.status", r.status)),
      r.error ? h("p", { class: "hint" }, r.error) : null,
    ),
    h("td", { "data-label": t("req.col.created") }, dateTime(r.created_at)),
    h("td", { "data-label": t("req.col.completed") }, r.completed_at ? dateTime(r.completed_at) : "—"),
    h("td", { "data-label": t("req.col.progress") }, progress(r)),
  );
}

export async function renderRequests(query, ctx) {
  stopPolling();
  const { heading, nodes } = pageTop(t("req.title"), ctx);
  const slot = h("div", { class: "notice-slot" });
  const live = h("p", { class: "hint", "aria-live": "polite", id: "req-live" });
  const body = h("tbody");
  const cols = ["id", "operation", "group", "initiator", "status", "created", "completed", "progress"];
  const pager = h("nav", { class: "pager", "aria-label": t("req.pages") });
  ctx.main.replaceChildren(
    ...nodes,
    slot,
    live,
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "results responsive", id: "req-table" },
        h("caption", { class: "visually-hidden" }, t("req.title")),
        h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, t(`req.col.${c}`))))),
        body,
      ),
    ),
    pager,
  );
  const screen = ctx.main.firstChild;
  let pendingBefore = null;

  async function refresh() {
    try {
      const page = await api("GET", "/process-requests", { query: { cursor: query.cursor, limit: 20 } });
      body.replaceChildren(...page.items.map((r) => row(r, r.request_id === query.request)));
      pager.replaceChildren(
        query.cursor ? ctx.link({ screen: "requests" }, t("search.first_page")) : "",
        page.next_cursor ? ctx.link({ screen: "requests", cursor: page.next_cursor }, t("search.next_page")) : "",
      );
      const pending = page.items.filter((r) => r.status === "pending").length;
      if (pendingBefore !== null && pending !== pendingBefore) live.textContent = t("req.updated");
      pendingBefore = pending;
      if (!page.items.length) live.textContent = t("req.none");
      // Poll again only while a request is pending and this screen is still the one shown.
      if (pending && ctx.main.firstChild === screen) poll = setTimeout(refresh, POLL_MS);
    } catch (error) {
      if (error.status === 401) throw error;
      notice(slot, "error", h("p", {}, errorText(error)));
    }
  }
  await refresh();
  return heading;
}
