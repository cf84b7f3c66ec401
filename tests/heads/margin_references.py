"""Independent NumPy references (explicit loops, acos allowed) for the margin heads."""

from __future__ import annotations

import math

import numpy as np


def norm(v):
    return math.sqrt(sum(float(a) * float(a) for a in v))


def cosine_matrix(x, w):
    n, c = x.shape[0], w.shape[1]
    out = np.zeros((n, c))
    for i in range(n):
        for j in range(c):
            dot = sum(float(x[i, d]) * float(w[d, j]) for d in range(x.shape[1]))
            out[i, j] = max(-1.0, min(1.0, dot / (norm(x[i]) * norm(w[:, j]))))
    return out


def lsoftmax(x, w, y, m, lam=0.0, unit_weights=False):
    cos = cosine_matrix(x, w)
    out = np.zeros_like(cos)
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            mag = norm(x[i]) * (1.0 if unit_weights else norm(w[:, j]))
            if y is not None and j == y[i]:
                theta = math.acos(cos[i, j])
                k = min(int(math.floor(theta * m / math.pi)), m - 1)
                psi = (-1) ** k * math.cos(m * theta) - 2 * k
                out[i, j] = mag * (lam * cos[i, j] + psi) / (1 + lam)
            else:
                out[i, j] = mag * cos[i, j]
    return out


def scaled_cosine(x, w, y, scale, target_fn):
    cos = cosine_matrix(x, w)
    out = np.zeros_like(cos)
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            c = cos[i, j]
            out[i, j] = scale * (target_fn(c) if y is not None and j == y[i] else c)
    return out


def arcface_target(margin, easy_margin=False):
    def fn(c):
        theta = math.acos(c)
        if easy_margin:
            return math.cos(theta + margin) if c > 0 else c
        if theta <= math.pi - margin:
            return math.cos(theta + margin)
        return c - margin * math.sin(margin)

    return fn


def combined_target(m1, m2, m3):
    def fn(c):
        theta = math.acos(c)
        limit = (math.pi - m2) / m1
        if theta <= limit:
            return math.cos(m1 * theta + m2) - m3
        return c - (1 + math.cos(limit)) - m3

    return fn


def l2_softmax(x, w, alpha):
    out = np.zeros((x.shape[0], w.shape[1]))
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            out[i, j] = sum(alpha * x[i, d] / norm(x[i]) * w[d, j] for d in range(x.shape[1]))
    return out


def sparse_ce(logits, y):
    total = 0.0
    for i in range(logits.shape[0]):
        row = logits[i] - max(logits[i])
        total += -(row[y[i]] - math.log(sum(math.exp(v) for v in row)))
    return total / logits.shape[0]
