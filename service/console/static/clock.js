// Once a second: the wall clock and every target clock on the page (text only, no re-render).
import { $, clock, hms, live, now } from "/live/static/state.js";

export function tick() {
  $("clock").textContent = hms(now());
  for (const el of document.querySelectorAll("[data-clock]")) {
    const i = live.incidents.get(el.dataset.clock);
    if (!i) continue;
    const c = clock(i);
    el.textContent = c.text;
    el.className = `clock ${c.cls}`;
  }
}
