// One incident: its clock, the recommendation with why and why not, dispatch or override,
// its units (divert, stand down), remarks, corrections, the result and close, the chronology.
import { $, GRADE_RANK, clock, esc, hms, live, mmss } from "/live/static/state.js";
import { focusIncident } from "./cmap.js";
import { rerender } from "./focus.js";
import { act, get, may, path, post } from "./net.js";
import { placeCombo } from "./places.js";

const LIST_ROWS = 100;
const view = { ref: null, entries: [], unit: null, corrected: null };

const badge = (i) => `<span class="g g${esc(i.grade || "-")}" aria-label="grade ${esc(i.grade || "none")}">${esc(i.grade || "–")}</span>`;

export function renderList() {
  const words = $("inc-filter").value.trim().toLowerCase();
  const rows = [...live.incidents.values()]
    .filter((i) => !words || `${i.ref} ${i.incident_type} ${i.area} ${i.status}`.toLowerCase().includes(words))
    .sort((a, b) => (a.queue_score == null) - (b.queue_score == null)
      || (GRADE_RANK[a.grade] ?? 9) - (GRADE_RANK[b.grade] ?? 9) || a.received_ms - b.received_ms)
    .slice(0, LIST_ROWS);
  rerender($("inc-list"), rows.map((i) => {
    const c = clock(i);
    return `<li><button type="button" data-ref="${esc(i.ref)}" aria-pressed="${i.ref === view.ref}">`
      + `${badge(i)}<span>${esc(i.ref)} · ${esc(i.incident_type || "type?")} · ${esc(i.area)}`
      + `${i.queue_score != null ? " · queued" : ""}</span><span class="clock ${c.cls}" data-clock="${esc(i.ref)}">${c.text}</span></button></li>`;
  }).join(""), "ref");
}

function renderSummary() {
  const i = live.incidents.get(view.ref);
  if (!i) { $("inc-summary").innerHTML = `<div>no longer open (closed or archived)</div>`; return; }
  const c = clock(i);
  const units = (i.units || []).map((cs) => `${cs} (${live.units.get(cs)?.status || "?"})`).join(", ") || "none";
  $("inc-title").innerHTML = `${badge(i)} ${esc(i.ref)}`;
  $("inc-summary").innerHTML = `<div>${esc(i.incident_type || "type not recorded")} · ${esc(i.area)} · <b id="inc-status">${esc(i.status)}</b> · ${i.call_count || 1} call(s)</div>`
    + `<div>received ${hms(i.received_ms)} · target <span class="clock ${c.cls}" data-clock="${esc(i.ref)}" id="inc-clock">${c.text}</span></div>`
    + `<div>units: <span id="inc-unit-names">${esc(units)}</span></div>`;
  const control = may("POST /v1/units/{callsign}/divert") ? "" : " hidden";
  rerender($("inc-units"), (i.units || []).map((cs) => `<li>${esc(cs)} · ${esc(live.units.get(cs)?.status || "?")} `
    + `<button type="button" data-unit="${esc(cs)}"${control}>Stand down or divert ${esc(cs)}</button></li>`).join("")
    || `<li class="sub">none</li>`, "unit");
}

function renderChronology() {
  $("chronology").innerHTML = view.entries.map((e) => {
    const who = [e.callsign, e.status, e.grade, e.text, e.reason, e.code, e.actor && `by ${e.actor}`].filter(Boolean).join(" · ");
    return `<li><span class="sub">${hms(Number(e.ts_ms))}</span> ${esc(e.type)} ${esc(who)}</li>`;
  }).join("");
}

async function loadAdvice(ref) {
  const i = live.incidents.get(ref);
  const box = $("inc-advice");
  box.hidden = !i || i.queue_score == null;
  if (box.hidden) return;
  $("adv-body").textContent = "…";
  const advice = await get(`/v1/incidents/${path(ref)}/recommendation`).catch((err) => ({ error: err.message }));
  if (view.ref !== ref) return;
  if (advice.error) { $("adv-body").textContent = advice.error; return; }
  const chosen = advice.chosen.map((c) => `<li><b>${esc(c.callsign)}</b> ETA ${mmss(c.eta_s)} · ${(c.distance_m / 1000).toFixed(1)} km · why: ${esc(c.reason)}</li>`).join("");
  const passed = advice.passed.slice(0, 8).map((p) => `<li>${esc(p.callsign)} · why not: ${esc(p.reason)}</li>`).join("");
  $("adv-body").innerHTML = `<ol class="plain" id="adv-chosen">${chosen || "<li>no unit available</li>"}</ol>`
    + (passed ? `<div class="sub">not chosen:</div><ol class="plain" id="adv-passed">${passed}</ol>` : "")
    + (advice.complete ? "" : `<div class="sub">the response plan cannot be met in full</div>`);
  $("dispatch").disabled = advice.chosen.length === 0;
}

