// Long loops that stay responsive and can be cancelled (no DOM).
//
// `pacer(budgetMs)` gives an async `pace(signal)` to call between units of work (a batch,
// a photo): it throws the signal's reason once the signal is aborted (Cancel, or the widget
// unmounted) and, when more than budgetMs ran since the last pause, waits one macrotask so
// the page can draw and take input. The page's "no task over 200 ms" rule holds if each
// unit of work is short; in a Worker it only costs the few pauses.

const now = () => globalThis.performance?.now() ?? Date.now();
/** A promise resolved in a later task: what ran before it is drawn before what comes after starts. */
export const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

export function pacer(budgetMs = 30) {
  let last = now();
  return async function pace(signal) {
    signal?.throwIfAborted();
    if (now() - last >= budgetMs) {
      await macrotask();
      last = now();
      signal?.throwIfAborted();
    }
  };
}
