// Every call the console makes, through the public API with the tab's bearer token; a refusal
// is put into words on the page (a 403 names the roles the action needs).
import { token as given } from "/live/static/state.js";

const TOKEN_KEY = "cad.token";
export const session = { token: given, me: null };

export function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  session.token = token;
}

// `METHOD /path` as the OpenAPI document spells it: does the token's role admit it?
export const may = (op) => !!session.me && session.me.allowed.includes(op);

export function announce(text) {
  document.getElementById("announce").textContent = text;
}

// Why the service said no, for people: FastAPI's 422 lists fields, the rest carry `detail`.
export function explain(status, body) {
  const detail = body && body.detail;
  if (status === 403) {
    return `not allowed for your roles (${(session.me?.roles || []).join(", ") || "none"}): `
      + `${typeof detail === "string" ? detail : "this action needs another role"}`;
  }
  if (status === 401) return `not signed in: ${detail || "the token was refused"}`;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return `${status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
}

export class Refused extends Error {
  constructor(status, body) {
    super(explain(status, body));
    this.status = status;
  }
}

export async function request(url, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await r.json().catch(() => null);
  if (!r.ok) throw new Refused(r.status, answer);
  return answer;
}

export const get = (url) => request(url);
export const post = (url, body = {}) => request(url, { method: "POST", body });
export const path = (s) => encodeURIComponent(s);

// Run an action for a form or button and say what came of it in `out` (a live region).
export async function act(out, work, done) {
  out.className = "";
  out.textContent = "working…";
  try {
    const answer = await work();
    out.className = "ok";
    out.textContent = done(answer);
    announce(out.textContent);
    return answer;
  } catch (err) {
    out.className = "err";
    out.textContent = err instanceof Refused ? err.message : `failed: ${err}`;
    announce(out.textContent);
    return null;
  }
}
