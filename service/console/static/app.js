// The operator console: sign in, learn what the token's roles allow, read the snapshot, follow
// the event stream, and switch screens by keyboard.
import { $, FINAL, live, tick, watchFrames } from "/live/static/state.js";
import { drawBackground, map, onIncidentClick, putIncident, unitLayer } from "./cmap.js";
import { setupCallTaking } from "./calltaking.js";
import { follow, renderList, select, setupIncident } from "./incident.js";
import { loadSince, renderUnits, setupUnits, since, tickUnits } from "./units.js";
import { applyAlarms, loadAlarms, setupAlarms } from "./alarms-view.js";
import { loadKpis, renderQueues, setupSupervisor } from "./supervisor.js";
import { Refused, get, may, session, signIn } from "./net.js";

const SCREENS = ["call", "incident", "units", "alarms", "supervisor"];
// What each screen needs the token to allow; without it the screen says so instead.
const NEEDS = {
  call: "POST /v1/calls", incident: "GET /v1/incidents/{ref}", units: "GET /v1/units",
  alarms: "GET /v1/alarms", supervisor: "GET /v1/reports/kpis",
};
const FRAME_BUDGET_MS = 8;
const RENDER_GAP_MS = 300;

function show(name, { focus = true } = {}) {
  for (const s of document.querySelectorAll("#screen > section")) s.hidden = s.dataset.screen !== name;
  for (const b of document.querySelectorAll("#tabs button")) {
    if (b.dataset.screen === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  }
  live.screen = name;
  if (name === "units") renderUnits();
  if (name === "supervisor") { renderQueues(); loadKpis(); }
  if (name === "incident") renderList();
  if (focus) {
    const first = $(`screen-${name}`).querySelector("input:not([hidden]), select, button:not([hidden])");
    (first || $(`screen-${name}`)).focus();
  }
}

// Offer only what the roles allow: a control for an operation they do not admit is hidden, and
// the screen says why (the API would answer 403 all the same).
function applyRoles() {
  for (const el of document.querySelectorAll("[data-op]")) if (!may(el.dataset.op)) el.hidden = true;
  for (const [screen, op] of Object.entries(NEEDS)) {
    const section = $(`screen-${screen}`);
    if (may(op)) continue;
    section.innerHTML = `<h2>${section.querySelector("h2").textContent}</h2><p class="err" role="note">Your roles`
      + ` (${session.me.roles.join(", ") || "none"}) do not allow this screen: it needs ${op}.</p>`;
    section.tabIndex = -1; // nothing to act on: the screen itself takes the focus, and is read

  }
  $("who").textContent = `${session.me.subject} · ${session.me.roles.join(", ")}`;
}

// Audit entries are applied a slice per frame, as the live map does: a burst never freezes it.
const backlog = [];
let draining = false;
let renderAt = 0;
function apply(entry) {
  for (const i of entry.incidents || []) {
    if (FINAL.has(i.status)) { live.incidents.delete(i.ref); putIncident(i, true); } else { live.incidents.set(i.ref, i); putIncident(i); }
  }
  if (entry.unit) {
    const u = entry.unit;
    // Any entry may change a status (assigned, stood down, a report): time in status restarts.
    if (live.units.get(u.callsign)?.status !== u.status) since.set(u.callsign, Number(entry.ts_ms));
    live.units.set(u.callsign, u);
    unitLayer.set(u);
  }
  follow(entry);
}
function drain() {
  const t0 = performance.now();
  let done = 0;
  while (done < backlog.length && performance.now() - t0 < FRAME_BUDGET_MS) {
    const t1 = performance.now();
    apply(backlog[done]);
    live.stats.applyMs.push(performance.now() - t1);
    done += 1;
  }
  backlog.splice(0, done);
  live.stats.events += done;
  draining = backlog.length > 0;
  if (draining) requestAnimationFrame(drain); else scheduleRender();
}
function scheduleRender() {
  if (renderAt) return;
  renderAt = setTimeout(() => {
    renderAt = 0;
    const t0 = performance.now();
    if (live.screen === "incident") renderList();
    renderUnits();
    renderQueues();
    live.stats.renderMs.push(performance.now() - t0);
  }, RENDER_GAP_MS);
}

function connect(cursor, since_ms) {
  const from = Object.entries(cursor).map(([a, id]) => `${a}=${id}`).join(",");
  const source = new EventSource(`/v1/events?from=${encodeURIComponent(from)}&moves_since=${since_ms}`
    + `&access_token=${encodeURIComponent(session.token)}`);
  const link = (text, up) => { $("link").textContent = text; $("link").className = up ? "link up" : "link down"; };
  source.onopen = () => link("live", true);
  source.onerror = () => link("reconnecting", false);
  source.addEventListener("audit", (e) => {
    for (const entry of JSON.parse(e.data)) backlog.push(entry);
    if (!draining) { draining = true; requestAnimationFrame(drain); }
  });
  source.addEventListener("positions", (e) => {
    const t0 = performance.now();
    for (const [callsign, lon, lat, fixMs] of JSON.parse(e.data)) {
      const u = live.units.get(callsign);
      if (u) { u.lon = lon; u.lat = lat; u.fix_ms = fixMs; unitLayer.set(u); }
    }
    live.stats.movesMs.push(performance.now() - t0);
  });
  source.addEventListener("alarms", (e) => applyAlarms(JSON.parse(e.data)));
}


function shortcuts() {
  document.addEventListener("keydown", (e) => {
    if (e.altKey && !e.ctrlKey && /^Digit[1-5]$/.test(e.code)) {
      e.preventDefault();
      show(SCREENS[Number(e.code.slice(5)) - 1]);
    } else if (e.altKey && e.code === "KeyD" && live.screen === "incident" && !$("dispatch").hidden) {
      e.preventDefault();
      $("dispatch").focus();
      $("dispatch").click();
    } else if (e.altKey && e.code === "KeyR" && live.screen === "incident") {
      e.preventDefault();
      $("remark").focus();
    } else if (e.altKey && e.code === "KeyC" && live.screen === "incident") {
      e.preventDefault();
      $("close-code").focus();
    }
  });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.screen));
}

