// The image-numbers widget's DOM: built once, redrawn by show(state, image). It computes
// nothing itself (model.js does). Numbers the tests read: every zoom cell's data-x/-y/-rgb,
// the chosen pixel's rows (data-channel, data-byte, data-input), every score row's
// data-label/-logit/-exp/-prob, the sum's data-sum and the loss's data-label/-loss.

import { fmt, h } from "../common/ui.js";
import { rgbToRGBA } from "../classifier/preprocess.js";
import { normalise, patch, softmaxSteps, crossEntropy } from "./model.js";

const RADIUS = 3; // the zoom shows (2·RADIUS + 1)² pixels
const SCALE = 2; // the crop is drawn at twice its pixels, so the zoom's outline is thin
const MINUS = "\u2212";
const signed = (v, d) => v.toFixed(d).replace("-", MINUS);
const num = (v, d = 4) => fmt(v, d).replace("-", MINUS);

/** Black or white text, whichever reads better on an RGB background (WCAG luminance). */
function inkFor([r, g, b]) {
  const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) > 0.179 ? "#000" : "#fff";
}

/** The controls: the reader's photo (picker or drop) or the built-in drawing. */
function controls(on) {
  const file = h("input", { type: "file", accept: "image/*", class: "inum-file", "aria-label": "a photo to look at as numbers",
    onchange: () => { if (file.files && file.files[0]) on.file(file.files[0]); file.value = ""; } });
  const pick = h("button", { type: "button", class: "md-button md-button--primary", onclick: () => file.click() }, "Choose a photo");
  const builtIn = h("button", { type: "button", class: "md-button", onclick: () => on.builtIn() }, "Use the drawn teddy");
  return h("div", { class: "inum-controls" }, pick, builtIn, h("span", { class: "inum-hint" }, "or drop a photo on the crop"), file);
}

/** The crop the network sees, drawn at SCALE; pointer and arrow keys choose the zoomed pixel. */
function cropPanel(size, on) {
  const canvas = h("canvas", { class: "inum-crop", width: size * SCALE, height: size * SCALE, tabindex: "0", role: "group",
    "aria-label": `the ${size} × ${size} crop the network sees; arrow keys move the zoom (Shift: 8 pixels)` });
  const pixels = document.createElement("canvas");
  Object.assign(pixels, { width: size, height: size });
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    on.point(Math.floor(((e.clientX - r.left) / r.width) * size), Math.floor(((e.clientY - r.top) / r.height) * size));
  };
  // A mouse moves the zoom as it passes; a finger taps a pixel (dragging scrolls the page as usual).
  canvas.addEventListener("pointermove", (e) => { if (e.pointerType === "mouse" || e.buttons) at(e); });
  canvas.addEventListener("pointerdown", at);
  canvas.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 8 : 1;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    if (!d) return;
    e.preventDefault();
    on.move(...d);
  });
  canvas.addEventListener("dragover", (e) => { e.preventDefault(); canvas.classList.add("inum-over"); });
  canvas.addEventListener("dragleave", () => canvas.classList.remove("inum-over"));
  canvas.addEventListener("drop", (e) => {
    e.preventDefault();
    canvas.classList.remove("inum-over");
    const f = e.dataTransfer?.files?.[0];
    if (f) on.file(f);
  });
  const caption = h("figcaption");
  return {
    node: h("figure", { class: "inum-figure" }, canvas, caption),
    draw(rgb, x, y, text) {
      pixels.getContext("2d").putImageData(new ImageData(rgbToRGBA(rgb), size, size), 0, 0);
      const g = canvas.getContext("2d");
      g.imageSmoothingEnabled = false;
      g.drawImage(pixels, 0, 0, size * SCALE, size * SCALE);
      const x0 = Math.max(0, x - RADIUS) * SCALE, y0 = Math.max(0, y - RADIUS) * SCALE;
      const x1 = (Math.min(size - 1, x + RADIUS) + 1) * SCALE, y1 = (Math.min(size - 1, y + RADIUS) + 1) * SCALE;
      g.lineWidth = 2;
      g.strokeStyle = "#fff";
      g.strokeRect(x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4);
      g.strokeStyle = "#000";
      g.strokeRect(x0 - 4, y0 - 4, x1 - x0 + 8, y1 - y0 + 8);
      caption.textContent = text;
    },
  };
}

