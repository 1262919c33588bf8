// Beside the map: the queue, the open incidents, the selected incident and the KPI strip.
import { highlight } from "./layers.js";
import {
  $, GRADE_RANK, TARGET_MS, api, attended, clock, esc, forceNote, hms, live, mmss, now, path,
} from "./state.js";

const LIST_LIMIT = 100;
// The lists are redrawn at most every LIST_GAP_MS: laying out hundreds of rows is the
// costliest thing on the page, and nobody reads a queue at 60 frames a second.
const LIST_GAP_MS = 300;
let dirty = false;
let listsAt = 0;

export function changed() {
  if (dirty) return;
  dirty = true;
  const wait = Math.max(0, listsAt + LIST_GAP_MS - performance.now());
  setTimeout(() => requestAnimationFrame(renderLists), wait);
}

function gradeBadge(i) {
  return `<span class="grade ${esc(i.grade || "none")}">${esc(i.grade || "?")}</span>`;
}

function row(i) {
  const c = clock(i);
  const cls = live.selected === i.ref ? ' class="sel"' : "";
  const sub = `${esc(i.area)} · ${esc(i.incident_type || "type?")} · ${esc(i.status)}`
    + (i.transfer_force ? ` · ${esc(forceNote(i))}` : "");
  return `<li data-ref="${esc(i.ref)}"${cls}>${gradeBadge(i)}`
    + `<span><span class="ref">${esc(i.ref)}</span> <span class="sub">${sub}</span></span>`
    + `<span class="clock ${c.cls}" data-clock="${esc(i.ref)}">${c.text}</span></li>`;
}

function fill(list, items) {
  const more = items.length - LIST_LIMIT;
  list.innerHTML = items.slice(0, LIST_LIMIT).map(row).join("")
    + (more > 0 ? `<li class="more">and ${more} more</li>` : "");
}

function urgency(i) {
  const target = TARGET_MS[i.grade];
  if (attended(i)) return Infinity;
  return target ? i.received_ms + target : 1e15 + (GRADE_RANK[i.grade] ?? 4);
}

export function renderLists() {
  dirty = false;
  const t0 = performance.now();
  listsAt = t0;
  const all = [...live.incidents.values()];
  // The queue's own scores: exactly the dispatch core's order (grade, then age).
  const queue = all.filter((i) => i.queue_score != null).sort((a, b) => a.queue_score - b.queue_score);
  const open = all.filter((i) => i.queue_score == null).sort((a, b) => urgency(a) - urgency(b));
  fill($("queue"), queue);
  fill($("open"), open);
  $("queue-count").textContent = queue.length;
  $("open-count").textContent = open.length;
  $("counts").textContent = `${live.units.size} units · ${all.length} open`;
  if (live.selected) renderDetail();
  live.stats.renderMs.push(performance.now() - t0);
}


for (const id of ["queue", "open"]) {
  $(id).addEventListener("click", (e) => {
    const li = e.target.closest("li[data-ref]");
    if (li) select(li.dataset.ref);
  });
}

export async function select(ref) {
  const previous = live.selected;
  live.selected = ref;
  highlight(previous, ref);
  $("detail").hidden = false;
  live.chronology = [];
  renderDetail();
  changed();
  const [chrono, advice] = await Promise.all([
    api(`/v1/live/incidents/${path(ref)}/chronology`).then((r) => (r.ok ? r.json() : null)),
    // Shown only when the recommendation endpoint answers.
    api(`/v1/incidents/${path(ref)}/recommendation`).then((r) => (r.ok ? r.json() : null))
      .catch(() => null),
  ]);
  if (live.selected !== ref) return;
  if (chrono) {
    live.chronology = chrono.entries;
    $("calls").innerHTML = chrono.calls.map((c) =>
      `<li><span class="t">${hms(c.received_ms)}</span> ${esc(c.call_id)}</li>`).join("");
  }
  renderChronology();
  showAdvice(ref, advice);
}

function renderDetail() {
  const i = live.incidents.get(live.selected);
  if (!i) { $("detail-title").textContent = `${live.selected} (closed)`; return; }
  const c = clock(i);
  $("detail-title").innerHTML = `${gradeBadge(i)} ${esc(i.ref)}`;
  const units = (i.units || []).map((cs) => {
    const u = live.units.get(cs);
    return `<b>${esc(cs)}</b> ${esc(u ? u.status : "?")}`;
  }).join(", ") || "none";
  const received = i.received_ms ? hms(i.received_ms) : "?";
  $("detail-body").innerHTML =
    `<div class="row">${esc(i.incident_type || "type not recorded")} · ${esc(i.area)} · <b>${esc(i.status)}</b></div>`
    + `<div class="row">received ${received} · target <span class="clock ${c.cls}" data-clock="${esc(i.ref)}">${c.text}</span></div>`
    + `<div class="row">units: <span id="detail-units">${units}</span></div>`
    + (i.transfer_force ? `<div class="row">${esc(forceNote(i))}</div>` : "");
}

export function renderChronology() {
  $("chronology").innerHTML = live.chronology.map((e) => {
    const who = [e.callsign, e.status, e.reason, e.actor && `by ${e.actor}`].filter(Boolean).join(" · ");
    return `<li><span class="t">${hms(Number(e.ts_ms))}</span> ${esc(e.type)} ${esc(who)}</li>`;
  }).join("");
}

function showAdvice(ref, advice) {
  const i = live.incidents.get(ref);
  const box = $("advice");
  if (!advice || !i || i.queue_score == null) { box.hidden = true; return; }
  box.hidden = false;
  $("accept-result").textContent = "";
  const chosen = advice.chosen.map((c) => `<li><b>${esc(c.callsign)}</b> ETA ${mmss(c.eta_s)}`
    + ` · ${(c.distance_m / 1000).toFixed(1)} km · ${esc(c.reason)}</li>`).join("");
  const passed = advice.passed.slice(0, 5).map((p) =>
    `<li>${esc(p.callsign)}: ${esc(p.reason)}</li>`).join("");
  $("advice-body").innerHTML = `<ol class="plain">${chosen || "<li>no unit available</li>"}</ol>`
    + (passed ? `<div class="sub">not chosen:</div><ol class="plain">${passed}</ol>` : "")
    + (advice.complete ? "" : `<div class="sub">the response plan cannot be met in full</div>`);
  const button = $("accept");
  button.disabled = advice.chosen.length === 0;
  button.onclick = async () => {
    button.disabled = true;
    // The same endpoint, and the same authentication, as every other client.
    const r = await api(`/v1/incidents/${path(ref)}/dispatch`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    const body = await r.json().catch(() => ({}));
    $("accept-result").textContent = r.ok
      ? `sent ${(body.units || []).join(", ")}` : `refused: ${body.detail || r.status}`;
    if (!r.ok) button.disabled = false;
  };
}

export function showKpis(k) {
  const pct = (v, n) => (v == null ? "–" : `${v}%`) + (n ? ` (${n})` : "");
  $("kpi-calls").textContent = k.calls_last_hour;
  $("kpi-i").textContent = pct(k.i_within_target_pct, k.i_decided);
  $("kpi-s").textContent = pct(k.s_within_target_pct, k.s_decided);
  $("kpi-c2d").textContent = mmss(k.median_call_to_dispatch_s);
  $("kpi-d2a").textContent = mmss(k.median_dispatch_to_arrival_s);
  for (const [id, v] of [["kpi-i", k.i_within_target_pct], ["kpi-s", k.s_within_target_pct]]) {
    $(id).className = v == null ? "" : v >= 90 ? "good" : "bad";
  }
}
