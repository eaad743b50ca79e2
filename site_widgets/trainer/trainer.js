// "Train your own in the browser": the lesson's loop on the reader's photos, nothing uploaded.
// Bring photos -> split -> the body's activations (in workers, cached) -> learning-rate
// finder -> one-cycle training of a head -> interpretation -> cleaning -> use and keep.
// This file only connects the parts:
//
//   state.js       what the page is doing (no DOM); run.js the lesson's steps on the
//                  activations, with the trainer core (split, fit, lrfind, interpret, oof, cam...)
//   view*.js       the DOM, redrawn from the state
//   extract.js     the workers: worker.js decodes and crops (the classifier's decode.js and
//                  preprocess.js) and runs the body (the shared ONNX engine)
//   body.js        the one place the model's manifest is read
//   store.js, idb.js  activation cache and saved session (IndexedDB); clean.js the cleaner's
//                  marks; myhead.js the head the production classifier can use
//
// data-manifest on the element: the body model's manifest, a site-root path; data-threads: the
// body's threads instead of settings.js bodyThreads (for the benchmark's comparison).

import { memoryLimits } from "../classifier/decode.js";
import { filesFromDrop } from "../common/drop.js";
import { readParam, writeParam } from "../common/urlstate.js";
import { BodyError, readBody } from "./body.js";
import { cameraPanel, hasCamera } from "./camera.js";
import { openCleaner } from "./clean.js";
import { Extractor } from "./extract.js";
import { openIdb } from "./idb.js";
import { cleanedFile, runFile } from "./run.js";
import { bodyThreads, SETTINGS } from "./settings.js";
import { TrainerState } from "./state.js";
import { activationCache, memoryBackend, sessionStore, STATUS } from "./store.js";
import { createView } from "./view.js";

const { param } = SETTINGS.controls;

async function loadBody(ctx, path, threads) {
  try {
    const body = readBody(await ctx.fetchJSON(path), ctx.asset(path).href);
    return { body: { ...body, threads: threads || bodyThreads(self) }, error: null };
  } catch (err) {
    if (err.name === "AbortError") throw err;
    return { body: null, error: err instanceof BodyError ? err.message
      : `The network's description (${path}) could not be loaded: ${err.message}. Reload the page to try again.` };
  }
}

/** IndexedDB, or memory with a note when the browser refuses it. */
async function storage(ctx, body) {
  let backend = null;
  let refused = null;
  try {
    backend = await openIdb();
    ctx.onUnmount(() => backend.close());
  } catch (err) {
    backend = memoryBackend();
    refused = { state: "error", message: STATUS.error, detail: String(err?.message ?? err) };
  }
  const cache = activationCache(backend, { modelSha256: body?.sha256 ?? "none", crop: body?.crop ?? 0, nFeatures: body?.nFeatures ?? null });
  if (refused) cache.status = () => refused;
  return { cache, sessions: sessionStore(backend) };
}

export async function mount(el, ctx) {
  const path = el.dataset.manifest || SETTINGS.manifest;
  const [{ body, error }] = await Promise.all([loadBody(ctx, path, Number(el.dataset.threads) || null)]);
  const { cache, sessions } = await storage(ctx, body);
  const extractor = body && new Extractor({ makeWorker: () => ctx.worker("trainer/worker.js"), body, threads: body.threads,
    limits: memoryLimits(navigator) });
  const production = new URL("production/?model=mine", ctx.siteRoot).href;
  let st = null;
  const on = actions(() => st, el, ctx, production);
  const view = createView(el, ctx, on);
  st = new TrainerState({ body, bodyError: error, extractor, cache, sessions, limits: memoryLimits(navigator),
    cleaner: (list, blobs) => openCleaner(list, blobs), onChange: (s, part) => view.render(s, part) });
  ctx.onUnmount(() => st.dispose());
  const epochs = Number(readParam(param.epochs));
  const lr = Number(readParam(param.lr));
  if (epochs) st.setEpochs(epochs);
  if (lr) st.pickLr(lr);
  wireBring(ctx, view.bring, st, on);
  view.render(st.s);
  await st.restore();
}

/** What the reader's buttons do. */
function actions(get, el, ctx, productionUrl) {
  const save = downloader(el, ctx);
  return {
    productionUrl,
    cancel: () => get().cancel(),
    retry: () => get().retry(),
    train: () => get().fit(),
    retrain: () => get().retrain(),
    epochs: (n) => { get().setEpochs(n); writeParam(param.epochs, get().s.epochs); },
    lr: (x) => { get().pickLr(x); writeParam(param.lr, get().s.picked); },
    pick: (x) => { get().pickLr(x); writeParam(param.lr, get().s.picked); },
    cam: (i) => get().cam(i),
    camLabel: (k) => get().camLabel(k),
    redraw: () => get().emit(),
    downloadHead: () => save("head.json", JSON.stringify(get().s.headJson, null, 1), "application/json"),
    downloadRun: () => save("run.json", JSON.stringify(runFile(get().s), null, 1), "application/json"),
    downloadCsv: () => {
      const s = get().s;
      const marks = s.cleaner ? new Map([...s.cleaner.state.marks]) : new Map();
      save("cleaned.csv", cleanedFile(s.photos, s.split, marks), "text/csv");
    },
  };
}

/** Folder picker, files per label, drop, camera. */
function wireBring(ctx, b, st, on) {
  const take = (input) => { const files = [...input.files]; input.value = ""; return files; };
  b.folderInput.addEventListener("change", () => {
    const files = take(b.folderInput);
    st.bring(files.map((file) => ({ file, path: file.webkitRelativePath || file.name })), { replace: true });
  });
  b.filesButton.addEventListener("click", () => {
    if (!b.labelName.value.trim()) { b.labelName.focus(); b.labelName.setCustomValidity("Name the label first"); b.labelName.reportValidity(); return; }
    b.labelName.setCustomValidity("");
    b.filesInput.click();
  });
  b.filesInput.addEventListener("change", () => {
    const label = b.labelName.value.trim();
    st.bring(take(b.filesInput).map((file) => ({ file, label })), { replace: false });
  });
  b.drop.addEventListener("dragover", (e) => { e.preventDefault(); b.drop.classList.add("trn-over"); });
  b.drop.addEventListener("dragleave", () => b.drop.classList.remove("trn-over"));
  b.drop.addEventListener("drop", (e) => {
    e.preventDefault();
    b.drop.classList.remove("trn-over");
    filesFromDrop(e.dataTransfer).then(({ entries, folders }) => st.bring(entries, { replace: folders }));
  });
  const camera = cameraPanel(ctx, { onPhotos: (entries) => st.bring(entries, { replace: false }),
    error: (text) => { st.s.error = text; st.emit(); } });
  b.drop.after(camera.node);
  b.cameraButton.addEventListener("click", () => camera.open());
  hasCamera().then((yes) => { if (!ctx.signal.aborted) b.cameraButton.hidden = !yes; });
}

/** save(name, text, type): a download; its object URL lives a minute or until unmount. */
function downloader(el, ctx) {
  const alive = new Set();
  ctx.onUnmount(() => alive.forEach((u) => URL.revokeObjectURL(u)));
  return (name, text, type) => {
    const url = URL.createObjectURL(new Blob([text], { type }));
    alive.add(url);
    setTimeout(() => { URL.revokeObjectURL(url); alive.delete(url); }, 60_000);
    const a = Object.assign(document.createElement("a"), { href: url, download: name, hidden: true });
    el.append(a);
    a.click();
    a.remove();
  };
}
