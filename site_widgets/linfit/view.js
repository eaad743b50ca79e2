// Drawing only: given a run and the step to show, paint the two canvases.
// No state, no DOM besides the canvases it is handed.

function colors(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v("--md-default-fg-color", "#222"),
    light: v("--md-default-fg-color--lighter", "#999"),
    point: v("--linfit-point", "#8d6e63"),
    line: v("--linfit-line", "#e65100"),
    best: v("--md-default-fg-color--light", "#666"),
  };
}

/** Size the canvas backing store for the device pixel ratio; returns a 2D context in CSS pixels. */
function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300;
  const hgt = canvas.clientHeight || 200;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  return { ctx, w, h: hgt };
}

const PAD = { l: 34, r: 8, t: 8, b: 22 };

/** Points, the current line y = a0*x + a1, and the least-squares line dashed. */
export function drawFit(canvas, data, a, best) {
  const { ctx, w, h } = prepare(canvas);
  const c = colors(canvas);
  const ys = data.y;
  const ylo = Math.min(...ys) - 1, yhi = Math.max(...ys) + 1;
  const X = (x) => PAD.l + ((x + 1.1) / 2.2) * (w - PAD.l - PAD.r);
  const Y = (y) => PAD.t + (1 - (y - ylo) / (yhi - ylo)) * (h - PAD.t - PAD.b);
  ctx.strokeStyle = c.light; ctx.fillStyle = c.fg; ctx.font = "11px sans-serif";
  ctx.strokeRect(PAD.l, PAD.t, w - PAD.l - PAD.r, h - PAD.t - PAD.b);
  for (const t of [-1, 0, 1]) ctx.fillText(String(t), X(t) - 3, h - 6);
  for (const t of [Math.ceil(ylo), Math.round((ylo + yhi) / 2), Math.floor(yhi)]) ctx.fillText(String(t), 4, Y(t) + 4);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.l, PAD.t, w - PAD.l - PAD.r, h - PAD.t - PAD.b);
  ctx.clip();
  ctx.fillStyle = c.point;
  data.x.forEach((row, i) => { ctx.beginPath(); ctx.arc(X(row[0]), Y(ys[i]), 2.5, 0, 2 * Math.PI); ctx.fill(); });
  const line = (coef, color, dash) => {
    ctx.setLineDash(dash); ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    ctx.moveTo(X(-1.1), Y(coef[1] - 1.1 * coef[0])); ctx.lineTo(X(1.1), Y(coef[1] + 1.1 * coef[0])); ctx.stroke();
  };
  if (best) line(best, c.best, [4, 4]);
  if (a && a.every(Number.isFinite)) line(a, c.line, []);
  ctx.restore();
}

/** Loss per step on a log scale, up to step k, with the best possible loss dashed. */
export function drawLoss(canvas, losses, k, steps, best) {
  const { ctx, w, h } = prepare(canvas);
  const c = colors(canvas);
  const shown = losses.slice(0, k + 1).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.max(Math.min(best || Infinity, ...shown) * 0.5, 1e-12));
  const hi = Math.log10(Math.max(...shown, losses[0] || 1) * 2);
  const X = (i) => PAD.l + (i / Math.max(steps, 1)) * (w - PAD.l - PAD.r);
  const Y = (v) => PAD.t + (1 - (Math.log10(v) - lo) / (hi - lo || 1)) * (h - PAD.t - PAD.b);
  ctx.strokeStyle = c.light; ctx.fillStyle = c.fg; ctx.font = "11px sans-serif";
  ctx.strokeRect(PAD.l, PAD.t, w - PAD.l - PAD.r, h - PAD.t - PAD.b);
  ctx.fillText("loss (log)", PAD.l + 4, PAD.t + 12);
  ctx.fillText("0", X(0) - 3, h - 6);
  ctx.fillText(String(steps), X(steps) - 16, h - 6);
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e += Math.max(1, Math.ceil((hi - lo) / 4))) {
    ctx.fillText(`1e${e}`, 2, Y(10 ** e) + 4);
  }
  if (best > 0) {
    ctx.setLineDash([4, 4]); ctx.strokeStyle = c.best; ctx.beginPath();
    ctx.moveTo(PAD.l, Y(best)); ctx.lineTo(w - PAD.r, Y(best)); ctx.stroke(); ctx.setLineDash([]);
  }
  ctx.strokeStyle = c.line; ctx.lineWidth = 2; ctx.beginPath();
  shown.forEach((v, i) => (i ? ctx.lineTo(X(i), Y(v)) : ctx.moveTo(X(i), Y(v))));
  ctx.stroke();
}

/** A map from (a0, a1) to canvas pixels with the same scale on both axes (so a step is drawn
 *  at right angles to the contour it leaves, as the gradient is), centred on the view box. */
function equalScale(box, w, h) {
  const plot = { l: PAD.l, t: PAD.t, w: w - PAD.l - PAD.r, h: h - PAD.t - PAD.b };
  const scale = Math.min(plot.w / (box.hi[0] - box.lo[0]), plot.h / (box.hi[1] - box.lo[1]));
  const mid = [(box.lo[0] + box.hi[0]) / 2, (box.lo[1] + box.hi[1]) / 2];
  const px = (a) => [plot.l + plot.w / 2 + (a[0] - mid[0]) * scale, plot.t + plot.h / 2 - (a[1] - mid[1]) * scale];
  const seen = { lo: [mid[0] - plot.w / 2 / scale, mid[1] - plot.h / 2 / scale], hi: [mid[0] + plot.w / 2 / scale, mid[1] + plot.h / 2 / scale] };
  return { plot, px, seen };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw);
}

