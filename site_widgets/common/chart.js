// A small SVG chart kit: responsive SVG, axes, lines with gaps, marks, and a
// cursor moved by pointer, touch or keyboard. It only draws: scales come from
// the caller as {map(v) -> px, invert(px) -> v, ticks(n) -> values, kind}.
// Colours are CSS classes (see figures/figures.css), so light and dark palettes work.

const NS = "http://www.w3.org/2000/svg";
let uid = 0;

/** s("line", {x1: 0, ...}, child) -> an SVG element */
export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/**
 * An <svg> as wide as `host`, redrawn by draw(svg, frame) whenever that width changes.
 * One SVG unit is one CSS pixel, so text stays readable on a phone. Pass the widget's
 * `signal` (ctx.signal): its resize observer ends with the widget (an observer that is
 * still observing keeps the whole drawing alive after the page has moved on).
 */
export function responsiveSvg(host, { height, margin, label, draw, signal }) {
  const svg = s("svg", { class: "chart", role: "img", "aria-label": label, height, preserveAspectRatio: "none" });
  host.append(svg);
  let drawn = 0;
  const render = (force = false) => {
    const width = Math.round(host.clientWidth);
    if (!width || (width === drawn && !force)) return;
    drawn = width;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.replaceChildren();
    draw(svg, { width, height, left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom });
  };
  let stop = () => {};
  if (typeof ResizeObserver !== "undefined" && !signal?.aborted) {
    const observer = new ResizeObserver(() => render());
    observer.observe(host);
    stop = () => {
      observer.disconnect();
      signal?.removeEventListener("abort", stop);
    };
    signal?.addEventListener("abort", stop, { once: true });
  }
  render();
  /** stop(): no more redraws (for a chart replaced before its widget goes). */
  return { svg, redraw: () => render(true), setLabel: (text) => svg.setAttribute("aria-label", text), stop: () => stop() };
}

/** An AbortController that also aborts when `parent` does: give its signal to charts that are
 *  replaced while their widget stays (abort it when they go). */
export function childController(parent) {
  const child = new AbortController();
  if (!parent) return child;
  const follow = () => child.abort();
  if (parent.aborted) child.abort();
  else {
    parent.addEventListener("abort", follow, { once: true });
    child.signal.addEventListener("abort", () => parent.removeEventListener("abort", follow), { once: true });
  }
  return child;
}

/** A group clipped to the plot area (lines leaving the axes are cut, not drawn over labels). */
export function clipped(svg, f) {
  const id = `chart-clip-${++uid}`;
  svg.append(s("clipPath", { id }, s("rect", { x: f.left, y: f.top - 1, width: Math.max(f.right - f.left, 0), height: f.bottom - f.top + 2 })));
  const g = s("g", { "clip-path": `url(#${id})` });
  svg.append(g);
  return g;
}

/** Axes with ticks, grid lines and titles. format(v) writes a tick. */
export function axes(svg, f, { x, y, xFormat = String, yFormat = String, xTitle, yTitle, xCount = 6, yCount = 4, xAxis = true }) {
  const g = s("g", { class: "chart-axes" });
  for (const v of y.ticks(yCount)) {
    const py = y.map(v);
    if (py < f.top - 0.5 || py > f.bottom + 0.5) continue;
    g.append(s("line", { class: "chart-grid", x1: f.left, x2: f.right, y1: py, y2: py }));
    g.append(s("text", { class: "chart-tick", x: f.left - 5, y: py, "text-anchor": "end", "dominant-baseline": "middle" }, yFormat(v)));
  }
  if (xAxis) {
    for (const v of x.ticks(xCount)) {
      const px = x.map(v);
      if (px < f.left - 0.5 || px > f.right + 0.5) continue;
      g.append(s("line", { class: "chart-grid", x1: px, x2: px, y1: f.top, y2: f.bottom }));
      g.append(s("text", { class: "chart-tick", x: px, y: f.bottom + 14, "text-anchor": "middle" }, xFormat(v)));
    }
    if (xTitle) g.append(s("text", { class: "chart-title", x: (f.left + f.right) / 2, y: f.bottom + 29, "text-anchor": "middle" }, xTitle));
  }
  g.append(s("rect", { class: "chart-frame", x: f.left, y: f.top, width: Math.max(f.right - f.left, 0), height: f.bottom - f.top }));
  if (yTitle) {
    g.append(s("text", { class: "chart-title", x: 0, y: 0, "text-anchor": "middle",
      transform: `translate(11 ${(f.top + f.bottom) / 2}) rotate(-90)` }, yTitle));
  }
  svg.append(g);
  return g;
}

