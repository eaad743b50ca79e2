// Module Web Worker that runs Python for the SGD widget.
// It loads the self-hosted Pyodide, writes the SGD core and the sandbox into
// Pyodide's file system, and then answers {id, request} with sandbox.run().
// The page terminates this worker when a request takes too long (an endless
// loop in the reader's code), so nothing here needs to be interruptible.
import { loadPyodide } from "../../vendor/pyodide/pyodide.mjs";

const FILES = {
  "sgd_core.py": new URL("../py/sgd_core.py", import.meta.url),
  "sandbox.py": new URL("./sandbox.py", import.meta.url),
};

async function start() {
  const t0 = performance.now();
  const [py, ...texts] = await Promise.all([
    loadPyodide({ indexURL: new URL("../../vendor/pyodide/", import.meta.url).href }),
    ...Object.values(FILES).map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load ${url} (HTTP ${res.status})`);
      return res.text();
    }),
  ]);
  Object.keys(FILES).forEach((name, i) => py.FS.writeFile(name, texts[i]));
  py.runPython("import sys; sys.path.insert(0, '.')");
  const run = py.pyimport("sandbox").run;
  self.postMessage({ type: "ready", ms: performance.now() - t0, version: py.version });
  return run;
}

// If a runtime file cannot be fetched (offline, dead URL), Pyodide's own
// promise may never settle: an unhandled rejection during start-up is the
// only sign, so report it as fatal and let the page decide what to show.
let started = false;
const fatal = (err) => self.postMessage({ type: "fatal", message: String(err && err.message ? err.message : err) });
self.addEventListener("unhandledrejection", (ev) => {
  if (started) return;
  ev.preventDefault();
  fatal(ev.reason);
});
const ready = start().then(
  (run) => { started = true; return run; },
  (err) => { fatal(err); return null; },
);

self.onmessage = async ({ data }) => {
  const run = await ready;
  if (!run) return; // start-up failed and was reported; the page terminates this worker
  const result = JSON.parse(run(JSON.stringify(data.request)));
  self.postMessage({ type: "result", id: data.id, result });
};
