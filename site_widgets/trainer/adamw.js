// AdamW, step for step as torch.optim.AdamW does it on a CPU (no DOM).
//
// For every parameter p with gradient g, at step t (1, 2, ...), with this step's lr and
// beta1 (the one-cycle schedule moves both):
//   p  <- p * (1 - lr * wd)                       decoupled weight decay
//   m  <- m + (1 - beta1) * (g - m)               first moment (torch: exp_avg.lerp_)
//   v  <- v * beta2 + (1 - beta2) * g * g         second moment
//   p  <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
// Defaults are the project's: betas (0.9, 0.99), eps 1e-8, weight decay 0.01.

export const ADAMW = { beta1: 0.9, beta2: 0.99, eps: 1e-8, wd: 0.01 };

/** An optimizer for `params`, a list of Float32Arrays updated in place. */
export function adamw(params, { beta2 = ADAMW.beta2, eps = ADAMW.eps, wd = ADAMW.wd } = {}) {
  const moments = params.map((p) => ({ m: new Float32Array(p.length), v: new Float32Array(p.length) }));
  let t = 0;
  return {
    get steps() {
      return t;
    },
    /** One update with this step's lr and beta1; grads lines up with params. */
    step(grads, { lr, beta1 = ADAMW.beta1 }) {
      t += 1;
      const decay = 1 - lr * wd;
      const stepSize = lr / (1 - beta1 ** t);
      const bc2Sqrt = (1 - beta2 ** t) ** 0.5;
      params.forEach((p, k) => update(p, grads[k], moments[k], { decay, beta1, beta2, stepSize, bc2Sqrt, eps }));
    },
  };
}

function update(p, g, { m, v }, { decay, beta1, beta2, stepSize, bc2Sqrt, eps }) {
  const w1 = 1 - beta1;
  const w2 = 1 - beta2;
  for (let j = 0; j < p.length; j++) {
    const gj = g[j];
    m[j] = m[j] + w1 * (gj - m[j]);
    v[j] = v[j] * beta2 + w2 * gj * gj;
    p[j] = p[j] * decay - (stepSize * m[j]) / (Math.sqrt(v[j]) / bc2Sqrt + eps);
  }
}