/** Path data through points [px, py]; a null point breaks the line (a diverged loss, an absent group). */
export function pathData(points) {
  let d = "", pen = false;
  for (const p of points) {
    if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** A line through (xs[i], ys[i]) where ys[i] may be null. */
export function line(parent, xs, ys, x, y, attrs = {}) {
  const pts = ys.map((v, i) => (v === null || v === undefined ? null : [x.map(xs[i]), y.map(v)]));
  const node = s("path", { d: pathData(pts), fill: "none", ...attrs });
  parent.append(node);
  return node;
}

/** Dots at (xs[i], ys[i]); `title(i)` gives each a tooltip. */
export function dots(parent, xs, ys, x, y, attrs = {}, title = null) {
  const g = s("g", attrs);
  ys.forEach((v, i) => {
    if (v === null || v === undefined) return;
    g.append(s("circle", { cx: x.map(xs[i]), cy: y.map(v), r: 3 }, title ? s("title", {}, title(i)) : null));
  });
  parent.append(g);
  return g;
}

/** A vertical rule across the plot at pixel px. */
export function vRule(parent, px, f, attrs = {}) {
  const node = s("line", { x1: px, x2: px, y1: f.top, y2: f.bottom, ...attrs });
  parent.append(node);
  return node;
}

/** A shaded band between two pixels. */
export function band(parent, px0, px1, f, attrs = {}) {
  const node = s("rect", { x: Math.min(px0, px1), y: f.top, width: Math.abs(px1 - px0), height: f.bottom - f.top, ...attrs });
  parent.append(node);
  return node;
}

/** A text label beside px that stays inside the plot: to the right on the left half, to the left on the right half. */
export function label(parent, px, py, text, f, attrs = {}) {
  const right = px < (f.left + f.right) / 2;
  const node = s("text", { x: right ? px + 4 : px - 4, y: py, "text-anchor": right ? "start" : "end", ...attrs }, text);
  parent.append(node);
  return node;
}

/** The cursor: a vertical line and one dot per series; move(px, pys) places them. */
export function cursorMark(parent, f, nDots = 1) {
  const g = s("g", { class: "chart-cursor", "aria-hidden": "true" });
  const rule = s("line", { class: "chart-cursor-line", y1: f.top, y2: f.bottom });
  const marks = Array.from({ length: nDots }, () => s("circle", { class: "chart-cursor-dot", r: 4 }));
  g.append(rule, ...marks);
  parent.append(g);
  return {
    node: g,
    move(px, pys = []) {
      rule.setAttribute("x1", px);
      rule.setAttribute("x2", px);
      marks.forEach((m, k) => {
        const py = pys[k];
        m.style.display = Number.isFinite(py) ? "" : "none";
        if (Number.isFinite(py)) { m.setAttribute("cx", px); m.setAttribute("cy", py); }
      });
    },
  };
}

/**
 * Make `target` move a cursor over `count` points: pointer hover, touch drag (vertical
 * scrolling still works), and keys (arrows, PageUp/PageDown by `pageStep`, Home/End).
 * indexAt(clientX) maps a pointer to a point index (or null when off the plot);
 * onChange(i, via) runs whenever the index changes. Returns {set(i), get index()}.
 */
export function bindCursor(target, { count, start = 0, pageStep = 10, indexAt, onChange }) {
  let index = -1;
  const set = (i, via = "api") => {
    const j = Math.max(0, Math.min(count - 1, Math.round(i)));
    if (j === index) return;
    index = j;
    onChange(j, via);
  };
  const fromPointer = (ev) => {
    const i = indexAt(ev.clientX, ev.clientY);
    if (i !== null && i !== undefined) set(i, "pointer");
  };
  target.addEventListener("pointermove", fromPointer);
  target.addEventListener("pointerdown", fromPointer);
  target.addEventListener("keydown", (ev) => {
    const moves = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -pageStep, PageUp: pageStep };
    let next = null;
    if (ev.key in moves) next = index + moves[ev.key];
    else if (ev.key === "Home") next = 0;
    else if (ev.key === "End") next = count - 1;
    if (next === null) return;
    ev.preventDefault();
    set(next, "keyboard");
  });
  set(start, "start");
  return { set, get index() { return index; } };
}
