def update(a, xb, yb, lr):
    """One gradient-descent step on a mini-batch (xb, yb); returns the new a."""
    y_hat = matvec(xb, a)  # x@a
    grad = mse_grad(xb, y_hat, yb)  # the gradient of the MSE with respect to a
    return [ai - lr * gi for ai, gi in zip(a, grad)]  # step against the gradient
