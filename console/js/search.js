// Find a Customer: the search form (words, district, portal statuses) and one row per service account.
import { api, ApiError } from "./api.js";
import { h, field } from "./dom.js";
import { t, tn, label, dateTime } from "./i18n.js";
import { statusBadge, errorText, rememberSearch } from "./ui.js";

export const STATUSES = ["enrolled", "unenrolled", "locked", "permanent_lock", "hidden"];
const DEFAULT_STATUSES = STATUSES.filter((status) => status !== "hidden");

let districts; // undefined: not asked yet; null: the API has no list (free text); else the names

async function loadDistricts() {
  if (districts !== undefined) return districts;
  try {
    const answer = await api("GET", "/districts");
    districts = answer.items.map((item) => item.district);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    districts = null;
  }
  return districts;
}

function districtControl(value) {
  if (districts === null) return h("input", { type: "text", name: "district", id: "district", value: value ?? "" });
  return h(
    "select",
    { name: "district", id: "district", value: value ?? "" },
    h("option", { value: "" }, t("search.any_district")),
    districts.map((name) => h("option", { value: name }, name)),
  );
}

function searchForm(query, ctx) {
  const chosen = query.status ? query.status.split(",") : DEFAULT_STATUSES;
  const words = h("input", {
    type: "search",
    name: "q",
    id: "q",
    value: query.q ?? "",
    required: true,
    minlength: 2,
    maxlength: 100,
  });
  const form = h(
    "form",
    {
      class: "search-form",
      role: "search",
      "aria-label": t("search.title"),
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const statuses = data.getAll("status");
        ctx.navigate({
          q: String(data.get("q")).trim(),
          district: String(data.get("district") ?? "").trim(),
          status: statuses.join(",") || DEFAULT_STATUSES.join(","),
        });
      },
    },
    field(t("search.words"), words, t("search.words_hint")),
    field(t("search.district"), districtControl(query.district)),
    h(
      "fieldset",
      { class: "statuses" },
      h("legend", {}, t("search.statuses")),
      STATUSES.map((status) =>
        h(
          "label",
          { class: "check" },
          h("input", { type: "checkbox", name: "status", value: status, checked: chosen.includes(status) }),
          label("status", status),
        ),
      ),
    ),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, t("search.submit"))),
  );
  return form;
}

function resultsTable(items, ctx) {
  const columns = ["name", "account", "service_address", "district", "portal", "email", "last_access"];
  return h(
    "table",
    { class: "results responsive" },
    h("caption", { class: "visually-hidden" }, t("search.results")),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`search.col.${c}`))))),
    h(
      "tbody",
      {},
      items.map((row) =>
        h(
          "tr",
          {},
          h(
            "th",
            { scope: "row", "data-label": t("search.col.name") },
            ctx.link({ customer: row.customer_id }, `${row.last_name}, ${row.first_name}`),
          ),
          h("td", { "data-label": t("search.col.account") }, row.account_number),
          h("td", { "data-label": t("search.col.service_address") }, row.service_address),
          h("td", { "data-label": t("search.col.district") }, row.district),
          h("td", { "data-label": t("search.col.portal") }, statusBadge(row.portal_status)),
          h("td", { "data-label": t("search.col.email") }, row.email),
          h(
            "td",
            { "data-label": t("search.col.last_access") },
            row.last_access_at ? dateTime(row.last_access_at) : t("common.never"),
          ),
        ),
      ),
    ),
  );
}

async function results(query, ctx) {
  const heading = h("h2", { id: "results-heading", tabindex: "-1" });
  const section = h("section", { "aria-labelledby": "results-heading", class: "results-section" }, heading);
  try {
    const answer = await api("GET", "/customers", {
      query: { q: query.q, district: query.district, status: query.status, cursor: query.cursor },
    });
    if (!answer.items.length) {
      heading.textContent = t("search.no_result_title");
      section.append(h("p", {}, t("search.no_result", { q: query.q })));
      return section;
    }
    heading.textContent = answer.next_cursor || query.cursor ? t("search.results") : tn("search.count", answer.items.length);
    section.append(resultsTable(answer.items, ctx));
    const base = { q: query.q, district: query.district, status: query.status };
    section.append(
      h(
        "nav",
        { class: "pager", "aria-label": t("search.pages") },
        query.cursor ? ctx.link(base, t("search.first_page")) : null,
        answer.next_cursor ? ctx.link({ ...base, cursor: answer.next_cursor }, t("search.next_page")) : null,
      ),
    );
  } catch (error) {
    if (error.status === 401) throw error;
    const tooBroad = error.code === "query_too_broad";
    heading.textContent = t(tooBroad ? "search.too_broad_title" : "search.error_title");
    section.classList.add(tooBroad ? "notice-warning" : "notice-error");
    section.setAttribute("role", "alert");
    section.append(h("p", {}, tooBroad ? t("search.too_broad") : errorText(error)));
  }
  return section;
}

export async function renderSearch(query, ctx) {
  await loadDistricts();
  const title = h("h1", {}, t("search.title"));
  const add = h("p", { class: "add-customer" }, ctx.link({ new: "customer" }, t("search.add_customer")));
  ctx.main.replaceChildren(title, add, searchForm(query, ctx));
  if (!query.q) return title;
  rememberSearch({ q: query.q, district: query.district, status: query.status, cursor: query.cursor });
  const section = await results(query, ctx);
  ctx.main.append(section);
  return section.querySelector("h2");
}
