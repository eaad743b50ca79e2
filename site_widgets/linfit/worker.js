// Module Web Worker that runs Python for the SGD widget.
// It loads the self-hosted Pyodide, writes the SGD core and the sandbox into Pyodide's
// file system, and then answers {id, request} with sandbox.run(). The page terminates
// this worker when a run takes too long (an endless loop in the reader's code), so
// nothing here needs to be interruptible.
import { loadPyodide } from "../../vendor/pyodide/pyodide.mjs";
import { fetchText } from "../common/fetch.js";

const send = self.postMessage.bind(self);

const FILES = {
  "sgd_core.py": new URL("../py/sgd_core.py", import.meta.url),
  "sandbox.py": new URL("./sandbox.py", import.meta.url),
};

async function start() {
  const t0 = performance.now();
  const [py, ...texts] = await Promise.all([
    loadPyodide({ indexURL: new URL("../../vendor/pyodide/", import.meta.url).href }),
    ...Object.values(FILES).map((url) => fetchText(url)),
  ]);
  Object.keys(FILES).forEach((name, i) => py.FS.writeFile(name, texts[i]));
  py.runPython("import sys; sys.path.insert(0, '.')");
  const run = py.pyimport("sandbox").run;
  send({ type: "ready", ms: performance.now() - t0, version: py.version });
  return run;
}

// If a runtime file cannot be fetched (offline, dead URL), Pyodide's own
// promise may never settle: an unhandled rejection during start-up is the
// only sign, so report it as fatal and let the page decide what to show.
let started = false;
const message = (err) => String(err && err.message ? err.message : err).slice(0, 2000);
self.addEventListener("unhandledrejection", (ev) => {
  if (started) return;
  ev.preventDefault();
  send({ type: "fatal", message: message(ev.reason) });
});
const ready = start().then(
  (run) => { started = true; return run; },
  (err) => { send({ type: "fatal", message: message(err) }); return null; },
);

self.addEventListener("message", async ({ data }) => {
  const run = await ready;
  if (!run) return; // start-up failed and was reported; the page terminates this worker
  const result = JSON.parse(run(JSON.stringify(data.request)));
  send({ type: "result", id: data.id, result });
});