export async function select(ref, { focus = true } = {}) {
  view.ref = ref;
  view.entries = [];
  $("inc-detail").hidden = false;
  focusIncident(live.incidents.get(ref));
  renderSummary();
  renderList();
  if (focus) $("inc-title").focus();
  const [detail] = await Promise.all([get(`/v1/incidents/${path(ref)}`).catch(() => null), loadAdvice(ref)]);
  if (view.ref !== ref || !detail) return;
  view.entries = detail.chronology;
  renderChronology();
}

// An audit entry arrived: keep the open view current.
export function follow(entry) {
  if (!view.ref) return;
  if ([entry.ref, entry.from_ref, entry.to_ref].includes(view.ref)) {
    view.entries.push(entry);
    renderChronology();
    renderSummary();
    if (entry.type === "unit_assigned" || entry.type === "incident_queued") loadAdvice(view.ref);
  }
}

const ref = () => path(view.ref);
const out = () => $("inc-result");

export function setupIncident(types, codes) {
  $("ty-type").innerHTML = types.map((t) => `<option>${esc(t)}</option>`).join("");
  $("close-code").innerHTML = codes.map((c) => `<option>${esc(c)}</option>`).join("");
  $("inc-filter").addEventListener("input", renderList);
  $("inc-filter").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); $("inc-list").querySelector("button")?.click(); }
  });
  $("inc-list").addEventListener("click", (e) => {
    const b = e.target.closest("[data-ref]");
    if (b) select(b.dataset.ref);
  });
  $("dispatch").addEventListener("click", () => act(out(), () => post(`/v1/incidents/${ref()}/dispatch`, {}),
    (a) => `dispatched ${(a.units || []).join(", ") || "nothing"} (${a.outcome})`));
  $("override-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const callsigns = $("ov-units").value.split(/[\s,]+/).filter(Boolean);
    act(out(), () => post(`/v1/incidents/${ref()}/dispatch`, { callsigns, reason: $("ov-reason").value }),
      (a) => `dispatched ${(a.units || []).join(", ")} instead (${a.outcome})`);
  });
  $("inc-units").addEventListener("click", (e) => {
    const cs = e.target.closest("[data-unit]")?.dataset.unit;
    if (!cs) return;
    view.unit = cs;
    $("unit-action-form").hidden = false;
    $("ua-submit").textContent = `Apply to ${cs}`;
    $("ua-divert").focus();
  });
  $("unit-action-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const to = $("ua-divert").value.trim();
    const reason = $("ua-reason").value;
    const cs = path(view.unit);
    act(out(), () => (to
      ? post(`/v1/units/${cs}/divert`, { incident_ref: to, reason })
      : post(`/v1/units/${cs}/stand-down`, { reason })),
    () => (to ? `${view.unit} diverted to ${to}` : `${view.unit} stood down`)).then((a) => {
      if (a) { $("unit-action-form").reset(); $("unit-action-form").hidden = true; }
    });
  });
  $("remark-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act(out(), () => post(`/v1/incidents/${ref()}/log`, { text: $("remark").value }), () => "remark added")
      .then((a) => { if (a) $("remark").value = ""; });
  });
  placeCombo($("loc-place"), $("loc-list"), (p) => { view.corrected = p; });
  $("loc-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const p = view.corrected;
    if (!p) { out().textContent = "pick the new place from the list"; return; }
    const i = live.incidents.get(view.ref);
    act(out(), () => post(`/v1/incidents/${ref()}/location`, {
      location: { lon: p.lon, lat: p.lat, radius_m: i?.radius_m ?? null }, reason: $("loc-reason").value,
    }), () => `location corrected to ${p.name}`);
  });
  $("type-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act(out(), () => post(`/v1/incidents/${ref()}/type`, { incident_type: $("ty-type").value, reason: $("ty-reason").value }),
      () => `type corrected to ${$("ty-type").value}`);
  });
  $("close-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act(out(), () => post(`/v1/incidents/${ref()}/close`, { code: $("close-code").value, note: $("close-note").value }),
      () => `${view.ref} closed: ${$("close-code").value}`);
  });
}
