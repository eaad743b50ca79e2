// Step 6 (draws only): the head on the validation photos. The error rate; the confusion
// matrix, where a cell lists the reader's own photos behind it; the top losses with
// thumbnails; and a class-activation map of any of them (where the network looked).

import { h } from "../common/ui.js";
import { confusionCells } from "../figures/cells.js";
import { fmtPct } from "../figures/format.js";
import { classActivationMap } from "./cam.js";
import { SETTINGS } from "./settings.js";

const pct = (p) => `${(100 * p).toFixed(1)}%`;

export function buildInterpret(on) {
  const v = {
    on,
    headline: h("p", { class: "trn-headline", "aria-live": "polite" }),
    matrix: h("div", { class: "fig-scroll" }),
    cell: h("section", { class: "trn-cell", "aria-live": "polite" }),
    losses: h("ul", { class: "trn-cards", "aria-label": "validation photos, highest loss first" }),
    more: h("button", { type: "button", class: "md-button", hidden: true }, "Show more"),
    cam: buildCam(on),
    shown: SETTINGS.lists.thumbs,
    drawnFor: null,
  };
  v.more.addEventListener("click", () => { v.shown += SETTINGS.lists.thumbs; v.drawnFor = null; on.redraw(); });
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "interpret" } }, h("h3", {}, "6. Interpret"),
    v.headline, h("p", { class: "trn-note" }, "Rows: the label a photo has; columns: what the head says. Press a cell to see the photos in it."),
    v.matrix, v.cell, h("h4", {}, "Top losses"),
    h("p", { class: "trn-note" }, "The validation photos the head got most wrong, or right with the least confidence. Press “Where did it look?” on any photo."),
    v.losses, v.more, v.cam.node);
  return v;
}

export function drawInterpret(v, s, thumbs) {
  const it = s.interp;
  v.node.hidden = !it;
  if (!it) return;
  v.node.dataset.errorRate = String(it.error_rate);
  v.node.dataset.n = String(it.n);
  v.headline.textContent = `${it.n_wrong} of ${it.n} validation photos wrong: error rate ${fmtPct(it.error_rate)}, ` +
    `accuracy ${fmtPct(it.accuracy)}.`;
  if (v.drawnFor !== it) {
    v.drawnFor = it;
    drawMatrix(v, s, it, thumbs);
    drawLosses(v, s, it, thumbs);
  }
  drawCam(v.cam, s);
}

