// The map: borough and BCU outlines, the units' canvas and the incidents' markers.
import { select } from "./panels.js";
import { FINAL, GRADE_COLOUR, UNIT_COLOUR, esc, forceNote, live, unitState } from "./state.js";
import { UnitsLayer } from "./units-layer.js";

export const map = L.map("map", { preferCanvas: true, attributionControl: false, zoomSnap: 0.25 })
  .setView([51.49, -0.12], 10);
// Panes fix the drawing order whatever arrives first: outlines, then units, then incidents.
for (const [name, z] of [["boundaries", 350], ["units", 420], ["incidents", 440]]) {
  map.createPane(name).style.zIndex = z;
}
const incidentLayer = L.canvas({ padding: 0.3, pane: "incidents" });

export function drawBoundaries(geojson) {
  const shapes = L.geoJSON(geojson, {
    renderer: L.svg({ pane: "boundaries" }),
    pane: "boundaries",
    interactive: false,
    style: (f) => f.properties.kind === "bcu"
      ? { className: "bcu", color: "#6f95d8", weight: 2.2, fill: false, opacity: 0.85 }
      : { className: "borough", color: "#3b4a61", weight: 1, fillColor: "#182131", fillOpacity: 1 },
    onEachFeature: (f, layer) => {
      if (f.properties.kind === "bcu") {
        layer.bindTooltip(f.properties.bcu, { permanent: true, direction: "center",
          className: "bcu-label", interactive: false });
      }
    },
  }).addTo(map);
  map.fitBounds(shapes.getBounds(), { padding: [8, 8] });
}

// ---- units ----------------------------------------------------------------------------------
// Styles are cached by key, so that 5,000 units share a dozen style objects.
const unitStyles = new Map();
function unitStyle(u) {
  const state = u._state || "ok";
  const radius = map.getZoom() >= 13 ? 5.5 : 4;
  const key = `${u.status}|${state}|${radius}`;
  let style = unitStyles.get(key);
  if (style) return style;
  const colour = UNIT_COLOUR[u.status] || "#999";
  style = state === "lost"
    ? { stroke: "#ff4d4d", width: 1.5, dash: [1, 3], fill: colour, fillAlpha: 0 }
    : state === "stale"
      ? { stroke: "#ffb020", width: 1.2, dash: [2, 2], fill: colour, fillAlpha: 0.25 }
      : { stroke: "", width: 0, dash: null, fill: colour, fillAlpha: 0.95 };
  style = { ...style, key, radius };
  unitStyles.set(key, style);
  return style;
}

function unitTip(u) {
  const state = unitState(u);
  const quiet = state === "ok" ? "" : `<br>${state === "lost" ? "link lost" : "stale fix"}`;
  return `<b>${esc(u.callsign)}</b> ${esc(u.unit_type || "")}<br>${esc(u.status)}`
    + (u.ref ? ` · ${esc(u.ref)}` : "") + quiet;
}

const unitLayer = new UnitsLayer(unitStyle, unitTip, { pane: "units" }).addTo(map);
live.unitLayer = unitLayer;

export function putUnit(u) {
  u._state = unitState(u);
  live.units.set(u.callsign, u);
  unitLayer.set(u);
}

export function moveUnits(rows) {
  for (const [callsign, lon, lat, fix] of rows) {
    const u = live.units.get(callsign);
    if (u) putUnit(Object.assign(u, { lon, lat, fix_ms: fix }));
  }
}

export function restyleStale() {
  for (const u of live.units.values()) {
    if (unitState(u) !== u._state) putUnit(u);
  }
}

// ---- incidents ------------------------------------------------------------------------------
function incidentStyle(i) {
  const selected = live.selected === i.ref;
  const pending = i.queue_score != null;
  // Its units have all cleared: it stays on the map, faded, until closed with a result code.
  const awaiting = i.status === "awaiting_result";
  // Another force's call: held for transfer (ringed purple, dashed) or attended by the Met.
  const held = i.status === "transfer";
  return {
    radius: selected ? 11 : 7, weight: selected ? 3 : pending || held ? 2.5 : 1.5,
    color: selected ? "#ffd84d" : held ? "#c77dff" : pending ? "#ffffff" : "#000000",
    dashArray: held ? "3 3" : null,
    fillColor: GRADE_COLOUR[i.grade] || "#e0e0e0", fillOpacity: awaiting ? 0.35 : 0.95,
  };
}

function incidentTip(i) {
  if (!i) return "";
  return `<b>${esc(i.ref)}</b> ${esc(i.grade || "?")} ${esc(i.incident_type || "")}<br>${esc(i.status)}`
    + (i.transfer_force ? `<br>${esc(forceNote(i))}` : "");
}

export function putIncident(i) {
  if (FINAL.has(i.status)) {
    live.incidents.delete(i.ref);
    const gone = live.incMarkers.get(i.ref);
    if (gone) { gone.remove(); live.incMarkers.delete(i.ref); }
    return;
  }
  live.incidents.set(i.ref, i);
  let m = live.incMarkers.get(i.ref);
  if (!m) {
    m = L.circleMarker([i.lat, i.lon], { renderer: incidentLayer, ...incidentStyle(i) }).addTo(map);
    m.on("click", () => select(i.ref));
    m.bindTooltip(() => incidentTip(live.incidents.get(i.ref)));
    live.incMarkers.set(i.ref, m);
  } else {
    m.setLatLng([i.lat, i.lon]);
    m.setStyle(incidentStyle(i));
  }
}

// Ring the newly selected incident, unring the previous one, and bring the map to it.
export function highlight(previous, ref) {
  for (const r of [previous, ref]) {
    const i = live.incidents.get(r);
    const m = live.incMarkers.get(r);
    if (i && m) { m.setStyle(incidentStyle(i)); if (r === ref) m.bringToFront(); }
  }
  const chosen = live.incidents.get(ref);
  if (chosen) map.setView([chosen.lat, chosen.lon], Math.max(map.getZoom(), 14));
}
