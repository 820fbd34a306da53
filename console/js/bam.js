// The business account manager's console: "Configure my portal › Manage my client groups". The screen is
// chosen by `?screen=` (groups, create, edit, delete, employees, requests); a BAM sees no customer screen.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { errorText, notice } from "./ui.js";
import { renderGroupList, renderCreate, renderEdit, renderDelete } from "./groups.js";
import { renderEmployees } from "./employees.js";
import { renderRequests, stopPolling } from "./requests.js";

export const BAM_ROLE = "business_account_manager";

const SCREENS = {
  groups: renderGroupList,
  create: renderCreate,
  edit: renderEdit,
  delete: renderDelete,
  employees: renderEmployees,
  requests: renderRequests,
};
const NAV = [
  ["groups", "groups.title"],
  ["employees", "emp.title"],
  ["requests", "req.title"],
];

export async function renderBam(query, ctx) {
  stopPolling();
  const screen = SCREENS[query.screen] && (query.group || !["edit", "delete"].includes(query.screen)) ? query.screen : "groups";
  const current = screen === "employees" || screen === "requests" ? screen : "groups";
  const nav = h(
    "nav",
    { class: "bam-nav", "aria-label": t("bam.nav") },
    h(
      "ul",
      {},
      NAV.map(([id, key]) => {
        const link = ctx.link({ screen: id }, t(key));
        if (id === current) link.setAttribute("aria-current", "page");
        return h("li", {}, link);
      }),
    ),
  );
  document.getElementById("bam-nav-slot").replaceChildren(nav);
  try {
    return await SCREENS[screen](query, ctx);
  } catch (error) {
    if (error.status === 401) throw error;
    // A group deleted meanwhile, or the API unreachable: say so, with the way back to the list.
    const heading = h("h1", {}, t("groups.title"));
    const slot = h("div", { class: "notice-slot" });
    ctx.main.replaceChildren(heading, slot);
    const text = error.status === 404 ? t("groups.not_found") : errorText(error);
    notice(slot, "error", h("p", {}, text), h("p", {}, ctx.link({ screen: "groups" }, t("groups.back_to_list"))));
    return heading;
  }
}

export function clearBam() {
  stopPolling();
  document.getElementById("bam-nav-slot").replaceChildren();
}
