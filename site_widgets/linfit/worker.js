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

const ready = start().catch((err) => {
  self.postMessage({ type: "fatal", message: String(err && err.message ? err.message : err) });
  throw err;
});

self.onmessage = async ({ data }) => {
  const run = await ready;
  const result = JSON.parse(run(JSON.stringify(data.request)));
  self.postMessage({ type: "result", id: data.id, result });
};
