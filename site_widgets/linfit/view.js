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
