// The console's entry point: configuration, language, sign-in, and the screens chosen by the URL:
// `?q=&district=&status=&cursor=` is Find a Customer, `?customer=<id>&tab=` a customer, `?new=customer`
// Add a customer.
import { configureApi } from "./api.js";
import * as auth from "./auth.js";
import { h, focus } from "./dom.js";
import { initialLanguage, setLanguage, t } from "./i18n.js";
import { renderSearch } from "./search.js";
import { renderCustomer } from "./customer.js";
import { renderNewCustomer } from "./new_customer.js";
import { BAM_ROLE, renderBam, clearBam } from "./bam.js";
import { notice } from "./ui.js";

const main = document.getElementById("main");
let config = { api_base: "", auth: { mode: "local" } };
let sessionNote = null;

function params() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Go to a screen: the URL changes (so back and forward work) and the screen is drawn. */
export function navigate(query, { replace = false } = {}) {
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value)).toString();
  const target = `${location.pathname}${search ? `?${search}` : ""}`;
  if (replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  return render({ moveFocus: true });
}

/** A link to a screen that navigates in place, and still opens in a new tab with the usual keys. */
export function link(query, ...content) {
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value)).toString();
  return h(
    "a",
    {
      href: `?${search}`,
      onclick: (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(query);
      },
    },
    content,
  );
}

function renderSignIn() {
  const slot = h("div", { class: "notice-slot" });
  const heading = h("h1", {}, t("signin.title"));
  const view = [heading, slot];
  if (config.auth.mode === "cognito") {
    view.push(
      h("p", {}, t("signin.cognito_intro")),
      h("button", { type: "button", class: "primary", onclick: () => auth.signInCognito(config) }, t("signin.cognito")),
    );
  } else {
    view.push(
      h("p", {}, t("signin.local_intro", { tenant: config.auth.tenant_id ?? "utility-a" })),
      h("p", {}, t("signin.local_bam_intro", { provider: auth.DEMO_PROVIDER })),
      h(
        "ul",
        { class: "staff-list" },
        auth.DEMO_STAFF.map((member) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "primary",
                "data-staff": member.id,
                onclick: async () => {
                  try {
                    await auth.signInDemo(config, member);
                    sessionNote = null;
                    await render({ moveFocus: true });
                  } catch (error) {
                    notice(slot, "error", h("p", {}, error.message));
                  }
                },
              },
              t(`signin.as_${member.id}`),
            ),
          ),
        ),
      ),
    );
  }
  main.replaceChildren(...view);
  if (sessionNote) notice(slot, "error", h("p", {}, t(sessionNote)));
  return heading;
}

function renderHeader() {
  const who = auth.staff();
  const role = who?.roles.includes(BAM_ROLE) ? "app.signed_in_bam" : who?.supervisor ? "app.signed_in_supervisor" : "app.signed_in";
  document.getElementById("who").textContent = who ? t(role, { email: who.email }) : "";
  document.getElementById("sign-out").hidden = !who;
}

export async function render({ moveFocus = false } = {}) {
  renderHeader();
  let heading;
  if (!auth.token()) {
    clearBam();
    heading = renderSignIn();
  }
  else {
    const query = params();
    const ctx = { main, staff: auth.staff(), navigate, link };
    try {
      // A business account manager sees only the group screens; anyone else only the customer screens.
      if (ctx.staff.roles.includes(BAM_ROLE)) heading = await renderBam(query, ctx);
      else {
        clearBam();
        if (query.customer) heading = await renderCustomer(query.customer, ctx, query.tab);
        else if (query.new === "customer") heading = renderNewCustomer(ctx);
        else heading = await renderSearch(query, ctx);
      }
    } catch (error) {
      if (error.status === 401) return; // the sign-in screen is already drawn
      throw error;
    }
  }
  if (moveFocus) focus(heading);
}

async function start() {
  try {
    const response = await fetch(new URL("../config.json", import.meta.url), { cache: "no-cache" });
    if (response.ok) config = await response.json();
  } catch {
    // No config: same origin, local sign-in.
  }
  configureApi({
    apiBase: config.api_base,
    token: auth.token,
    unauthorized: () => {
      auth.forget();
      sessionNote = "signin.expired";
      render({ moveFocus: true });
    },
  });
  await setLanguage(initialLanguage());
  const switcher = document.getElementById("language");
  switcher.value = document.documentElement.lang;
  switcher.addEventListener("change", async () => {
    await setLanguage(switcher.value);
    await render();
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    auth.signOut(config);
    sessionNote = null;
    await render({ moveFocus: true });
  });
  window.addEventListener("popstate", () => render({ moveFocus: true }));
  await auth.completeCognito(config);
  await render();
  document.body.dataset.ready = "true";
}

start();
