// Taking a call: place, AML circle, type, THRIVE and grade, with the open incidents it may be
// about shown live; then create its incident (and grade it) or link it to one of them.
import { $, esc } from "/live/static/state.js";
import { showPin } from "./cmap.js";
import { act, get, path, post } from "./net.js";
import { placeCombo } from "./places.js";

const CANDIDATES_DEBOUNCE_MS = 200;
let chosen = null; // {lon, lat, name}
// One id per call, kept until it is recorded: sent again after a lost answer, the service
// answers with the incident it made (a replay), never a second incident.
let callId = null;
let timer = 0;
// The latest look-up of candidates: an answer to an earlier one (another place, or a call since
// recorded) is dropped rather than shown beside this call.
let candidatesAsked = 0;
let openIncident = () => {};

const radius = () => {
  const v = Number($("radius").value);
  return Number.isFinite(v) && v > 0 ? v : null;
};

function refreshPin() {
  if (chosen) showPin(chosen.lon, chosen.lat, radius());
}

function refreshCandidates() {
  clearTimeout(timer);
  const asked = ++candidatesAsked;
  const place = chosen;
  if (!place) { $("candidates").innerHTML = ""; return; }
  timer = setTimeout(async () => {
    const q = new URLSearchParams({ lon: place.lon, lat: place.lat });
    if (radius()) q.set("radius_m", radius());
    if ($("ctype").value) q.set("incident_type", $("ctype").value);
    const found = await get(`/v1/calls/candidates?${q}`).catch(() => null);
    if (!found || asked !== candidatesAsked) return;
    $("candidates").innerHTML = found.candidates.length
      ? found.candidates.map((c) => `<li>${esc(c.ref)} · score ${c.score.toFixed(2)} · ${Math.round(c.distance_m)} m`
        + ` <span class="sub">${esc(c.reasons.join("; "))}</span> <button type="button" data-link="${esc(c.ref)}">Link call to ${esc(c.ref)}</button></li>`).join("")
      : `<li class="sub">none open near ${esc(found.area)}</li>`;
  }, CANDIDATES_DEBOUNCE_MS);
}

function callBody() {
  callId = callId || `console-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const body = {
    call_id: callId,
    received_at: new Date().toISOString(),
    source: $("source").value,
    location: { lon: chosen.lon, lat: chosen.lat, radius_m: radius() },
    incident_type: $("ctype").value || null,
  };
  if ($("ctext").value.trim()) body.text = $("ctext").value.trim();
  return body;
}

function gradeBody() {
  const thrive = {
    threat: $("t-threat").value, harm: $("t-harm").value, risk: $("t-risk").value,
    investigation: $("t-investigation").checked, vulnerability: $("t-vulnerability").checked,
    engagement: $("t-engagement").checked,
  };
  const body = { thrive };
  if ($("cgrade").value) body.grade = $("cgrade").value;
  if ($("creason").value.trim()) body.reason = $("creason").value.trim();
  return body;
}

async function create() {
  if (!chosen) { $("place").focus(); $("call-result").textContent = "pick a place first"; return; }
  const answer = await act($("call-result"), async () => {
    const recorded = await post("/v1/calls", callBody());
    const ref = recorded.incident.incident.ref;
    const graded = await post(`/v1/incidents/${path(ref)}/grade`, gradeBody());
    return { ref, grade: graded.incident?.grade ?? graded.grade };
  }, (a) => `created ${a.ref}, grade ${a.grade}`);
  if (answer) { $("call-form").reset(); openIncident(answer.ref); }
}

async function link(ref) {
  const answer = await act($("call-result"), async () => {
    const body = callBody();
    await post("/v1/calls", body);
    return post(`/v1/incidents/${path(ref)}/links`, { call_id: body.call_id });
  }, (a) => `call linked to ${a.ref} (${a.outcome})`);
  if (answer) { $("call-form").reset(); openIncident(ref); }
}

// What the form's own reset leaves: the call's place, id, pin and candidates. On its reset
// event, never resetting the form itself (that fires the event again: it had reset the form
// every few milliseconds from the first call recorded, wiping what the handler typed next).
function clearCall() {
  chosen = null;
  callId = null;
  $("place-chosen").textContent = "";
  refreshCandidates(); // no place: the list emptied, a look-up due or on its way dropped
  showPin(null);
}

export function setupCallTaking(types, levels, open) {
  openIncident = open;
  $("ctype").innerHTML = `<option value="">not known yet</option>`
    + types.map((t) => `<option>${esc(t)}</option>`).join("");
  for (const s of document.querySelectorAll("[data-level]")) {
    s.innerHTML = levels.map((l) => `<option>${esc(l)}</option>`).join("");
  }
  placeCombo($("place"), $("place-list"), (p) => {
    chosen = { lon: p.lon, lat: p.lat, name: p.name };
    const where = p.location;
    $("place-chosen").textContent = `${p.name}: ${where.ward || ""} ${where.borough || ""}, BCU ${where.bcu || where.nearest_bcu}`;
    refreshPin();
    refreshCandidates();
  });
  $("radius").addEventListener("input", () => { refreshPin(); refreshCandidates(); });
  $("ctype").addEventListener("change", refreshCandidates);
  $("call-form").addEventListener("submit", (e) => { e.preventDefault(); create(); });
  $("call-form").addEventListener("reset", () => setTimeout(clearCall));
  $("call-form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); create(); }
  });
  $("candidates").addEventListener("click", (e) => {
    const ref = e.target.closest("[data-link]")?.dataset.link;
    if (ref) link(ref);
  });
}
