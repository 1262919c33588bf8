// The active alarms, newest first, each with Acknowledge (and a note).
import { $, esc } from "/live/static/state.js";
import { rerender } from "./focus.js";
import { act, get, may, path, post } from "./net.js";

const alarms = new Map();

function render() {
  const active = [...alarms.values()].filter((a) => a.state !== "cleared")
    .sort((a, b) => b.raised_at.localeCompare(a.raised_at));
  const raised = active.filter((a) => a.state === "raised").length;
  $("alarm-count").textContent = String(raised);
  $("alarm-count").className = raised ? "count hot" : "count";
  const ack = may("POST /v1/alarms/{alarm_id}/ack");
  const named = (a) => esc(`${a.kind} ${a.ref || a.callsign || a.area || ""}`.trim());
  rerender($("alarm-list"), active.map((a) => `<li class="sev-${esc(a.severity)}">`
    + `<b>${esc(a.kind)}</b> · ${esc(a.severity)} · ${esc(a.state)} · ${esc(a.area || "")} ${esc(a.ref || a.callsign || "")}`
    + `<div>${esc(a.detail)}</div>`
    + (a.state === "raised" && ack
      ? `<div class="ack"><label for="note-${esc(a.alarm_id)}" class="sr">Note for ${named(a)}</label>`
        + `<input id="note-${esc(a.alarm_id)}" maxlength="2000" placeholder="note (optional)">`
        + `<button type="button" data-ack="${esc(a.alarm_id)}">Acknowledge ${named(a)}</button></div>`
      : a.acknowledged_by ? `<div class="sub">acknowledged by ${esc(a.acknowledged_by)}</div>` : "")
    + `</li>`).join("") || `<li class="sub">no active alarms</li>`, "ack");
}

export async function loadAlarms() {
  const answer = await get("/v1/alarms").catch(() => ({ alarms: [] }));
  for (const a of answer.alarms) alarms.set(a.alarm_id, a);
  render();
}

export function applyAlarms(entries) {
  for (const e of entries) {
    if (e.alarm) alarms.set(e.alarm_id, e.alarm);
    else alarms.delete(e.alarm_id);
  }
  render();
}

export function setupAlarms() {
  $("alarm-list").addEventListener("click", (e) => {
    const id = e.target.closest("[data-ack]")?.dataset.ack;
    if (!id) return;
    const note = document.getElementById(`note-${id}`)?.value || null;
    act($("alarm-result"), () => post(`/v1/alarms/${path(id)}/ack`, { note }), () => "acknowledged")
      .then((a) => { if (a) { alarms.set(a.alarm_id, a); render(); } });
  });
}
