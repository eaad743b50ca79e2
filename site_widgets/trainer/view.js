// The trainer page's DOM: the eight steps, built once, redrawn from the state (state.js) by
// render(state, part). It draws and nothing else: the sentences come from text.js, the
// decisions from state.js. `part` says what changed, so a training's hundreds of batches do
// not redraw the photo lists.
//
// For tests and curious readers the root carries data-busy (the step running, or ""),
// data-photos, data-classes, data-error; each step's section its own data- attributes.

import { errorBox, h, statusLine } from "../common/ui.js";
import { buildBring, drawBring } from "./viewBring.js";
import { buildClean, buildUse, drawClean, drawUse } from "./viewClean.js";
import { buildInterpret, drawInterpret } from "./viewInterpret.js";
import { buildExtract, buildSplit, drawExtract, drawSplit } from "./viewRun.js";
import { buildFit, buildLr, drawFit, drawLr } from "./viewTrain.js";
import { Thumbs } from "./thumbs.js";
import { stepName } from "./text.js";

/** on: the reader's actions (trainer.js): cancel, retry, train, epochs(n), lr(x), pick(lr), cam(i), camLabel(k),
 *  retrain, downloadHead, downloadRun, downloadCsv, productionUrl, redraw. */
export function createView(el, ctx, on) {
  el.classList.add("trn");
  const v = {
    el, signal: ctx.signal, thumbs: new Thumbs(),
    status: statusLine("trn-status widget-status"),
    error: errorBox("trn-error widget-error"),
    notice: h("p", { class: "trn-notice", hidden: true }),
    retry: h("button", { type: "button", class: "md-button", hidden: true, onclick: on.retry }, "Retry"),
    bodyNote: h("p", { class: "trn-warning", hidden: true }),
    bring: buildBring(), split: buildSplit(), extract: buildExtract(on), lr: buildLr(), fit: buildFit(on),
    interpret: buildInterpret(on), clean: buildClean(on), use: buildUse(on), on,
  };
  el.replaceChildren(v.bodyNote, v.bring.node, v.split.node, v.extract.node, v.lr.node, v.fit.node, v.interpret.node,
    v.clean.node, v.use.node, v.status.node, v.notice, v.error.node, v.retry);
  ctx.onUnmount(() => { v.thumbs.releaseAll(); v.clean.grid?.releaseUrls(); });
  v.render = (s, part = "all") => render(v, s, part);
  return v;
}

function render(v, s, part) {
  const { el } = v;
  el.dataset.busy = s.busy || "";
  el.dataset.photos = String(s.photos.length);
  el.dataset.classes = String(s.split?.classes.length ?? 0);
  if (part === "progress") { drawBring(v.bring, s); drawExtract(v.extract, s); return; }
  if (part === "fit" || part === "controls") { drawFit(v.fit, s, v.signal); if (part === "controls") drawLr(v.lr, s, v.signal, v.on.pick); return; }
  if (part === "retrain") { drawClean(v.clean, s); return; }
  if (part === "cam") { drawInterpret(v.interpret, s, v.thumbs); return; }
  v.bodyNote.hidden = !s.bodyError;
  v.bodyNote.textContent = s.bodyError || "";
  drawBring(v.bring, s);
  drawSplit(v.split, s);
  drawExtract(v.extract, s);
  drawLr(v.lr, s, v.signal, v.on.pick);
  drawFit(v.fit, s, v.signal);
  drawInterpret(v.interpret, s, v.thumbs);
  drawClean(v.clean, s);
  drawUse(v.use, s);
  drawMessages(v, s);
}

function drawMessages(v, s) {
  v.status.set(s.busy ? `${stepName(s.busy)}…` : "", s.busy ? "loading" : "idle");
  v.notice.hidden = !s.notice;
  v.notice.textContent = s.notice || "";
  v.el.dataset.error = s.error ? "yes" : "";
  if (s.error) v.error.show(s.error);
  else v.error.clear();
  v.retry.hidden = !s.error || !s.lastStep;
}
