"""Independent NumPy references (explicit loops, math.acos) for the decoupled operators."""

import math

import numpy as np

EPS = 1e-4


def magnitude(name, r, alpha=1.0, rho=1.0, beta=0.5):
    if name == "sphere":
        return alpha
    if name == "ball":
        return alpha * (r / rho if r < rho else 1.0)
    if name == "tanh":
        return alpha * math.tanh(r / rho)
    if name == "linear":
        return alpha * r
    if name == "segmented":
        return alpha * r if r <= rho else beta * r + alpha * rho - beta * rho
    if name == "log":
        return alpha * math.log(1.0 + r)
    if name == "mix":
        return alpha * r + beta * math.log(1.0 + r)
    raise KeyError(name)


def angular(name, c, k=0.3):
    c = min(1.0, max(-1.0, c))
    theta = math.acos(c)
    if name == "linear":
        return 1.0 - 2.0 * theta / math.pi
    if name == "cosine":
        return math.cos(theta)
    if name == "sigmoid":
        a = math.pi / (2.0 * k)
        u = theta / k - a
        return (
            (1.0 + math.exp(-a)) / (1.0 - math.exp(-a)) * (1.0 - math.exp(u)) / (1.0 + math.exp(u))
        )
    if name == "square_cosine":
        return math.copysign(1.0, math.cos(theta)) * math.cos(theta) ** 2
    raise KeyError(name)


def decoupled(
    w,
    x,
    magnitude_name,
    angular_name,
    alpha=1.0,
    rho=1.0,
    beta=0.5,
    k=0.3,
    weighting="none",
    eps=EPS,
):
    """One output from flat vectors w and x."""
    dot = float(np.sum(w * x))
    xn = math.sqrt(float(np.sum(x * x)) + eps)
    wn = math.sqrt(float(np.sum(w * w)) + eps)
    h = magnitude(magnitude_name, xn, alpha, rho, beta)
    if weighting == "linear":
        h *= wn
    elif weighting == "nonlinear":
        h *= magnitude(magnitude_name, wn, 1.0, rho, beta)
    return h * angular(angular_name, dot / (xn * wn), k)


def _same_pad(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2


def conv2d(x, kernel, strides=(1, 1), padding="valid", dilation=(1, 1), rho=None, **kwargs):
    """Decoupled conv, channels last, looping over batch, output pixels and filters."""
    b, hgt, wid, _ = x.shape
    kh, kw, _, filters = kernel.shape
    if padding == "same":
        oh, top = _same_pad(hgt, kh, strides[0], dilation[0])
        ow, left = _same_pad(wid, kw, strides[1], dilation[1])
    else:
        oh = (hgt - (kh - 1) * dilation[0] - 1) // strides[0] + 1
        ow = (wid - (kw - 1) * dilation[1] - 1) // strides[1] + 1
        top = left = 0
    out = np.zeros((b, oh, ow, filters))
    for n in range(b):
        for i in range(oh):
            for j in range(ow):
                patch = np.zeros((kh, kw, x.shape[3]))
                for p in range(kh):
                    for q in range(kw):
                        r = i * strides[0] + p * dilation[0] - top
                        c = j * strides[1] + q * dilation[1] - left
                        if 0 <= r < hgt and 0 <= c < wid:
                            patch[p, q] = x[n, r, c]
                for f in range(filters):
                    extra = {} if rho is None else {"rho": float(np.ravel(rho)[f])}
                    out[n, i, j, f] = decoupled(kernel[..., f], patch, **kwargs, **extra)
    return out


def dense(x, kernel, rho=None, **kwargs):
    out = np.zeros((x.shape[0], kernel.shape[1]))
    for n in range(x.shape[0]):
        for f in range(kernel.shape[1]):
            extra = {} if rho is None else {"rho": float(np.ravel(rho)[f])}
            out[n, f] = decoupled(kernel[:, f], x[n], **kwargs, **extra)
    return out
