// Lists re-rendered by live updates keep the keyboard user's place: the focused control (found
// again by its data attribute or id) and what was typed into inputs survive the re-render.
export function rerender(container, html, key) {
  const active = document.activeElement;
  const inside = active && container.contains(active);
  const focused = inside ? (active.id ? `#${CSS.escape(active.id)}` : key && active.dataset[key] != null
    ? `[data-${key}="${CSS.escape(active.dataset[key])}"]` : null) : null;
  const typed = [...container.querySelectorAll("input[id]")].map((i) => [i.id, i.value]);
  container.innerHTML = html;
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input) input.value = value;
  }
  if (focused) container.querySelector(focused)?.focus();
}