function polyline(ctx, pts) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
}

/**
 * The MSE's contours over (a0, a1), the steepest direction through the best a (dashed), the
 * run's path up to the step on screen and that step's point. pic: surface.js's picture.
 * Returns what was drawn, in the data's units and in CSS pixels (the tests read it).
 */
export function drawSurface(canvas, pic) {
  const { ctx, w, h } = prepare(canvas);
  const c = colors(canvas);
  const { plot, px, seen } = equalScale(pic.box, w, h);
  ctx.font = "11px sans-serif";
  ctx.strokeStyle = c.light; ctx.fillStyle = c.fg;
  ctx.strokeRect(plot.l, plot.t, plot.w, plot.h);
  ctx.fillText("a0 →", plot.l + plot.w - 28, h - 6);
  ctx.fillText("a1 ↑", 2, plot.t + 10);
  const step = niceStep(Math.max(seen.hi[0] - seen.lo[0], seen.hi[1] - seen.lo[1]) / 6);
  for (let v = Math.ceil(seen.lo[0] / step) * step; v <= seen.hi[0] - step / 2; v += step) {
    ctx.fillText(String(+v.toFixed(6)), px([v, 0])[0] - 4, h - 6);
  }
  for (let v = Math.ceil(seen.lo[1] / step) * step; v <= seen.hi[1] - step / 2; v += step) {
    if (px([0, v])[1] > plot.t + 16) ctx.fillText(String(+v.toFixed(6)), 4, px([0, v])[1] + 4);
  }
  ctx.save();
  ctx.beginPath(); ctx.rect(plot.l, plot.t, plot.w, plot.h); ctx.clip();
  ctx.lineWidth = 1; ctx.strokeStyle = c.light;
  for (const ring of pic.contours) polyline(ctx, ring.map(px));
  const far = Math.hypot(seen.hi[0] - seen.lo[0], seen.hi[1] - seen.lo[1]);
  const v = pic.steep;
  ctx.setLineDash([3, 4]); ctx.strokeStyle = c.best;
  polyline(ctx, [px([pic.best[0] - far * v[0], pic.best[1] - far * v[1]]), px([pic.best[0] + far * v[0], pic.best[1] + far * v[1]])]);
  ctx.setLineDash([]);
  const path = pic.path.map(px);
  ctx.strokeStyle = c.line; ctx.lineWidth = 1.5;
  polyline(ctx, path);
  ctx.fillStyle = c.fg;
  const [bx, by] = px(pic.best);
  ctx.beginPath(); ctx.arc(bx, by, 3, 0, 2 * Math.PI); ctx.fill();
  const here = path[path.length - 1];
  ctx.fillStyle = c.line;
  ctx.beginPath(); ctx.arc(here[0], here[1], 4.5, 0, 2 * Math.PI); ctx.fill();
  ctx.restore();
  return { path: pic.path, pixels: path, best: pic.best, seen, levels: pic.levels };
}

/** An arrow from p to q (CSS pixels). */
function arrow(ctx, p, q) {
  const angle = Math.atan2(q[1] - p[1], q[0] - p[0]);
  polyline(ctx, [p, q]);
  ctx.beginPath();
  ctx.moveTo(q[0], q[1]);
  for (const side of [-1, 1]) ctx.lineTo(q[0] - 8 * Math.cos(angle + side * 0.45), q[1] - 8 * Math.sin(angle + side * 0.45));
  ctx.closePath(); ctx.fill();
}

/**
 * The loss along the steepest direction, L* + λmax/2 · t² (a parabola), with the run's point
 * at the step on screen and its next steps as arrows (the first solid, the later ones fainter).
 * steps: surface.js's steepSteps. Returns what was drawn (the tests read it).
 */
export function drawSteps(canvas, steps) {
  const { ctx, w, h } = prepare(canvas);
  const c = colors(canvas);
  const plot = { l: 12, r: w - 12, t: 22, b: h - 18 };
  const span = steps.settled ? 1 : 1.15 * Math.max(...steps.t.map(Math.abs));
  const X = (t) => (plot.l + plot.r) / 2 + (t / span) * (plot.r - plot.l) / 2;
  const Y = (t) => plot.b - (t / span) ** 2 * (plot.b - plot.t);
  ctx.font = "11px sans-serif"; ctx.fillStyle = c.fg;
  ctx.fillText("the loss along the dashed line: the next steps", plot.l, 12);
  ctx.strokeStyle = c.light; ctx.lineWidth = 1.5;
  polyline(ctx, Array.from({ length: 81 }, (_, i) => -span + (2 * span * i) / 80).map((t) => [X(t), Y(t)]));
  ctx.fillText("bottom", X(0) - 18, h - 4);
  const pts = steps.settled ? [[X(0), Y(0)]] : steps.t.map((t) => [X(t), Y(t)]);
  ctx.strokeStyle = c.line; ctx.fillStyle = c.line; ctx.lineWidth = 2;
  for (let i = 0; i + 1 < pts.length; i += 1) {
    ctx.globalAlpha = 1 / (1 + i);
    arrow(ctx, pts[i], pts[i + 1]);
  }
  ctx.globalAlpha = 1;
  ctx.beginPath(); ctx.arc(pts[0][0], pts[0][1], 5, 0, 2 * Math.PI); ctx.fill();
  return { t: steps.t, settled: steps.settled, pixels: pts };
}
