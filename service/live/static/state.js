// What the page knows: units and incidents by key, the selection, and the shared helpers.
export const GRADE_COLOUR = { I: "#ff3b3b", S: "#ffb020", E: "#4d8dff", R: "#9aa4b2" };
export const GRADE_RANK = { I: 0, S: 1, E: 2, R: 3 };
export const TARGET_MS = { I: 15 * 60000, S: 60 * 60000 };
export const UNIT_COLOUR = {
  available: "#2ecc71", assigned: "#00d0ff", en_route: "#b57bff", on_scene: "#ffffff",
  busy: "#c08457", off_duty: "#4b5563",
  // Set by the service: a tasking went unanswered (out of dispatch until the crew reports).
  unresponsive: "#ff2dd4",
  // The MDT's last will: its link died; drawn with the link-lost ring below.
  link_lost: "#4b5563",
};
// Another force's call: whose it is, and whether it waits for them or the Met attends.
export function forceNote(i) {
  return i.status === "transfer"
    ? `held for transfer to ${i.transfer_force}`
    : `${i.transfer_force}'s area: Met units attend`;
}

export const FINAL = new Set(["closed", "cancelled", "referred", "transferred"]);
// As the service's queue alarm (CAD_QUEUE_ALARM_AGE_S, 20 minutes by default).
const QUEUE_ALARM_S = 20 * 60;
// Without a last will (a link that fades rather than drops), a unit silent this many times the
// stale threshold has most likely lost its data link too.
const LOST_FACTOR = 4;

// Also `window.cadLive`: the browser tests read the page's state and timings from it.
export const live = {
  units: new Map(), incidents: new Map(), incMarkers: new Map(),
  selected: null, skewMs: 0, staleMs: 90000, chronology: [],
  stats: { snapshotMs: 0, events: 0, applyMs: [], frameGaps: [], renderMs: [], movesMs: [] },
};
window.cadLive = live;

export const $ = (id) => document.getElementById(id);
export const now = () => Date.now() + live.skewMs;
export const path = (ref) => encodeURIComponent(ref);
export const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
export const hms = (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
export function mmss(s) {
  if (s == null) return "–";
  const a = Math.abs(Math.round(s));
  const t = Math.floor(a / 60) + ":" + String(a % 60).padStart(2, "0");
  return s < 0 ? "-" + t : t;
}

export function unitState(u) {
  // The broker published the MDT's last will: the link is gone, whatever its last fix says.
  if (u.status === "link_lost") return "lost";
  if (u.fix_ms == null) return "ok";
  const age = now() - u.fix_ms;
  if (age > live.staleMs * LOST_FACTOR) return "lost";
  return age > live.staleMs ? "stale" : "ok";
}

export function attended(i) {
  if (i.status === "on_scene") return true;
  return (i.units || []).some((c) => (live.units.get(c) || {}).status === "on_scene");
}

export function clock(i) {
  const target = TARGET_MS[i.grade];
  if (i.received_ms == null) return { text: "–", cls: "done" };
  if (attended(i)) return { text: "attended", cls: "done" };
  if (!target) {
    // No attendance target (E, R, ungraded): show how long it has waited, counting up.
    const waited = (now() - i.received_ms) / 1000;
    return { text: "+" + mmss(waited), cls: waited > QUEUE_ALARM_S ? "near" : "done" };
  }
  const left = (i.received_ms + target - now()) / 1000;
  return { text: mmss(left), cls: left < 0 ? "breach" : left < 180 ? "near" : "ok" };
}

// The bearer token arrives once in the URL fragment (`/#token=...`: a fragment never reaches the
// server or its logs), then stays in this tab's session storage and leaves the address bar.
const TOKEN_KEY = "cad.token";
function takeToken() {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) || "";
}
export const token = takeToken();

// Every API call carries the token; a 401 or 403 says so on the page instead of failing quietly.
export async function api(url, init = {}) {
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${token}` };
  const r = await fetch(url, { ...init, headers });
  if (r.status === 401 || r.status === 403) {
    const body = await r.clone().json().catch(() => ({}));
    const link = document.getElementById("link");
    if (link) { link.textContent = `not signed in: ${body.detail || r.status}`; link.className = "link down"; }
  }
  return r;
}

// Once a second: the wall clock and every target clock on the page, as text only (no re-render).
export function tick() {
  $("clock").textContent = hms(now());
  for (const el of document.querySelectorAll("[data-clock]")) {
    const i = live.incidents.get(el.dataset.clock);
    if (!i) continue;
    const c = clock(i);
    el.textContent = c.text;
    el.className = `clock ${c.cls}`;
  }
}

// Frame gaps, for the browser tests' responsiveness figures.
export function watchFrames() {
  const gaps = live.stats.frameGaps;
  let last = performance.now();
  const step = (t) => {
    gaps.push(t - last);
    if (gaps.length > 5000) gaps.splice(0, 2500);
    last = t;
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}
