// The supervisor's view: today's KPIs per BCU, the queues per BCU now, and history search.
import { $, esc, hms, live, mmss, now } from "/live/static/state.js";
import { act, get } from "./net.js";

const pct = (n, d) => (d ? `${Math.round((100 * n) / d)}%` : "–");

export async function loadKpis() {
  const from = new Date(); from.setHours(0, 0, 0, 0);
  const to = new Date(Date.now() + 60000);
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  const report = await get(`/v1/reports/kpis?${q}`).catch((err) => ({ error: err.message }));
  if (report.error) { $("kpi-body").innerHTML = `<tr><td colspan="6">${esc(report.error)}</td></tr>`; return; }
  const byArea = new Map();
  for (const g of report.groups) {
    const a = byArea.get(g.area) || { n: 0, d: 0, c2d: [], d2a: [], met: 0, decided: 0 };
    a.n += g.incidents; a.d += g.dispatched;
    if (g.call_to_dispatch_median_s != null) a.c2d.push(g.call_to_dispatch_median_s);
    if (g.dispatch_to_arrival_median_s != null) a.d2a.push(g.dispatch_to_arrival_median_s);
    a.met += g.target_met || 0; a.decided += g.target_decided || 0;
    byArea.set(g.area, a);
  }
  // Medians of the groups' medians: a summary for the screen; the report has the exact figures.
  const mid = (xs) => (xs.length ? xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] : null);
  $("kpi-body").innerHTML = [...byArea.entries()].sort().map(([area, a]) => `<tr><th scope="row">${esc(area)}</th>`
    + `<td>${a.n}</td><td>${a.d}</td><td>${mmss(mid(a.c2d))}</td><td>${mmss(mid(a.d2a))}</td><td>${pct(a.met, a.decided)}</td></tr>`).join("")
    || `<tr><td colspan="6">no incidents today</td></tr>`;
}

export function renderQueues() {
  if ($("screen-supervisor").hidden) return;
  const areas = new Map();
  for (const i of live.incidents.values()) {
    const a = areas.get(i.area) || { queued: 0, oldest: null, open: 0 };
    a.open += 1;
    if (i.queue_score != null) {
      a.queued += 1;
      a.oldest = a.oldest == null ? i.received_ms : Math.min(a.oldest, i.received_ms);
    }
    areas.set(i.area, a);
  }
  $("queue-body").innerHTML = [...areas.entries()].sort().map(([area, a]) => `<tr><th scope="row">${esc(area)}</th>`
    + `<td>${a.queued}</td><td>${a.oldest ? mmss((now() - a.oldest) / 1000) : "–"}</td><td>${a.open}</td></tr>`).join("");
}

export function setupSupervisor() {
  $("history-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ status: $("h-status").value, limit: "50" });
    if ($("h-q").value.trim()) q.set("q", $("h-q").value.trim());
    act($("history-result"), () => get(`/v1/incidents?${q}`), (a) => `${a.incidents.length} found`).then((a) => {
      if (!a) return;
      $("history").innerHTML = a.incidents.map((row) => {
        const i = row.incident || row;
        return `<li data-ref="${esc(i.ref)}"><b>${esc(i.ref)}</b> · ${esc(i.grade || "–")} · ${esc(i.incident_type || "")} · ${esc(i.area)}`
          + ` · ${esc(i.status)} ${esc(i.close_code || "")} · ${i.received_ms ? hms(Number(i.received_ms)) : ""}</li>`;
      }).join("") || `<li class="sub">nothing matches</li>`;
    });
  });
}