// The catalogues the forms offer, from the service's own OpenAPI document.
function catalogues(doc) {
  const schemas = doc.components.schemas;
  const kpiArea = doc.paths["/v1/reports/kpis"].get.parameters.find((p) => p.name === "area").schema;
  return {
    types: schemas.TypeIn.properties.incident_type.enum,
    levels: schemas.Level.enum,
    codes: schemas.CloseIn.properties.code.enum,
    // The broker sets link_lost (an MDT's last will); no person does.
    statuses: schemas.UnitStatus.enum.filter((s) => s !== "link_lost"),
    areas: (kpiArea.enum || kpiArea.anyOf?.find((x) => x.enum)?.enum || []).filter(Boolean),
  };
}

async function start() {
  try {
    session.me = await get("/v1/me");
  } catch (err) {
    $("signin").hidden = false;
    $("signin-error").textContent = session.token ? (err instanceof Refused ? err.message : String(err)) : "";
    $("signin-token").focus();
    return;
  }
  const t0 = performance.now();
  const doc = await fetch("/openapi.json").then((r) => r.json());
  const c = catalogues(doc);
  setupCallTaking(c.types, c.levels, (ref) => { show("incident", { focus: false }); select(ref); });
  setupIncident(c.types, c.codes);
  setupUnits(c.areas, c.statuses);
  setupAlarms();
  setupSupervisor();
  shortcuts();
  applyRoles();
  onIncidentClick((ref) => { show("incident", { focus: false }); select(ref); });
  show(may("POST /v1/calls") ? "call" : "incident");
  const [snap] = await Promise.all([get("/v1/live/snapshot"), drawBackground(), loadSince()]);
  live.skewMs = snap.now_ms - Date.now();
  live.staleMs = snap.stale_fix_s * 1000;
  for (const u of snap.units) { live.units.set(u.callsign, u); unitLayer.set(u); }
  for (const i of snap.incidents) { live.incidents.set(i.ref, i); putIncident(i); }
  renderList();
  renderUnits();
  live.stats.snapshotMs = performance.now() - t0;
  live.ready = true;
  await loadAlarms();
  connect(snap.cursor, snap.now_ms - 2000);
  watchFrames();
  setInterval(() => { tick(); tickUnits(); }, 1000);
  tick();
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn($("signin-token").value.trim());
  location.reload();
});
live.map = map;
start().catch((err) => { $("link").textContent = `failed: ${err.message || err}`; });
