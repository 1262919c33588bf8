// Thousands of units on one canvas, drawn in a single pass per frame grouped by style.
// Leaflet's own canvas markers fill and stroke each circle separately and redraw on every change:
// with 5,000 units and a burst of status changes that costs several frames at a time.
const MIN_GAP_MS = 150;
const LABEL_ZOOM = 14;
const MAX_LABELS = 400;
export const UnitsLayer = L.Layer.extend({
  initialize(styleOf, tipOf, options) {
    L.setOptions(this, options);
    this._styleOf = styleOf; // unit -> {key, radius, fill, fillAlpha, stroke, width, dash}
    this._tipOf = tipOf;
    this._units = new Map();
    this._xs = new Float32Array(0);
    this._ys = new Float32Array(0);
    this._names = [];
    this._pending = false;
    this._lastAt = 0;
    this.lastDrawMs = 0;
    this.drawn = 0;
  },

  onAdd(map) {
    this._canvas = L.DomUtil.create("canvas", "units-canvas leaflet-zoom-hide");
    this.getPane().appendChild(this._canvas);
    this._tip = L.tooltip({ direction: "top", offset: [0, -6] });
    map.on("moveend zoomend resize viewreset", this.redraw, this);
    map.on("mousemove", this._hover, this);
    this.redraw();
  },

  onRemove(map) {
    map.off("moveend zoomend resize viewreset", this.redraw, this);
    map.off("mousemove", this._hover, this);
    this._canvas.remove();
  },

  set(unit) {
    this._units.set(unit.callsign, unit);
    this.redraw();
  },

  redraw() {
    // Any number of changes cost one draw, and a burst at most one draw per MIN_GAP_MS: the
    // page's raster work, not the script, is what takes time in a software-rendered browser.
    if (this._pending || !this._map) return;
    this._pending = true;
    const wait = Math.max(0, this._lastAt + MIN_GAP_MS - performance.now());
    setTimeout(() => requestAnimationFrame(() => { this._pending = false; this._draw(); }), wait);
  },

  visible(callsign) {
    return this._names.includes(callsign);
  },

  _draw() {
    const t0 = performance.now();
    this._lastAt = t0;
    const map = this._map;
    const size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    const canvas = this._canvas;
    if (canvas.width !== size.x * ratio || canvas.height !== size.y * ratio) {
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
    }
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    const groups = new Map();
    const xs = new Float32Array(this._units.size);
    const ys = new Float32Array(this._units.size);
    const names = [];
    for (const u of this._units.values()) {
      if (u.lon == null) continue;
      const p = map.latLngToContainerPoint([u.lat, u.lon]);
      if (p.x < -10 || p.y < -10 || p.x > size.x + 10 || p.y > size.y + 10) continue;
      const style = this._styleOf(u);
      let group = groups.get(style.key);
      if (!group) { group = { style, points: [] }; groups.set(style.key, group); }
      group.points.push(p.x, p.y);
      xs[names.length] = p.x;
      ys[names.length] = p.y;
      names.push(u.callsign);
    }
    for (const { style, points } of groups.values()) {
      ctx.beginPath();
      for (let k = 0; k < points.length; k += 2) {
        ctx.moveTo(points[k] + style.radius, points[k + 1]);
        ctx.arc(points[k], points[k + 1], style.radius, 0, 2 * Math.PI);
      }
      if (style.fillAlpha > 0) {
        ctx.globalAlpha = style.fillAlpha;
        ctx.fillStyle = style.fill;
        ctx.fill();
      }
      ctx.globalAlpha = 1;
      // Outlines only where they carry meaning (stale, lost): each stroke doubles the raster work.
      if (style.width > 0) {
        ctx.setLineDash(style.dash || []);
        ctx.lineWidth = style.width;
        ctx.strokeStyle = style.stroke;
        ctx.stroke();
      }
    }
    // Close in, callsigns read better than colours; far out they would only be clutter.
    if (map.getZoom() >= LABEL_ZOOM && names.length <= MAX_LABELS) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#d7dde6";
      for (let k = 0; k < names.length; k += 1) ctx.fillText(names[k], xs[k] + 7, ys[k] + 4);
    }
    this._xs = xs;
    this._ys = ys;
    this._names = names;
    this.drawn = names.length;
    this.lastDrawMs = performance.now() - t0;
  },

  _hover(e) {
    const { x, y } = e.containerPoint;
    let best = -1;
    let bestD = 49; // within 7 px
    for (let k = 0; k < this._names.length; k += 1) {
      const d = (this._xs[k] - x) ** 2 + (this._ys[k] - y) ** 2;
      if (d < bestD) { bestD = d; best = k; }
    }
    if (best < 0) { this._map.closeTooltip(this._tip); return; }
    const unit = this._units.get(this._names[best]);
    this._tip.setLatLng([unit.lat, unit.lon]).setContent(this._tipOf(unit));
    this._map.openTooltip(this._tip);
  },
});