function drawMatrix(v, s, it, thumbs) {
  const cm = confusionCells({ interpretation: { classes: it.classes, confusion: it.confusion } });
  const table = h("table", { class: "fig-cm trn-cm" },
    h("caption", {}, `Validation photos: ${cm.n}, ${cm.wrong} wrong`),
    h("thead", {}, h("tr", {}, h("td", { class: "fig-cm-corner" }), h("th", { scope: "colgroup", colspan: cm.classes.length }, "predicted")),
      h("tr", {}, h("th", { scope: "col", class: "fig-cm-axis" }, "actual"), cm.classes.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, cm.rows.map((row) => h("tr", {}, h("th", { scope: "row" }, row.actual), row.cells.map((cell) => {
      const b = h("button", { type: "button", class: "fig-cell", "aria-pressed": "false",
        "aria-label": `actual ${cell.actual}, predicted ${cell.predicted}: ${cell.count} photo${cell.count === 1 ? "" : "s"}`,
        style: `--fig-mix: ${Math.round(8 + 62 * cell.intensity)}%; --fig-mix-dim: ${Math.round(8 + 34 * cell.intensity)}%`,
        dataset: { actual: cell.actual, predicted: cell.predicted, count: cell.count } }, String(cell.count));
      b.addEventListener("click", () => {
        for (const o of table.querySelectorAll(".fig-cell")) o.setAttribute("aria-pressed", String(o === b));
        drawCell(v, s, it, cell, thumbs);
      });
      return h("td", { class: cell.diagonal ? "fig-cm-diag" : cell.count ? "fig-cm-off" : "fig-cm-zero" }, b);
    })))));
  v.matrix.replaceChildren(h("div", { class: "fig" }, table));
  v.cell.replaceChildren();
  thumbs.release("cell");
}

function drawCell(v, s, it, cell, thumbs) {
  thumbs.release("cell");
  const rows = it.top_losses.filter((r) => r.label === cell.actual && r.pred === cell.predicted);
  v.cell.dataset.actual = cell.actual;
  v.cell.dataset.predicted = cell.predicted;
  v.cell.dataset.listed = String(rows.length);
  v.cell.replaceChildren(h("p", { class: "trn-note" }, `Labelled ${cell.actual}, predicted ${cell.predicted}: ` +
    `${rows.length} photo${rows.length === 1 ? "" : "s"}, highest loss first.`),
  h("ul", { class: "trn-cards" }, rows.slice(0, SETTINGS.lists.thumbs * 2).map((r) => card(v, s, r, thumbs, "cell"))));
}

function drawLosses(v, s, it, thumbs) {
  thumbs.release("losses");
  const rows = it.top_losses.slice(0, v.shown);
  v.losses.replaceChildren(...rows.map((r) => card(v, s, r, thumbs, "losses")));
  v.more.hidden = it.top_losses.length <= v.shown;
}

/** One photo: thumbnail, label, prediction, loss, and the button for its activation map. */
function card(v, s, r, thumbs, group) {
  const photo = s.photos[r.item];
  const wrong = r.label !== r.pred;
  const look = h("button", { type: "button", class: "trn-btn", disabled: !photo?.blob }, "Where did it look?");
  look.addEventListener("click", () => v.on.cam(r.item));
  return h("li", { class: "trn-card", dataset: { file: r.file, wrong: String(wrong) } },
    h("div", { class: "trn-thumb" }, thumbs.img(group, photo?.blob, `photo ${r.file}`)),
    h("p", { class: "trn-name" }, r.file),
    h("p", {}, `label ${r.label}, predicted `, h("b", {}, r.pred), ` ${pct(r.prob_pred)}`),
    h("p", {}, `loss ${r.loss.toFixed(2)} · p(${r.label}) ${pct(r.prob_label)}`), look);
}

// ---------------------------------------------------------------- the class-activation map

function buildCam(on) {
  const v = {
    canvas: h("canvas", { class: "trn-cam-canvas", role: "img", "aria-label": "the photo's crop with where the network looked" }),
    labels: h("div", { class: "trn-row", role: "group", "aria-label": "evidence for which label" }),
    text: h("p", { class: "trn-note", "aria-live": "polite" }),
    shown: null, label: null,
  };
  v.node = h("div", { class: "trn-cam", hidden: true }, h("h4", {}, "Where did it look?"), v.text,
    h("div", { class: "trn-cam-row" }, v.canvas, v.labels));
  v.on = on;
  return v;
}

function drawCam(v, s) {
  const c = s.cam;
  v.node.hidden = !c;
  if (!c) return;
  if (c.busy) { v.text.textContent = `Running the body on ${c.file}…`; return; }
  if (c.error) { v.text.textContent = c.error; return; }
  const head = s.after?.head ?? s.fit?.head;
  const classes = (s.after ?? s.fit).split.classes;
  const label = c.label ?? c.pred;
  v.node.dataset.file = c.file;
  v.node.dataset.label = classes[label];
  v.labels.replaceChildren(...classes.map((name, k) => {
    const b = h("button", { type: "button", class: "trn-btn", "aria-pressed": String(k === label) }, name);
    b.addEventListener("click", () => v.on.camLabel(k));
    return b;
  }));
  const { map, grid } = classActivationMap(c.map, c.dims, head, label, c.crop);
  v.node.dataset.peak = String(Math.max(...grid));
  paint(v.canvas, c.rgb, map, c.crop);
  v.text.textContent = `${c.file}: where the evidence for “${classes[label]}” is, on the ${c.crop}×${c.crop} crop the ` +
    `network saw (the body's ${c.dims.height}×${c.dims.width} feature map weighted by the head's weights for that label; brighter = more).`;
}

/** The crop, darkened where the map is low, tinted warm where it is high. */
function paint(canvas, rgb, map, crop) {
  canvas.width = crop;
  canvas.height = crop;
  const img = new ImageData(crop, crop);
  for (let i = 0; i < crop * crop; i++) {
    const m = map[i];
    const k = 0.35 + 0.65 * m;
    img.data[i * 4] = Math.min(255, rgb[i * 3] * k + 120 * m);
    img.data[i * 4 + 1] = rgb[i * 3 + 1] * k + 40 * m;
    img.data[i * 4 + 2] = rgb[i * 3 + 2] * k * (1 - 0.5 * m);
    img.data[i * 4 + 3] = 255;
  }
  canvas.getContext("2d").putImageData(img, 0, 0);
}
