// Who is signed in. Locally: a demo CSR, supervisor or business account manager, tokens from POST /_local/token. In AWS: the
// Cognito hosted UI (authorization code + PKCE); the ID token carries the groups and tenant the API reads.
import { api } from "./api.js";

const TOKEN_KEY = "csr-console.token";
const PKCE_KEY = "csr-console.pkce";

// The demo business account manager is the one `make serve` seeds for the provider (infra/seed.py).
export const DEMO_PROVIDER = "provider-a";
export const DEMO_STAFF = [
  { id: "csr", groups: ["csr"] },
  { id: "supervisor", groups: ["csr", "csr_supervisor"] },
  { id: "bam", groups: ["business_account_manager"], tenant_id: DEMO_PROVIDER, sub: "EMP-1", email: "nadia@provider-a.example.com" },
];

function decode(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export function token() {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  const claims = stored ? decode(stored) : null;
  if (!claims || (claims.exp && claims.exp * 1000 <= Date.now())) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return stored;
}

/** The signed-in person: email and roles (`cognito:groups` is a list locally, may be a string elsewhere). */
export function staff() {
  const current = token();
  if (!current) return null;
  const claims = decode(current);
  const groups = claims["cognito:groups"] ?? [];
  const roles = Array.isArray(groups) ? groups : String(groups).split(",");
  return { email: claims.email ?? claims.sub, roles, supervisor: roles.includes("csr_supervisor") };
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function signInDemo(config, member) {
  const answer = await api("POST", "/_local/token", {
    auth: false,
    body: {
      sub: member.sub ?? `demo-${member.id}`,
      email: member.email ?? `demo-${member.id}@staff.example.com`,
      groups: member.groups,
      tenant_id: member.tenant_id ?? config.auth.tenant_id ?? "utility-a",
    },
  });
  sessionStorage.setItem(TOKEN_KEY, answer.token);
}

// --- Cognito hosted UI ---------------------------------------------------------------------------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function redirectUri(config) {
  return config.auth.redirect_uri ?? `${location.origin}${location.pathname}`;
}

export async function signInCognito(config) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.auth.client_id,
    redirect_uri: redirectUri(config),
    scope: "openid email",
    state,
    code_challenge_method: "S256",
    code_challenge: challenge,
  });
  location.assign(`https://${config.auth.domain}/oauth2/authorize?${params}`);
}

/** Back from the hosted UI with `?code=&state=`: trade the code for tokens, then clean the URL. */
export async function completeCognito(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (config.auth.mode !== "cognito" || !code) return;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname);
  if (!pending || pending.state !== params.get("state")) return;
  const response = await fetch(`https://${config.auth.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.auth.client_id,
      code,
      redirect_uri: redirectUri(config),
      code_verifier: pending.verifier,
    }),
  });
  if (response.ok) sessionStorage.setItem(TOKEN_KEY, (await response.json()).id_token);
}

export function signOut(config) {
  forget();
  if (config.auth.mode === "cognito") {
    const params = new URLSearchParams({ client_id: config.auth.client_id, logout_uri: redirectUri(config) });
    location.assign(`https://${config.auth.domain}/logout?${params}`);
  }
}
