// Every unit by area with its status and time in status; filters; a dispatcher sets a status.
import { $, UNIT_COLOUR, esc, live, mmss, now } from "/live/static/state.js";
import { rerender } from "./focus.js";
import { act, get, may, path, post } from "./net.js";

const ROWS = 200;
let selected = null;
// When each unit's status last changed (GET /v1/units once, then the stream's entries).
export const since = new Map();

export async function loadSince() {
  for (const v of await get("/v1/units").catch(() => [])) since.set(v.unit.callsign, v.status_since_ms);
}

export function renderUnits() {
  if ($("screen-units").hidden) return;
  const area = $("uf-area").value;
  const status = $("uf-status").value;
  const words = $("uf-text").value.trim().toLowerCase();
  const rows = [...live.units.values()].filter((u) => (!area || u.area === area)
    && (!status || u.status === status)
    && (!words || `${u.callsign} ${u.ref || ""}`.toLowerCase().includes(words)))
    .sort((a, b) => a.area.localeCompare(b.area) || a.callsign.localeCompare(b.callsign));
  $("units-count").textContent = `${rows.length} unit(s)${rows.length > ROWS ? `, the first ${ROWS} shown: narrow the filters` : ""}`;
  const control = may("POST /v1/units/{callsign}/status") ? "" : " hidden";
  rerender($("units-body"), rows.slice(0, ROWS).map((u) => {
    const t = since.get(u.callsign);
    return `<tr><th scope="row">${esc(u.callsign)}</th><td>${esc(u.area)}</td>`
      + `<td><span style="color:${UNIT_COLOUR[u.status] || "#ccc"}">●</span> ${esc(u.status)}</td>`
      + `<td data-since="${t || ""}">${t ? mmss((now() - t) / 1000) : "–"}</td><td>${esc(u.ref || "")}</td>`
      + `<td><button type="button" data-callsign="${esc(u.callsign)}"${control}>Set status of ${esc(u.callsign)}</button></td></tr>`;
  }).join(""), "callsign");
}

export function tickUnits() {
  for (const td of $("units-body").querySelectorAll("td[data-since]")) {
    if (td.dataset.since) td.textContent = mmss((now() - Number(td.dataset.since)) / 1000);
  }
}

export function setupUnits(areas, statuses) {
  $("uf-area").innerHTML += areas.map((a) => `<option>${esc(a)}</option>`).join("");
  const opts = statuses.map((s) => `<option>${esc(s)}</option>`).join("");
  $("uf-status").innerHTML += opts;
  $("sf-status").innerHTML = opts;
  for (const id of ["uf-area", "uf-status", "uf-text"]) $(id).addEventListener("input", renderUnits);
  $("units-body").addEventListener("click", (e) => {
    const cs = e.target.closest("[data-callsign]")?.dataset.callsign;
    if (!cs) return;
    selected = cs;
    $("sf-callsign").textContent = cs;
    $("status-form").hidden = false;
    $("sf-status").value = live.units.get(cs)?.status || "available";
    $("sf-status").focus();
  });
  $("status-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const status = $("sf-status").value;
    act($("units-count"), () => post(`/v1/units/${path(selected)}/status`, { status, note: $("sf-note").value }),
      () => `${selected} is ${status}`).then((a) => {
      if (!a) return;
      // Back to the unit's row, where the keyboard user came from.
      $("status-form").hidden = true;
      $("units-body").querySelector(`[data-callsign="${CSS.escape(selected)}"]`)?.focus();
    });
  });
}
