"""NumPy loop references of the proxy / sub-centre heads and of the Proxy-Anchor loss."""

import math

import numpy as np


def _unit(v):
    v = np.asarray(v, np.float64)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _cos(a, b):
    return float(np.clip(_unit(a) @ _unit(b), -1.0, 1.0))


def proxy_nca(x, proxies, scale):
    return np.array([[-scale * np.sum((_unit(xi) - _unit(p)) ** 2) for p in proxies] for xi in x])


def soft_triple(x, kernel, labels, classes, k, la, gamma, margin):
    out = np.zeros((len(x), classes))
    for i, xi in enumerate(x):
        for c in range(classes):
            sims = [_cos(xi, kernel[:, c * k + j]) for j in range(k)]
            top = max(s / gamma for s in sims)
            weights = [math.exp(s / gamma - top) for s in sims]
            total = sum(weights)
            s_c = sum(w / total * s for w, s in zip(weights, sims, strict=True))
            if labels is not None and labels[i] == c:
                s_c -= margin
            out[i, c] = la * s_c
    return out


def sub_center_arcface(x, kernel, labels, classes, k, margin, scale):
    out = np.zeros((len(x), classes))
    for i, xi in enumerate(x):
        for c in range(classes):
            cos = max(_cos(xi, kernel[:, c * k + j]) for j in range(k))
            if labels is not None and labels[i] == c:
                theta = math.acos(cos)
                cos = (
                    math.cos(theta + margin)
                    if theta + margin <= math.pi
                    else (cos - margin * math.sin(margin))
                )
            out[i, c] = scale * cos
    return out


def proxy_anchor_loss(sims, labels, margin=0.1, alpha=32.0):
    n, classes = sims.shape
    pos_total, with_pos, neg_total = 0.0, 0, 0.0
    for c in range(classes):
        pos = [sims[i, c] for i in range(n) if labels[i] == c]
        neg = [sims[i, c] for i in range(n) if labels[i] != c]
        if pos:
            with_pos += 1
            pos_total += math.log(1 + sum(math.exp(-alpha * (s - margin)) for s in pos))
        neg_total += math.log(1 + sum(math.exp(alpha * (s + margin)) for s in neg))
    return (pos_total / with_pos if with_pos else 0.0) + neg_total / classes


def sparse_ce(logits, labels):
    total = 0.0
    for row, y in zip(logits, labels, strict=True):
        top = max(row)
        total += top + math.log(sum(math.exp(v - top) for v in row)) - row[y]
    return total / len(labels)
