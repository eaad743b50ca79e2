# SGD with momentum: each step keeps part of the previous one, like a ball
# rolling downhill that does not stop dead when the slope changes.
beta = 0.9      # the share of the previous step that carries over (0 = plain SGD)
v = [0.0, 0.0]  # the velocity: this gradient plus a fading sum of the earlier ones


def update(a, xb, yb, lr):
    grad = mse_grad(xb, matvec(xb, a), yb)
    for i in range(len(a)):
        v[i] = beta * v[i] + grad[i]
    return [ai - lr * vi for ai, vi in zip(a, v)]
