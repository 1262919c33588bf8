// The live operations map: a snapshot first, then every change as a server-sent event.
import { drawBoundaries, moveUnits, putIncident, putUnit, restyleStale } from "./layers.js";
import { changed, renderChronology, renderLists, showKpis } from "./panels.js";
import { applyAlarms, loadAlarms } from "./alarms.js";
import { $, api, live, tick, token, watchFrames } from "./state.js";

// Fixes written while the snapshot was being read are sent again rather than missed.
const MOVES_OVERLAP_MS = 2000;
const FRAME_BUDGET_MS = 8;

function apply(entry) {
  for (const i of entry.incidents || []) putIncident(i);
  if (entry.unit) putUnit(entry.unit);
  if (live.selected && [entry.ref, entry.from_ref, entry.to_ref].includes(live.selected)) {
    live.chronology.push(entry);
    renderChronology();
    if (live.incidents.get(live.selected)?.queue_score == null) $("advice").hidden = true;
  }
  changed();
}

// A burst is applied a slice per frame, so that the map never freezes while it catches up.
const backlog = [];
let draining = false;
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
  if (draining) requestAnimationFrame(drain);
}

function linkState(text, up) {
  $("link").textContent = text;
  $("link").className = up ? "link up" : "link down";
}

function connect(cursor, since) {
  // The browser resends the last event id on every reconnect, which the server prefers to
  // `from`: `from` only matters until the first event arrives.
  const from = Object.entries(cursor).map(([area, id]) => `${area}=${id}`).join(",");
  // EventSource cannot set headers: this one endpoint also takes the token as `access_token`.
  const query = `from=${encodeURIComponent(from)}&moves_since=${since}`
    + `&access_token=${encodeURIComponent(token)}`;
  const source = new EventSource(`/v1/events?${query}`);
  source.onopen = () => linkState("live", true);
  source.onerror = () => linkState("reconnecting", false);
  source.addEventListener("audit", (e) => {
    for (const entry of JSON.parse(e.data)) backlog.push(entry);
    if (!draining) drain();
  });
  source.addEventListener("positions", (e) => {
    const t0 = performance.now();
    moveUnits(JSON.parse(e.data));
    live.stats.movesMs.push(performance.now() - t0);
  });
  source.addEventListener("kpis", (e) => showKpis(JSON.parse(e.data)));
  source.addEventListener("alarms", (e) => applyAlarms(JSON.parse(e.data)));
}


async function start() {
  const t0 = performance.now();
  const [geojson, snap] = await Promise.all([
    api("/v1/live/boundaries").then((r) => r.json()),
    api("/v1/live/snapshot").then((r) => {
      if (!r.ok) throw new Error(`snapshot ${r.status} (open the address the demo printed)`);
      return r.json();
    }),
  ]);
  drawBoundaries(geojson);
  live.skewMs = snap.now_ms - Date.now();
  live.staleMs = snap.stale_fix_s * 1000;
  for (const u of snap.units) putUnit(u);
  for (const i of snap.incidents) putIncident(i);
  renderLists();
  live.stats.snapshotMs = performance.now() - t0;
  live.ready = true;
  // After the snapshot (whose cursor the stream starts from): a change in between is sent again.
  await loadAlarms();
  connect(snap.cursor, snap.now_ms - MOVES_OVERLAP_MS);
  watchFrames();
  setInterval(tick, 1000);
  setInterval(restyleStale, 5000);
  tick();
}

start().catch((err) => linkState("failed: " + err, false));
