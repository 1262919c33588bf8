// A place-name combobox: search as you type (GET /v1/places), arrows to move, Enter to pick.
import { esc } from "/live/static/state.js";
import { get } from "./net.js";

const DEBOUNCE_MS = 120;

export function placeCombo(input, list, onChosen) {
  let found = [];
  let active = -1;
  let timer = 0;
  let asked = 0;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
  const show = () => {
    list.innerHTML = found.map((p, k) => `<li role="option" id="${list.id}-${k}" aria-selected="${k === active}">`
      + `${esc(p.name)} <span class="sub">${esc(p.kind)} · ${esc(p.location.borough || "")} · ${esc(p.location.bcu || p.location.nearest_bcu)}</span></li>`).join("");
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", `${list.id}-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const choose = (k) => { const p = found[k]; if (!p) return; input.value = p.name; close(); onChosen(p); };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { found = []; close(); return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      const answer = await get(`/v1/places?q=${encodeURIComponent(q)}&limit=8`).catch(() => ({ places: [] }));
      if (mine !== asked) return; // a later keystroke's answer wins
      found = answer.places;
      active = found.length ? 0 : -1;
      show();
    }, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + found.length) % found.length;
      show();
    } else if (e.key === "Enter") {
      e.preventDefault();
      choose(active < 0 ? 0 : active);
    } else if (e.key === "Escape") {
      close();
    }
  });
  list.addEventListener("mousedown", (e) => {
    const li = e.target.closest("[role=option]");
    if (li) { e.preventDefault(); choose(Number(li.id.split("-").pop())); }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  return { busy: () => !list.hidden };
}
