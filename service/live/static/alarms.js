// The alarm list: the active alarms (raised before acknowledged, then by severity), read once
// from /v1/alarms and kept current by the event stream's `alarms` events, each of which carries
// the alarm as it is now (none once it has expired).
import { $, api } from "./state.js";

const active = new Map();
const RANK = { critical: 0, warning: 1, info: 2 };

export async function loadAlarms() {
  const r = await api("/v1/alarms?limit=500");
  if (!r.ok) return;
  for (const a of (await r.json()).alarms) {
    if (a.state !== "cleared") active.set(a.alarm_id, a);
  }
  renderAlarms();
}

export function applyAlarms(entries) {
  for (const e of entries) {
    if (!e.alarm || e.alarm.state === "cleared") active.delete(e.alarm_id);
    else active.set(e.alarm_id, e.alarm);
  }
  renderAlarms();
}

function order(x, y) {
  const acked = (a) => (a.state === "raised" ? 0 : 1);
  return acked(x) - acked(y) || RANK[x.severity] - RANK[y.severity]
    || y.raised_at.localeCompare(x.raised_at);
}

function renderAlarms() {
  const list = $("alarms");
  list.replaceChildren();
  for (const a of [...active.values()].sort(order)) {
    const li = document.createElement("li");
    li.className = `alarm ${a.severity} ${a.state}`;
    const what = a.ref || a.callsign || a.topic || "";
    li.textContent = `${a.kind.replaceAll("_", " ")} · ${what} · ${a.detail}`;
    li.title = a.state === "acknowledged" ? `acknowledged by ${a.acknowledged_by}` : "raised";
    list.append(li);
  }
  $("alarm-count").textContent = String(active.size);
}
