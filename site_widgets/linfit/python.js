// The page's side of the Python worker: start it on first use, send runs,
// and stop a run that takes too long by terminating the worker and starting
// a fresh one (the only way to stop Python without SharedArrayBuffer, which
// GitHub Pages cannot enable). The page never waits on Python synchronously.

export class PythonRunner {
  /** @param {URL} workerUrl  @param {{timeoutMs: number, onState: (state, info) => void}} opts */
  constructor(workerUrl, { timeoutMs, onState }) {
    this.workerUrl = workerUrl;
    this.timeoutMs = timeoutMs;
    this.onState = onState;
    this.worker = null;
    this.ready = null;
    this.nextId = 1;
  }

  /** Start the worker if it is not running; resolves when Python is ready. */
  start() {
    if (this.ready) return this.ready;
    const t0 = performance.now();
    this.onState("loading");
    const worker = new Worker(this.workerUrl, { type: "module" });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.addEventListener("message", ({ data }) => {
        if (data.type === "ready") {
          const ms = performance.now() - t0;
          this.onState("ready", { ms });
          resolve(ms);
        } else if (data.type === "fatal") {
          reject(new Error(data.message));
        }
      });
      worker.addEventListener("error", (ev) => {
        ev.preventDefault();
        reject(new Error(ev.message || "the Python worker failed to start"));
      });
    }).catch((err) => {
      this.stop();
      this.onState("failed", { error: err });
      throw err;
    });
    return this.ready;
  }

  stop() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.ready = null;
  }

  /** Run one request; rejects with {timeout: true} after timeoutMs of Python time. */
  async run(request) {
    await this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.removeEventListener("message", onMessage);
        this.stop(); // the only way to interrupt Python here: throw the worker away
        const err = new Error(`stopped after ${this.timeoutMs / 1000} s`);
        err.timeout = true;
        reject(err);
        this.start().catch(() => {}); // a fresh Python for the next run
      }, this.timeoutMs);
      const onMessage = ({ data }) => {
        if (data.type !== "result" || data.id !== id) return;
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        resolve(data.result);
      };
      worker.addEventListener("message", onMessage);
      worker.postMessage({ id, request });
    });
  }
}
