// The console's map: outlines, our own streets as vectors, incidents, units on one canvas, and
// the call being taken as a pin with its uncertainty circle at its real radius.
import { GRADE_COLOUR, UNIT_COLOUR, esc, live, unitState } from "/live/static/state.js";
import { UnitsLayer } from "/live/static/units-layer.js";
import { get } from "./net.js";

export const map = L.map("map", {
  preferCanvas: true, attributionControl: false, zoomSnap: 0.25, keyboard: true,
}).setView([51.507, -0.128], 14);
const streetsPane = map.createPane("streets");
streetsPane.style.zIndex = 350;
const renderer = L.canvas({ padding: 0.2 });

function unitStyle(u) {
  const state = unitState(u);
  const fill = UNIT_COLOUR[u.status] || "#888";
  return {
    key: `${u.status}|${state}`, radius: 4, fill, fillAlpha: state === "lost" ? 0 : 0.95,
    stroke: state === "ok" ? fill : state === "stale" ? "#ffb020" : "#ff3b3b",
    width: state === "ok" ? 0 : 2, dash: state === "lost" ? [2, 2] : null,
  };
}
export const unitLayer = new UnitsLayer(unitStyle, (u) => `${esc(u.callsign)} · ${esc(u.status)}`);
unitLayer.addTo(map);
live.unitLayer = unitLayer;

export async function drawBackground() {
  const [outlines, streets] = await Promise.all([get("/v1/live/boundaries"), get("/v1/live/streets")]);
  L.geoJSON(outlines, {
    interactive: false, renderer,
    style: (f) => ({ className: f.properties.kind, fill: false,
      weight: f.properties.kind === "bcu" ? 2 : 1, color: f.properties.kind === "bcu" ? "#7f93b3" : "#3b4d68" }),
  }).addTo(map);
  L.geoJSON(streets, {
    interactive: false, pane: "streets", renderer: L.canvas({ pane: "streets" }),
    style: (f) => (f.properties.class === "major"
      ? { color: "#5b6f8f", weight: 2.2, opacity: 0.9 } : { color: "#38465c", weight: 1, opacity: 0.9 }),
  }).addTo(map);
  // For the browser tests: how many roads the street layer holds.
  live.streetsDrawn = streets.features.reduce((n, f) => n + f.geometry.coordinates.length, 0);
}

const markers = new Map();
let onPick = () => {};
export function onIncidentClick(fn) { onPick = fn; }

export function putIncident(i, gone) {
  let m = markers.get(i.ref);
  if (gone) { if (m) { m.remove(); markers.delete(i.ref); } return; }
  const colour = GRADE_COLOUR[i.grade] || "#c0c6d0";
  if (!m) {
    m = L.circleMarker([i.lat, i.lon], { renderer, radius: 6, weight: 1, color: "#fff", fillOpacity: 0.9 });
    m.on("click", () => onPick(i.ref));
    m.addTo(map);
    markers.set(i.ref, m);
  }
  m.setLatLng([i.lat, i.lon]);
  m.setStyle({ fillColor: colour, weight: i.queue_score != null ? 2 : 1 });
}

let focusRing = null;
// The selected incident's uncertainty at its real radius (metres on the ground, not pixels).
export function focusIncident(i) {
  if (focusRing) focusRing.remove();
  focusRing = null;
  if (!i) return;
  focusRing = L.circle([i.lat, i.lon], {
    radius: Math.max(i.radius_m || 0, 10), color: "#ffd34d", weight: 2, fillOpacity: 0.08, interactive: false,
  }).addTo(map);
  map.setView([i.lat, i.lon], Math.max(map.getZoom(), 15));
}

let pin = null;
let pinCircle = null;
// The call being taken: where it is and how sure (the AML radius), drawn as the handler types.
export function showPin(lon, lat, radiusM) {
  if (pin) { pin.remove(); pinCircle.remove(); }
  pin = null;
  if (lon == null) return;
  pinCircle = L.circle([lat, lon], { radius: radiusM || 0, color: "#00e5ff", weight: 2, fillOpacity: 0.12, interactive: false }).addTo(map);
  pin = L.circleMarker([lat, lon], { radius: 7, color: "#000", weight: 2, fillColor: "#00e5ff", fillOpacity: 1, interactive: false }).addTo(map);
  // What the map drew, for the browser tests: the circle's radius in metres on the ground.
  live.pin = { lon, lat, radius_m: pinCircle.getRadius() };
  map.setView([lat, lon], Math.max(map.getZoom(), 16));
}