/** The magnified patch: one cell per pixel with its three numbers, and the chosen pixel's
 *  numbers worked out (byte → byte / 255 → (x − mean) / std). */
function zoomPanel(preprocess, on) {
  const grid = h("div", { class: "inum-grid", role: "img" });
  const show = h("select", { class: "inum-select", "aria-label": "numbers in the zoom",
    onchange: (e) => on.show(e.target.value) },
  h("option", { value: "bytes" }, "bytes, 0 to 255"), h("option", { value: "inputs" }, "what the network receives"));
  const detail = h("table", { class: "inum-detail" });
  const { mean, std, crop } = preprocess;
  const count = h("p", { class: "inum-count" }, `The whole crop: ${crop} × ${crop} pixels × 3 colours = `,
    h("strong", {}, (crop * crop * 3).toLocaleString("en")), " numbers.");
  return {
    node: h("div", { class: "inum-zoom" }, h("label", { class: "inum-show" }, "Numbers in the zoom: ", show), grid, detail, count),
    draw(rgb, size, x, y, mode) {
      show.value = mode;
      const rows = patch(rgb, size, x, y, RADIUS);
      grid.style.gridTemplateColumns = `repeat(${rows[0].length}, auto)`;
      grid.setAttribute("aria-label", `pixels ${rows[0][0].x}–${rows[0].at(-1).x} across, ${rows[0][0].y}–${rows.at(-1)[0].y} down; each cell: red, green, blue`);
      grid.replaceChildren(...rows.flat().map((p) => h("div", {
        class: `inum-cell${p.x === x && p.y === y ? " inum-here" : ""}`,
        style: `background: rgb(${p.rgb.join(",")}); color: ${inkFor(p.rgb)}`,
        dataset: { x: p.x, y: p.y, rgb: p.rgb.join(",") },
      }, ...p.rgb.map((v, c) => h("span", {}, mode === "bytes" ? String(v) : signed(normalise(v, mean[c], std[c]), 2))))));
      const i = (y * size + x) * 3;
      detail.replaceChildren(
        h("caption", {}, `Pixel (${x}, ${y}) of the crop`),
        h("tr", {}, ...["channel", "byte", "÷ 255", `(x − mean) ÷ std: what the network receives`].map((t) => h("th", {}, t))),
        ...["red", "green", "blue"].map((name, c) => {
          const b = rgb[i + c], v = normalise(b, mean[c], std[c]);
          return h("tr", { dataset: { channel: name, byte: b, input: v } },
            h("th", {}, name), h("td", {}, String(b)), h("td", {}, (b / 255).toFixed(4)),
            h("td", {}, `(${(b / 255).toFixed(4)} − ${mean[c]}) ÷ ${std[c]} = ${signed(v, 4)}`));
        }));
    },
  };
}

/** The three scores, the softmax step by step, and the loss for the label the reader picks. */
function scoresPanel(manifest, on, multilabelHref) {
  const { labels } = manifest;
  const run = h("button", { type: "button", class: "md-button", onclick: () => on.run() }, "Run the network on this image");
  const status = h("p", { class: "inum-status", role: "status", "aria-live": "polite" });
  const table = h("table", { class: "inum-scores" });
  const pick = h("fieldset", { class: "inum-pick" }, h("legend", {}, "Which label is right?"),
    ...labels.map((lab) => h("label", {}, h("input", { type: "radio", name: "inum-label", value: lab,
      onchange: () => on.label(lab) }), ` ${lab}`)));
  const loss = h("p", { class: "inum-loss" });
  const rule = h("p", { class: "inum-rule" });
  const out = h("div", { class: "inum-out", hidden: true }, table, pick, loss, rule);
  return {
    node: h("div", { class: "inum-scoring" }, h("div", { class: "inum-run" }, run, status), out),
    busy(text, kind = "loading") { status.textContent = text; status.dataset.state = kind; },
    draw(scores, label) {
      out.hidden = !scores;
      run.hidden = Boolean(scores);
      for (const r of pick.querySelectorAll("input")) r.checked = r.value === label;
      if (!scores) return;
      status.textContent = "";
      status.dataset.state = "ready";
      drawScores(table, labels, scores.logits);
      const k = labels.indexOf(label);
      const p = softmaxSteps(scores.logits).probs[k], ce = crossEntropy(scores.logits, k);
      loss.dataset.label = label;
      loss.dataset.loss = String(ce);
      loss.replaceChildren("Cross-entropy for ", h("strong", {}, label), `: ${MINUS}log p(${label}) = ${MINUS}log ${num(p, 4)} = `,
        h("strong", {}, num(ce, 4)));
      drawRule(rule, manifest, scores.logits, multilabelHref);
    },
  };
}

