// Module Web Worker that runs Python for the SGD widget.
// It loads the self-hosted Pyodide, writes the SGD core and the sandbox into Pyodide's
// file system, records a clean Python (sandbox.setup) and how fast this machine runs
// the lesson's update() (sandbox.calibrate), and then answers {id, request} with
// sandbox.run(). The page terminates this worker when a run takes too long (an endless
// loop in the reader's code), so nothing here needs to be interruptible.
//
// The reader's Python can reach this worker's JavaScript (sys.modules["js"] is this
// global scope): postMessage and close are replaced, so their code cannot talk to the
// page or end the worker; the page checks every message anyway (python.js).
import { loadPyodide } from "../../vendor/pyodide/pyodide.mjs";
import { fetchText } from "../common/fetch.js";

const send = self.postMessage.bind(self);
let ignored = 0; // postMessage/close calls from the reader's code, reported with the result
self.postMessage = () => { ignored += 1; };
self.close = () => { ignored += 1; };

const FILES = {
  "sgd_core.py": new URL("../py/sgd_core.py", import.meta.url),
  "sandbox.py": new URL("./sandbox.py", import.meta.url),
};

// When each part of the start-up ended (ms since the epoch, comparable with the page's clock):
// sent with "ready", so the benchmark can say where the time went.
const now = () => performance.timeOrigin + performance.now();
const phases = { created: performance.timeOrigin, script: now() };

/** Resource timings of the runtime's files (fetched by this worker), ms since the epoch. */
function fetches() {
  const out = {};
  for (const e of performance.getEntriesByType("resource")) {
    const name = e.name.split("/").pop();
    if (/^(pyodide|python_stdlib)/.test(name)) out[name] = [e.startTime, e.responseEnd].map((t) => performance.timeOrigin + t);
  }
  return out;
}

async function start() {
  const t0 = performance.now();
  const texts = Promise.all(Object.values(FILES).map((url) => fetchText(url))).then((t) => {
    phases.files = now();
    return t;
  });
  texts.catch(() => {}); // a failed fetch is reported where it is awaited, below
  const py = await loadPyodide({ indexURL: RUNTIME });
  phases.pyodide = now();
  (await texts).forEach((text, i) => py.FS.writeFile(Object.keys(FILES)[i], text));
  py.runPython("import sys; sys.path.insert(0, '.')");
  const sandbox = py.pyimport("sandbox");
  phases.imported = now();
  sandbox.setup();
  phases.setup = now();
  const calibrationMs = sandbox.calibrate();
  phases.calibrated = now();
  send({ type: "ready", ms: performance.now() - t0, version: py.version, calibrationMs, phases, fetches: fetches() });
  return { py, run: sandbox.run };
}

// If a runtime file cannot be fetched (offline, dead URL), Pyodide logs the error but its own
// promise may never settle, and the unhandled rejection that sometimes follows is not reliable
// either: under load, 2 of 8 starts with the wasm file unreachable gave neither, and the page
// said "Loading Python" for good. So start-up watches Pyodide's downloads itself (RUNTIME's
// files): the first that fails, or answers with an HTTP error, ends the start-up at once, as
// fatal; the page decides what to show. After start-up fetch is the browser's own again (the
// reader's code may use it).
let started = false;
let failed = false;
const message = (err) => String(err && err.message ? err.message : err).slice(0, 2000);
function fatal(err) {
  if (started || failed) return;
  failed = true;
  send({ type: "fatal", message: message(err) });
}
const RUNTIME = new URL("../../vendor/pyodide/", import.meta.url).href;
const browserFetch = self.fetch;
self.fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.startsWith(RUNTIME)) return browserFetch(input, init);
  const file = url.slice(RUNTIME.length).split("?")[0];
  const res = await browserFetch(input, init).catch((err) => {
    fatal(new Error(`could not download ${file}: ${message(err)}`));
    throw err;
  });
  if (!res.ok) fatal(new Error(`could not download ${file}: the server answered ${res.status}`));
  return res;
};
self.addEventListener("unhandledrejection", (ev) => {
  if (started) return;
  ev.preventDefault();
  fatal(ev.reason);
});
const ready = start().then(
  (python) => { started = true; self.fetch = browserFetch; return python; },
  (err) => { fatal(err); return null; },
);

/** Whether Python still answers after an error escaped sandbox.run (e.g. Pyodide aborted). */
function alive(py) {
  try {
    return py.runPython("1") === 1;
  } catch {
    return false;
  }
}

self.addEventListener("message", async ({ data }) => {
  const python = await ready;
  if (!python) return; // start-up failed and was reported; the page terminates this worker
  const id = data && data.id;
  send({ type: "started", id });
  try {
    const result = JSON.parse(python.run(JSON.stringify(data.request)));
    if (ignored) result.ignored = ignored;
    ignored = 0;
    send({ type: "result", id, result });
  } catch (err) {
    // sandbox.run turns whatever the reader's code raises into a result: landing here means
    // Python itself broke (or its answer could not be read). The page starts a fresh worker.
    const why = alive(python.py) ? "its answer could not be read" : "Python ended";
    send({ type: "crashed", id, message: `${why}: ${message(err).split("\n").pop()}` });
  }
});
