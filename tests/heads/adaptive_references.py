"""NumPy references of AdaFace, MagFace and CurricularFace, from the papers' equations."""

import math

import numpy as np


def _cos(a, b):
    return float(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))


def cosines(x, w):
    return np.array([[_cos(x[i], w[:, j]) for j in range(w.shape[1])] for i in range(len(x))])


def adaface(x, w, labels, mean, std, margin=0.4, h=0.333, scale=64.0, alpha=0.01, eps=1e-3):
    """Returns (logits, new_mean, new_std); Kim et al. 2022, Eq. 7-11 and the EMA of Sec. 3.4."""
    norms = [min(max(float(np.linalg.norm(v)), 0.001), 100.0) for v in x]
    batch_mean = sum(norms) / len(norms)
    batch_std = math.sqrt(sum((n - batch_mean) ** 2 for n in norms) / (len(norms) - 1))
    mean = alpha * batch_mean + (1 - alpha) * mean
    std = alpha * batch_std + (1 - alpha) * std
    cos = cosines(x, w)
    logits = np.zeros_like(cos)
    for i in range(len(x)):
        z_hat = min(max((norms[i] - mean) / (std + eps) * h, -1.0), 1.0)
        g_angle, g_add = -margin * z_hat, margin * z_hat + margin
        for j in range(w.shape[1]):
            c = min(max(cos[i, j], -1 + eps), 1 - eps)
            if j == labels[i]:
                theta = min(max(math.acos(c) + g_angle, eps), math.pi - eps)
                c = math.cos(theta) - g_add
            logits[i, j] = scale * c
    return logits, mean, std


def magface(x, w, labels, scale=64.0, l_m=0.45, u_m=0.8, l_a=10.0, u_a=110.0, lambda_g=35.0):
    """Returns (logits, regularizer); Meng et al. 2021, Eq. 4-6 (ArcFace fallback past π - m)."""
    cos = cosines(x, w)
    logits = np.zeros_like(cos)
    reg = 0.0
    for i in range(len(x)):
        a = min(max(float(np.linalg.norm(x[i])), l_a), u_a)
        m = (u_m - l_m) / (u_a - l_a) * (a - l_a) + l_m
        reg += a / u_a**2 + 1 / a
        for j in range(w.shape[1]):
            c = cos[i, j]
            if j == labels[i]:
                theta = math.acos(c)
                c = math.cos(theta + m) if theta + m < math.pi else c - m * math.sin(m)
            logits[i, j] = scale * c
    return logits, lambda_g * reg / len(x)


def curricularface(x, w, labels, t, margin=0.5, scale=64.0, alpha=0.01):
    """Returns (logits, new_t); Huang et al. 2020, Eq. 8-10 with t's EMA (Eq. 11)."""
    cos = cosines(x, w)
    t = alpha * sum(cos[i, labels[i]] for i in range(len(x))) / len(x) + (1 - alpha) * t
    logits = np.zeros_like(cos)
    for i in range(len(x)):
        target = cos[i, labels[i]]
        theta = math.acos(target)
        cos_m = math.cos(theta + margin)
        for j in range(w.shape[1]):
            c = cos[i, j]
            if j == labels[i]:
                c = cos_m if theta + margin < math.pi else c - margin * math.sin(margin)
            elif c > cos_m:
                c = c * (t + c)
            logits[i, j] = scale * c
    return logits, t
