// Every call to the API: base URL from config.json, the bearer token, and Accept-Language.
import { language } from "./i18n.js";

let base = "";
let tokenSource = () => null;
let onUnauthorized = () => {};

export function configureApi({ apiBase, token, unauthorized }) {
  base = (apiBase ?? "").replace(/\/+$/, "");
  tokenSource = token;
  onUnauthorized = unauthorized;
}

/** An answer other than 2xx, with the API's error body (code, message, details), or a network failure. */
export class ApiError extends Error {
  constructor(status, body, requestId) {
    const error = body?.error ?? {};
    super(error.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error.code ?? (status === 0 ? "network" : "unknown");
    this.details = error.details ?? {};
    this.requestId = requestId;
  }
}

export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return `${base}${path}${search ? `?${search}` : ""}`;
}

export async function api(method, path, { query, body, auth = true } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": language() };
  const token = auth ? tokenSource() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null, null);
  }
  const requestId = response.headers.get("X-Request-Id");
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, payload, requestId);
    if (response.status === 401 && auth) onUnauthorized(error);
    throw error;
  }
  return payload;
}

/** One path segment: ids come from the API, but never trust them to be URL-safe. */
export function seg(value) {
  return encodeURIComponent(value);
}
