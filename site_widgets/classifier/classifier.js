// The classifier widget: the reader gives a photo, the trained model (ONNX, in
// onnxruntime-web) says grizzly, black or teddy, all inside the browser.
//
// This file is the view only. The work is in modules without DOM code:
//   sniff.js       what a file is, from its bytes
//   decode.js      file -> RGBA pixels (EXIF orientation, transparency on white)
//   preprocess.js  RGBA -> the exact float32 crop Python feeds the model
//   runtime.js     onnxruntime-web + model (sha256-checked), loaded on first use
//   decision.js    ranking and the "uncertain" rule
//
// State for tests and curious readers lives in data- attributes on the root:
// data-phase (idle|loading|working|done|error), data-runs (images handled),
// and on the result: data-top, data-uncertain, and per label data-label/data-prob.

import { errorBox, fmt, h, once, statusLine } from "../common/ui.js";
import { CLEAR_WIN, isUncertain, rank } from "./decision.js";
import { decodeImage, ImageInputError } from "./decode.js";
import { prepare, rgbToRGBA, sizeNote } from "./preprocess.js";
import { classify, fetchManifest, loadModel } from "./runtime.js";

const MANIFEST = "assets/models/bears.json";

function addStyles(widgetsRoot) {
  const href = new URL("classifier/classifier.css", widgetsRoot).href;
  if (!document.querySelector(`link[href="${href}"]`)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

function pct(p) {
  return `${(100 * p).toFixed(1)}%`;
}

export async function mount(el, { siteRoot, widgetsRoot }) {
  addStyles(widgetsRoot);
  const manifestUrl = new URL(el.dataset.manifest || MANIFEST, siteRoot);
  const variant = el.dataset.variant || null;
  el.classList.add("clf");
  el.dataset.phase = "idle";
  el.dataset.runs = "0";

  const status = statusLine("clf-status widget-status");
  const error = errorBox("clf-error widget-error");
  const fileInput = h("input", { type: "file", accept: "image/*,.heic,.heif", class: "clf-file", "aria-label": "photo to classify" });
  const pickButton = h("button", { type: "button", class: "md-button md-button--primary", onclick: () => fileInput.click() }, "Choose a photo");
  const cameraButton = h("button", { type: "button", class: "md-button", hidden: true }, "Use the camera");
  const loadButton = h("button", { type: "button", class: "md-button" }, "Load the model now");
  const drop = h("div", { class: "clf-drop", tabindex: "0", role: "group", "aria-label": "Give the classifier a photo" },
    h("p", {}, "Drop a photo here, paste one (Ctrl+V / ⌘V), or"),
    h("div", { class: "clf-buttons" }, pickButton, cameraButton, loadButton),
    fileInput);
  const video = h("video", { playsinline: true, muted: true, class: "clf-video" });
  const snapButton = h("button", { type: "button", class: "md-button md-button--primary" }, "Take the photo");
  const closeButton = h("button", { type: "button", class: "md-button" }, "Close the camera");
  const camera = h("div", { class: "clf-camera", hidden: true }, video, h("div", { class: "clf-buttons" }, snapButton, closeButton));

  const original = h("canvas", { class: "clf-original", "aria-label": "your image, with the part the model sees outlined" });
  const cropCanvas = h("canvas", { class: "clf-crop", "aria-label": "the crop the model sees" });
  const originalCaption = h("figcaption");
  const cropCaption = h("figcaption");
  const verdict = h("p", { class: "clf-verdict", "aria-live": "polite" });
  const bars = h("ul", { class: "clf-bars" });
  const timing = h("p", { class: "clf-timing" });
  const notes = h("ul", { class: "clf-notes" });
  const result = h("div", { class: "clf-result", hidden: true },
    h("div", { class: "clf-figures" },
      h("figure", {}, original, originalCaption),
      h("figure", {}, cropCanvas, cropCaption)),
    h("div", { class: "clf-output" }, verdict, bars, timing, notes));
  const modelInfo = h("p", { class: "clf-model" });
  el.replaceChildren(drop, camera, status.node, error.node, result, modelInfo);
  status.set("The model loads when you give the first photo (or press “Load the model now”).", "idle");

  // The manifest is tiny and says how to preprocess: fetched first, so a photo can be
  // decoded and cropped while the runtime and the model are still on their way.
  const getManifest = once(() => fetchManifest(manifestUrl));
  const getModel = once(async () => {
    el.dataset.phase = "loading";
    status.set("Loading the model and onnxruntime-web (first time only)…", "loading");
    const model = await loadModel({ siteRoot, manifestUrl, variant, manifest: await getManifest() });
    const e = model.entry;
    modelInfo.textContent =
      `Model: ${model.manifest.arch || "CNN"} (${model.variant}), ${(e.bytes / 1e6).toFixed(1)} MB, SHA-256 ${e.sha256.slice(0, 12)}… verified; ` +
      `validation accuracy ${(100 * (e.valid_accuracy ?? model.manifest.metrics.valid_accuracy)).toFixed(1)}%. ` +
      `Runs here with WebAssembly on ${model.threads} thread${model.threads > 1 ? "s" : ""}; ready in ${Math.round(model.timings.total_ms)} ms.`;
    el.dataset.variant = model.variant;
    el.dataset.sessionMs = model.timings.session_create_ms.toFixed(1);
    el.dataset.modelMs = model.timings.total_ms.toFixed(1);
    return model;
  });

  loadButton.addEventListener("click", async () => {
    try {
      await getModel();
      error.clear();
      el.dataset.phase = "idle";
      status.set("Model ready: give it a photo.", "ready");
      loadButton.hidden = true;
    } catch (err) {
      el.dataset.phase = "error";
      status.set("The model could not be loaded.", "error");
      error.show(err.message || String(err));
    }
  });

  let queue = Promise.resolve();
  const give = (file, via) => {
    const given = performance.now();
    queue = queue.then(() => handle(file, via, given));
    return queue;
  };

  async function handle(file, via, given) {
    error.clear();
    el.dataset.phase = "working";
    status.set(`Reading ${file.name ? `“${file.name}”` : "the image"}…`, "loading");
    const modelPromise = getModel(); // in parallel with decoding
    modelPromise.catch(() => {}); // handled below
    let decoded = null;
    try {
      decoded = await decodeImage(file);
      const manifest = await getManifest();
      const t0 = performance.now();
      const prepared = prepare(decoded.rgba, decoded.width, decoded.height, manifest.preprocess);
      const preMs = performance.now() - t0;
      const model = await modelPromise;
      loadButton.hidden = true;
      status.set("Classifying…", "loading");
      const { probs, ms } = await classify(model, prepared.data);
      const totalMs = performance.now() - given;
      show(model, decoded, prepared, probs, { ms, preMs, totalMs, via });
      el.dataset.phase = "done";
      status.set("Done. Give it another photo whenever you like.", "ready");
    } catch (err) {
      result.hidden = true;
      el.dataset.phase = "error";
      delete el.dataset.top;
      const download = /fetch|network/i.test(String(err && err.message)); // runtime or model not downloaded
      const msg = err instanceof ImageInputError ? err.message : `Something went wrong: ${err.message || err}` +
        (download ? ". A file the classifier needs could not be downloaded: if you are offline, reconnect and give the photo again." : "");
      status.set(err instanceof ImageInputError ? "That file cannot be classified." : "The classifier failed.", "error");
      error.show(msg);
      if (!(err instanceof ImageInputError)) console.warn(err);
    } finally {
      decoded?.bitmap?.close?.();
      el.dataset.runs = String(Number(el.dataset.runs) + 1);
    }
  }

  function show(model, decoded, prepared, probs, t) {
    const { width, height, bitmap } = decoded;
    const { crop } = model.manifest.preprocess;
    // The original, scaled for display, with the model's crop outlined.
    const scale = Math.min(1, 360 / width, 360 / height);
    original.width = Math.max(1, Math.round(width * scale));
    original.height = Math.max(1, Math.round(height * scale));
    const octx = original.getContext("2d");
    octx.imageSmoothingQuality = "high";
    octx.fillStyle = "#fff";
    octx.fillRect(0, 0, original.width, original.height);
    octx.drawImage(bitmap, 0, 0, original.width, original.height);
    const k = (width / prepared.resized.width) * scale; // resized pixels -> display pixels
    octx.lineWidth = 2;
    octx.strokeStyle = "#ffb300";
    octx.strokeRect(prepared.box.left * k + 1, prepared.box.top * k + 1, crop * k - 2, crop * k - 2);
    originalCaption.textContent = `Your image, ${width}×${height}. The box is the part the model sees.`;
    // The crop, pixel for pixel.
    cropCanvas.width = crop;
    cropCanvas.height = crop;
    cropCanvas.getContext("2d").putImageData(new ImageData(rgbToRGBA(prepared.rgb), crop, crop), 0, 0);
    cropCaption.textContent = `What the model sees: shorter side resized to ${model.manifest.preprocess.resize} px, center ${crop}×${crop}.`;

    const labels = model.manifest.labels;
    const ranked = rank(labels, probs);
    const unsure = isUncertain(probs);
    const top = ranked[0];
    el.dataset.top = top.label;
    result.dataset.top = top.label;
    result.dataset.uncertain = String(unsure);
    verdict.className = `clf-verdict${unsure ? " clf-uncertain" : ""}`;
    verdict.textContent = unsure
      ? `Uncertain: no label clearly wins (the best, ${top.label}, has ${pct(top.p)}; a clear winner needs ${Math.round(100 * CLEAR_WIN)}%). ` +
        "This is what photos of something other than a grizzly, a black bear or a teddy bear tend to give."
      : `${top.label} (${pct(top.p)})`;
    bars.replaceChildren(...ranked.map(({ label, p }) =>
      h("li", { dataset: { label, prob: String(p) }, class: label === top.label ? "clf-top" : "" },
        h("span", { class: "clf-label" }, label),
        h("span", { class: "clf-bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1", "aria-valuenow": p.toFixed(4), "aria-label": label },
          h("span", { class: "clf-fill", style: `width: ${(100 * p).toFixed(2)}%` })),
        h("span", { class: "clf-value" }, pct(p)))));
    timing.textContent = `Inference ${fmt(t.ms, 1)} ms (${model.variant} model, WebAssembly, ${model.threads} thread${model.threads > 1 ? "s" : ""}); ` +
      `preprocessing ${fmt(t.preMs, 1)} ms; ${fmt(t.totalMs, 0)} ms from your ${t.via} to this result. Nothing was uploaded.`;
    const allNotes = [...decoded.notes, sizeNote(width, height, model.manifest.preprocess)].filter(Boolean);
    notes.replaceChildren(...allNotes.map((n) => h("li", {}, n)));
    result.hidden = false;
    result.dataset.inferMs = t.ms.toFixed(3);
    result.dataset.totalMs = t.totalMs.toFixed(1);
  }

  // Inputs: file picker, drag and drop, paste, camera.
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    if (file) give(file, "choice of file");
    fileInput.value = ""; // choosing the same file again fires change again
  });
  drop.addEventListener("keydown", (e) => {
    if (e.target === drop && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); fileInput.click(); }
  });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("clf-over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("clf-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("clf-over");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) give(file, "drop");
    else { error.show("What was dropped is not a file. Drop a photo file (from your computer, not a link)."); el.dataset.runs = String(Number(el.dataset.runs) + 1); }
  });
  const onPaste = (e) => {
    if (!el.isConnected) { document.removeEventListener("paste", onPaste); return; }
    const file = Array.from(e.clipboardData?.files || [])[0];
    if (!file) return; // text paste elsewhere on the page: not for us
    e.preventDefault();
    give(file, "paste");
  };
  document.addEventListener("paste", onPaste);

  setupCamera({ cameraButton, camera, video, snapButton, closeButton, error, give });
  return { give, getModel };
}

async function setupCamera({ cameraButton, camera, video, snapButton, closeButton, error, give }) {
  // Only offer the camera where there is one (enumerateDevices lists a "videoinput").
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) || [];
  if (!devices.some((d) => d.kind === "videoinput")) return;
  cameraButton.hidden = false;
  let stream = null;
  const stop = () => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    camera.hidden = true;
  };
  cameraButton.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      camera.hidden = false;
      await video.play();
    } catch (err) {
      stop();
      error.show(`The camera could not be opened (${err.name || "error"}: ${err.message}). You can still choose a photo file.`);
    }
  });
  closeButton.addEventListener("click", stop);
  snapButton.addEventListener("click", () => {
    const c = h("canvas", { width: video.videoWidth, height: video.videoHeight });
    c.getContext("2d").drawImage(video, 0, 0);
    stop();
    c.toBlob((blob) => give(new File([blob], "camera.png", { type: "image/png" }), "photo"), "image/png");
  });
}
