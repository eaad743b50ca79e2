"""Gradient descent for ``y = x@a`` in pure Python: no numpy, no torch.

The same file runs unchanged in CPython and in Pyodide. The SGD widget runs it
in the reader's browser; the tests check it step by step against the PyTorch
version, ``training/sgd_linear.py``, on the same data.

Shapes, as in the lesson: ``x`` is a list of rows ``[x_i, 1.0]`` (the column of
ones turns the second coefficient into the intercept), ``a`` is ``[a0, a1]`` and
``y`` is a list of numbers, so ``x@a`` is ``[a0*x_i + a1 for each row]``.
"""

import math
import random

__all__ = ["matvec", "mse", "mse_grad", "update", "batches", "fit", "least_squares"]


def matvec(x, a):
    """x@a: the dot product of every row of x with a."""
    return [sum(xij * aj for xij, aj in zip(row, a)) for row in x]


def mse(y_hat, y):
    """Mean squared error. (d*d rather than d**2: it overflows to inf instead of raising.)"""
    return sum((p - t) * (p - t) for p, t in zip(y_hat, y)) / len(y)


def mse_grad(x, y_hat, y):
    """d mse / d a = 2/n * x^T (x@a - y): what loss.backward() leaves in a.grad."""
    n = len(y)
    return [2 / n * sum((p - t) * row[j] for row, p, t in zip(x, y_hat, y)) for j in range(len(x[0]))]


# --8<-- [start:update]
def update(a, xb, yb, lr):
    """One gradient-descent step on a mini-batch (xb, yb); returns the new a."""
    y_hat = matvec(xb, a)  # x@a
    grad = mse_grad(xb, y_hat, yb)  # the gradient of the MSE with respect to a
    return [ai - lr * gi for ai, gi in zip(a, grad)]  # step against the gradient
# --8<-- [end:update]


# --8<-- [start:batches]
def batches(n, batch_size, steps, seed):
    """The row indices each step uses, for ``steps`` steps.

    batch_size 0 (or >= n) means every step sees all n points: plain gradient
    descent. Otherwise it is mini-batch SGD: each epoch shuffles the rows
    (seeded, so the run can be repeated) and walks through them batch_size at
    a time; the last batch of an epoch may be smaller, as with a DataLoader.
    """
    if not batch_size or batch_size >= n:
        return [list(range(n)) for _ in range(steps)]
    rng = random.Random(seed)
    out = []
    while len(out) < steps:
        order = list(range(n))
        rng.shuffle(order)
        out.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return out[:steps]
# --8<-- [end:batches]


def _as_vector(a, size):
    """Check what an update() returned: a list of `size` numbers."""
    try:
        vec = [float(v) for v in a]
    except TypeError:
        raise TypeError(f"update() must return the new a as a list of {size} numbers, got {a!r}") from None
    if len(vec) != size:
        raise ValueError(f"update() must return {size} numbers, got {len(vec)}")
    return vec


def fit(x, y, a, lr, steps, batch_size=0, seed=0, update=update, momentum=0.0):
    """Run ``steps`` updates from ``a``.

    Returns ``{"a": [...], "loss": [...], "diverged": bool}`` where ``a[k]`` is the
    coefficient after k steps (``a[0]`` is the start) and ``loss[k]`` the MSE of
    ``a[k]`` on all the data. A run whose loss stops being a finite number is
    cut there and marked diverged.

    momentum (β, the "heavy ball"): every step also carries on ``momentum`` times the
    step before it, ``a[k+1] = update(a[k]) + β·(a[k] - a[k-1])``, whatever update()
    does. With the lesson's update() this is PyTorch's SGD(momentum=β): there
    ``v = β·v + grad; a -= lr·v``, and ``-lr·v`` is exactly that step.
    """
    a = _as_vector(a, len(x[0]))
    trajectory, losses = [a], [mse(matvec(x, a), y)]
    diverged = False
    last_step = [0.0] * len(a)
    for idx in batches(len(y), batch_size, steps, seed):
        new_a = _as_vector(update(a, [x[i] for i in idx], [y[i] for i in idx], lr), len(a))
        if momentum:
            new_a = [v + momentum * d for v, d in zip(new_a, last_step)]
        loss = mse(matvec(x, new_a), y)
        if not (math.isfinite(loss) and all(math.isfinite(v) for v in new_a)):
            diverged = True
            break
        last_step = [v - w for v, w in zip(new_a, a)]
        a = new_a
        trajectory.append(a)
        losses.append(loss)
    return {"a": trajectory, "loss": losses, "diverged": diverged}


def least_squares(x, y):
    """The exact best a for two columns: solve (x^T x) a = x^T y by Cramer's rule."""
    s00 = sum(r[0] * r[0] for r in x)
    s01 = sum(r[0] * r[1] for r in x)
    s11 = sum(r[1] * r[1] for r in x)
    t0 = sum(r[0] * v for r, v in zip(x, y))
    t1 = sum(r[1] * v for r, v in zip(x, y))
    det = s00 * s11 - s01 * s01
    return [(t0 * s11 - s01 * t1) / det, (s00 * t1 - s01 * t0) / det]
