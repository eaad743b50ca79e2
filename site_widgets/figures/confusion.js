// The confusion matrix of a run's validation set, from <run>/report.json, as a
// real table: rows are the actual labels, columns the predictions, every cell a
// button. Pressing one lists the images behind it from <run>/top_losses.json
// (file name, label, prediction, probabilities, loss; the photos themselves are
// not published). A select switches between the runs of index.json.
//
// Data shaping: cells.js. Cells carry data-actual/-predicted/-count, the list
// data-listed, for tests and curious readers.

import { h, reducedMotion } from "../common/ui.js";
import { cellItems, confusionCells, coverage, topLossRows } from "./cells.js";
import { loadIndex, loadReport } from "./data.js";
import { fmtLoss, fmtPct, runTitle } from "./format.js";
import { shell } from "./frame.js";
import { BASELINE, LIST_FIRST } from "./settings.js";

export async function mount(el, ctx) {
  const start = el.dataset.run || BASELINE;
  const ui = shell(el, "fig-confusion", "Loading the confusion matrix…");
  const picker = h("select", { class: "fig-select" });
  const switcher = h("label", { class: "fig-run-picker", hidden: true }, "Run ", picker);
  const what = h("p", { class: "fig-what" });
  const content = h("div");
  let current = start;
  let token = 0; // a slow answer for an earlier choice must not replace a later one

  const showRun = async (run) => {
    const mine = ++token;
    const ok = await ui.load(async () => {
      const report = await loadReport(ctx, run, "report.json");
      const cm = confusionCells(report, `${run}/report.json`);
      const listed = topLossRows(await loadReport(ctx, run, "top_losses.json"), `${run}/top_losses.json`);
      if (mine !== token) return;
      current = run;
      el.dataset.shown = run;
      what.textContent = report.experiment && report.experiment.what ? report.experiment.what : "";
      content.replaceChildren(...view(cm, listed, run));
    });
    if (!ok && mine === token) { what.textContent = ""; content.replaceChildren(); }
  };

  ui.body.replaceChildren(switcher, what, content);
  await showRun(start);
  // The run list is a bonus: without index.json the matrix still works.
  loadIndex(ctx).then((runs) => {
    if (runs.length < 2) return;
    picker.replaceChildren(...runs.map((r) => h("option", { value: r.name, selected: r.name === current }, runTitle(r.name))));
    switcher.hidden = false;
  }).catch(() => {});
  picker.addEventListener("change", () => showRun(picker.value));
}

function view(cm, listed, run) {
  const list = h("section", { class: "fig-cell-list", "aria-live": "polite" });
  const buttons = [];

  function select(cell, button, scroll = true) {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
    const items = cellItems(listed, cell.actual, cell.predicted);
    const cov = coverage(items.length, cell.count, listed.length, cm.n);
    const kind = cell.diagonal ? "correct" : "wrong";
    list.dataset.actual = cell.actual;
    list.dataset.predicted = cell.predicted;
    list.dataset.listed = String(items.length);
    list.dataset.count = String(cell.count);
    list.replaceChildren(
      h("p", { class: "fig-list-title", role: "heading", "aria-level": "3" }, `Actually ${cell.actual}, predicted ${cell.predicted}: ${cell.count} image${cell.count === 1 ? "" : "s"} (${kind})`),
      h("p", { class: "fig-note", dataset: { complete: String(cov.complete) } }, cov.text),
      items.length ? itemsTable(items) : null);
    if (scroll) list.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
  }

  const table = h("table", { class: "fig-cm" },
    h("caption", {}, `Validation set of ${run}: ${cm.n} images, ${cm.wrong} wrong (${fmtPct(cm.n ? cm.wrong / cm.n : 0)})`),
    h("thead", {},
      h("tr", {}, h("td", { class: "fig-cm-corner" }), h("th", { scope: "colgroup", colspan: cm.classes.length }, "predicted")),
      h("tr", {}, h("th", { scope: "col", class: "fig-cm-axis" }, "actual"), cm.classes.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, cm.rows.map((row) => h("tr", {},
      h("th", { scope: "row" }, row.actual),
      row.cells.map((cell) => {
        const button = h("button", {
          type: "button", class: "fig-cell", "aria-pressed": "false",
          "aria-label": `actual ${cell.actual}, predicted ${cell.predicted}: ${cell.count} image${cell.count === 1 ? "" : "s"}${cell.diagonal ? ", correct" : ", wrong"}`,
          // --fig-mix-dim: capped for the dark scheme, where the text is light (contrast 4.5:1)
          style: `--fig-mix: ${Math.round(8 + 62 * cell.intensity)}%; --fig-mix-dim: ${Math.round(8 + 34 * cell.intensity)}%`,
          dataset: { actual: cell.actual, predicted: cell.predicted, count: cell.count },
        }, String(cell.count));
        button.addEventListener("click", () => select(cell, button));
        buttons.push(button);
        return h("td", { class: cell.diagonal ? "fig-cm-diag" : cell.count ? "fig-cm-off" : "fig-cm-zero" }, button);
      })))));

  const parts = [
    h("p", { class: "fig-note" }, "Rows: the actual label; columns: what the model predicted; the diagonal (bold, green) is right. Press a cell to list its images."),
    h("div", { class: "fig-scroll" }, table),
    list,
  ];
  // Start on the most confused pair, so the list shows what it is for.
  const worst = cm.worst ? buttons.find((b) => b.dataset.actual === cm.worst.actual && b.dataset.predicted === cm.worst.predicted) : null;
  if (worst) select(cm.worst, worst, false);
  else list.append(h("p", { class: "fig-note" }, "Press a cell to list the images behind it."));
  return parts;
}

function itemsTable(items) {
  const num = (v) => (v === null ? "—" : v.toFixed(3));
  const rows = items.map((t, k) => h("tr", { dataset: { file: t.file }, hidden: k >= LIST_FIRST },
    h("td", { class: "fig-file" }, t.file), h("td", {}, t.label), h("td", {}, t.pred),
    h("td", {}, num(t.prob_pred)), h("td", {}, num(t.prob_label)), h("td", { dataset: { loss: String(t.loss) } }, fmtLoss(t.loss))));
  const more = items.length > LIST_FIRST
    ? h("button", { type: "button", class: "md-button fig-more" }, `Show all ${items.length}`)
    : null;
  if (more) {
    more.addEventListener("click", () => {
      rows.forEach((r) => { r.hidden = false; });
      more.remove();
    });
  }
  return h("div", {}, h("div", { class: "fig-scroll" }, h("table", { class: "fig-items" },
    h("thead", {}, h("tr", {}, ["file", "actual", "predicted", "p(predicted)", "p(actual)", "loss"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows))), more);
}