function drawScores(table, labels, logits) {
  const s = softmaxSteps(logits);
  table.replaceChildren(
    h("caption", {}, "The network's three scores, made into probabilities"),
    h("tr", {}, ...["label", "score z (logit)", "e^z", "e^z ÷ sum = probability"].map((t) => h("th", {}, t))),
    ...labels.map((lab, k) => h("tr", { dataset: { label: lab, logit: s.logits[k], exp: s.exps[k], prob: s.probs[k] } },
      h("th", {}, lab), h("td", {}, signed(s.logits[k], 3)), h("td", {}, num(s.exps[k], 3)),
      h("td", {}, `${num(s.exps[k], 3)} ÷ ${num(s.sum, 3)} = ${num(s.probs[k], 4)}`))),
    h("tr", { class: "inum-sum", dataset: { sum: s.sum } }, h("th", {}, "sum"), h("td", {}, ""),
      h("td", {}, num(s.sum, 3)), h("td", {}, num(s.probs.reduce((a, b) => a + b, 0), 4))));
}

/** The shipped answer is another step: each score against its own threshold (the manifest's). */
function drawRule(node, manifest, logits, href) {
  const t = manifest.decision && manifest.decision.thresholds;
  if (!t) { node.replaceChildren(); return; }
  const over = manifest.labels.filter((lab, k) => logits[k] >= t[lab]);
  node.replaceChildren("The classifier's answer is a separate step: each score is compared with its own threshold (",
    manifest.labels.map((lab) => `${lab} ${t[lab].toFixed(2)}`).join(", "), "); here ",
    over.length ? `${over.join(" and ")} ${over.length > 1 ? "reach theirs" : "reaches its"}` : "no score reaches its threshold",
    ". How and why: ", h("a", { href }, "“None of these”"), ".");
}

/** fn() once, when the reader comes to the widget: the pointer moved over it (two places
 *  seen), or a tap, or focus came into it. A pointer that only rests where the widget scrolled
 *  to (the browser then sends one move, at the same place) does not count. */
function approaching(el, fn) {
  const events = ["pointermove", "pointerdown", "focusin"];
  let seen = null;
  const come = (e) => {
    if (e.type === "pointermove") {
      const here = `${e.screenX},${e.screenY}`;
      if (seen === null || seen === here) { seen = here; return; }
    }
    stop();
    fn();
  };
  const stop = () => { for (const type of events) el.removeEventListener(type, come); };
  for (const type of events) el.addEventListener(type, come);
  return stop;
}

/** Build the widget inside `el`. `on`: point(x, y), move(dx, dy), label(name), show(mode),
 *  file(File), builtIn(), run(), approach(). Returns {show(state, image), scoresBusy(text, kind), stop()}. */
export function buildView(el, { manifest, notes, multilabelHref }, on) {
  const size = manifest.preprocess.crop;
  const note = h("p", { class: "inum-note", hidden: !notes.length }, notes.join(" "));
  const crop = cropPanel(size, on);
  const zoom = zoomPanel(manifest.preprocess, on);
  const scores = scoresPanel(manifest, on, multilabelHref);
  const photoNotes = h("ul", { class: "inum-notes" });
  el.append(note, controls(on), h("div", { class: "inum-panels" }, crop.node, zoom.node), photoNotes, scores.node);
  const stopApproach = approaching(el, on.approach);
  return {
    show(state, image) {
      const { rgb } = image.prepared;
      crop.draw(rgb, state.x, state.y, image.caption);
      zoom.draw(rgb, size, state.x, state.y, state.show);
      photoNotes.replaceChildren(...image.notes.map((n) => h("li", {}, n)));
      scores.draw(image.scores, state.label);
    },
    scoresBusy: (text, kind) => scores.busy(text, kind),
    /** Remove what listens on `el` itself (mount.js empties it, but Material may keep it a while). */
    stop: stopApproach,
  };
}
