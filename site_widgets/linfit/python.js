// The page's side of the Python worker. No DOM: the tests drive it in Node with a fake worker.
//
// It starts the worker on first use, sends one run at a time and stops a run that takes
// too long by terminating the worker and starting a fresh one: the only way to stop
// Python without SharedArrayBuffer, which GitHub Pages cannot enable. The reader's code
// runs in that worker and can reach its JavaScript, so nothing the worker sends is
// trusted: a message outside the protocol, or a result that is not a run of finite
// numbers, ends the worker like a crash does. dispose() ends everything for good.
//
// Protocol (worker.js):  page -> worker  {id, request}
//   worker -> page  {type: "ready", ms, version, calibrationMs, phases, fetches} | {type: "fatal", message}
//                   {type: "started", id} | {type: "result", id, result} | {type: "crashed", id, message}

/** Why a run gave no result. kind: "timeout" | "crashed" | "protocol" | "unavailable" | "stopped". */
export class RunError extends Error {
  constructor(kind, message, extra = {}) {
    super(message);
    this.name = "RunError";
    Object.assign(this, { kind }, extra);
  }
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const finiteRow = (row, size) => Array.isArray(row) && row.length === size && row.every(Number.isFinite);

/** What is wrong with a worker's result for `request`, or "" when it is a usable answer. */
export function resultProblem(result, request) {
  if (!isObject(result)) return "a result that is not an object";
  if (typeof result.stdout !== "string") return "a result without its printed output";
  if (result.ok === false) return typeof result.error === "string" ? "" : "an error without a message";
  if (result.ok !== true) return "a result that is neither a run nor an error";
  const { a, loss, diverged } = result;
  if (!Array.isArray(a) || !Array.isArray(loss) || a.length !== loss.length || a.length < 1 || a.length > request.steps + 1) {
    return "a run with the wrong number of steps";
  }
  if (!a.every((row) => finiteRow(row, request.a.length))) return "coefficients that are not finite numbers";
  if (!loss.every((v) => Number.isFinite(v) && v >= 0)) return "losses that are not finite numbers";
  if (typeof diverged !== "boolean") return "a run without its diverged flag";
  return "";
}

/** The worker's start-up timings (for the benchmark): only numbers, and pairs of numbers, pass. */
function timings(data) {
  const numbers = (o) => Object.fromEntries(Object.entries(isObject(o) ? o : {})
    .filter(([, v]) => Number.isFinite(v) || (Array.isArray(v) && v.length === 2 && v.every(Number.isFinite))));
  return { phases: numbers(data.phases), fetches: numbers(data.fetches) };
}

export class PythonRunner {
  /**
   * spawn(): a new module Worker running worker.js (ctx.worker, so unmount ends it).
   * onState(state, info): "loading" | "ready" ({ms, calibrationMs}) | "failed" ({error}).
   */
  constructor({ spawn, onState = () => {} }) {
    this.spawn = spawn;
    this.onState = onState;
    this.session = null; // {worker, ready: Promise, starting, pending}
    this.nextId = 1;
    this.calibrationMs = null;
    this.disposed = false;
  }

  get ready() {
    return Boolean(this.session && this.session.isReady);
  }

  /** Start the worker unless it runs; resolves when Python is ready. */
  start() {
    if (this.disposed) return Promise.reject(new RunError("stopped", "the widget was closed"));
    if (this.session) return this.session.ready;
    const session = { worker: null, isReady: false, starting: null, pending: null, t0: performance.now() };
    this.session = session;
    session.ready = new Promise((resolve, reject) => {
      session.starting = { resolve, reject };
    });
    this.onState("loading");
    try {
      session.worker = this.spawn();
    } catch (err) {
      this.end(session, new RunError("unavailable", err.message || String(err)));
      return session.ready;
    }
    session.worker.addEventListener("message", (ev) => this.receive(session, ev.data));
    session.worker.addEventListener("error", (ev) => {
      ev.preventDefault?.();
      this.broke(session, new RunError("crashed", ev.message || "the Python worker failed"));
    });
    session.worker.addEventListener("messageerror", () => this.broke(session, new RunError("protocol", "a message that could not be read")));
    return session.ready;
  }

  /** Run one request; rejects with a RunError. budgetMs: the time Python may take. */
  async run(request, budgetMs) {
    await this.start();
    if (this.disposed) throw new RunError("stopped", "the widget was closed");
    const session = this.session;
    if (!session || !session.isReady || session.pending) throw new RunError("unavailable", "Python is busy or gone");
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      session.pending = { id, request, budgetMs, resolve, reject, timer: 0 };
      this.arm(session);
      session.worker.postMessage({ id, request });
    });
  }

  /** (Re)start the pending run's clock: from the send, then again when Python starts on it. */
  arm(session) {
    const p = session.pending;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.broke(session, new RunError("timeout", `stopped after ${p.budgetMs / 1000} s`, { budgetMs: p.budgetMs }));
    }, p.budgetMs);
  }

  receive(session, data) {
    if (session !== this.session) return;
    const kind = isObject(data) ? data.type : undefined;
    const p = session.pending;
    const mine = Boolean(p && isObject(data) && data.id === p.id);
    if (kind === "ready" && session.starting) return this.readied(session, data);
    if (kind === "fatal" && session.starting) return this.end(session, new RunError("unavailable", String(data.message)));
    if (kind === "started" && mine && !p.started) {
      p.started = true;
      return this.arm(session);
    }
    if (kind === "crashed" && mine) return this.broke(session, new RunError("crashed", String(data.message)));
    if (kind === "result" && mine) {
      const problem = resultProblem(data.result, p.request);
      if (problem) return this.broke(session, new RunError("protocol", problem));
      clearTimeout(p.timer);
      session.pending = null;
      return p.resolve(data.result);
    }
    const what = kind ? `a "${String(kind).slice(0, 40)}" message` : "a message";
    return this.broke(session, new RunError("protocol", `${what} out of turn`));
  }

  readied(session, data) {
    session.isReady = true;
    const ms = performance.now() - session.t0;
    this.calibrationMs = Number.isFinite(data.calibrationMs) && data.calibrationMs > 0 ? data.calibrationMs : null;
    session.starting.resolve(ms);
    session.starting = null;
    this.onState("ready", { ms, calibrationMs: this.calibrationMs, timings: timings(data) });
  }

  /** Python misbehaved or died while running: end this worker, fail the run, start afresh. */
  broke(session, err) {
    if (session !== this.session) return;
    const wasRunning = Boolean(session.pending);
    this.end(session, err);
    if (wasRunning && !this.disposed) this.start().catch(() => {}); // a fresh Python for the next run
  }

  /** End a session: terminate its worker, reject what waits on it. */
  end(session, err) {
    if (session === this.session) this.session = null;
    if (session.worker) session.worker.terminate();
    const { starting, pending } = session;
    session.starting = session.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
    if (starting) {
      starting.reject(err);
      if (err.kind !== "stopped") this.onState("failed", { error: err });
    }
  }

  /** The widget is going: end the worker and every timer; nothing starts again. */
  dispose() {
    this.disposed = true;
    if (this.session) this.end(this.session, new RunError("stopped", "the widget was closed"));
  }
}
