"""NumPy loop references of the pair losses, written from the papers / PML's definitions."""

import math

import numpy as np


def cosine(q, r):
    q = np.asarray(q, np.float64)
    r = np.asarray(r, np.float64)
    out = np.zeros((len(q), len(r)))
    for i in range(len(q)):
        for j in range(len(r)):
            nq, nr = np.linalg.norm(q[i]), np.linalg.norm(r[j])
            out[i, j] = 0.0 if nq == 0 or nr == 0 else q[i] @ r[j] / (nq * nr)
    return out


def batch_pairs(labels):
    n = len(labels)
    pos = [[j for j in range(n) if j != i and labels[j] == labels[i]] for i in range(n)]
    neg = [[j for j in range(n) if labels[j] != labels[i]] for i in range(n)]
    return pos, neg


def _lse(values, add_one=False):
    values = list(values) + ([0.0] if add_one else [])
    if not values:
        return 0.0
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _too_few(pos, neg):
    return sum(map(len, pos)) <= 1 and sum(map(len, neg)) <= 1


def ms_mine(s, pos, neg, epsilon):
    if not any(pos) or not any(neg):
        return [[] for _ in pos], [[] for _ in neg]
    new_pos, new_neg = [], []
    for i in range(len(pos)):
        hardest_neg = max((s[i, n] for n in neg[i]), default=-math.inf)
        easiest_pos = min((s[i, p] for p in pos[i]), default=math.inf)
        new_pos.append([p for p in pos[i] if s[i, p] - epsilon < hardest_neg])
        new_neg.append([n for n in neg[i] if s[i, n] + epsilon > easiest_pos])
    return new_pos, new_neg


def multi_similarity(s, pos, neg, alpha=2.0, beta=50.0, base=0.5, epsilon=None):
    if epsilon is not None:
        pos, neg = ms_mine(s, pos, neg, epsilon)
    if _too_few(pos, neg):
        return 0.0
    total = 0.0
    for i in range(len(pos)):
        total += math.log(1 + sum(math.exp(-alpha * (s[i, p] - base)) for p in pos[i])) / alpha
        total += math.log(1 + sum(math.exp(beta * (s[i, n] - base)) for n in neg[i])) / beta
    return total / len(pos)


def circle(s, pos, neg, m=0.4, gamma=80.0):
    if _too_few(pos, neg):
        return 0.0
    losses = []
    for i in range(len(pos)):
        if not pos[i] or not neg[i]:
            continue
        lp = [-gamma * max(1 + m - s[i, p], 0) * (s[i, p] - (1 - m)) for p in pos[i]]
        ln = [gamma * max(s[i, n] + m, 0) * (s[i, n] - m) for n in neg[i]]
        z = _lse(lp) + _lse(ln)
        losses.append(max(z, 0) + math.log1p(math.exp(-abs(z))))
    losses = [v for v in losses if v > 0]
    return sum(losses) / len(losses) if losses else 0.0


def supcon(s, pos, neg, temperature=0.1):
    if _too_few(pos, neg) or not any(pos) or not any(neg):
        return 0.0
    losses = []
    for i in range(len(pos)):
        if not pos[i]:
            continue
        denominator = _lse([s[i, a] / temperature for a in pos[i] + neg[i]])
        losses.append(-sum(s[i, p] / temperature - denominator for p in pos[i]) / len(pos[i]))
    losses = [v for v in losses if v > 0]
    return sum(losses) / len(losses) if losses else 0.0


def ntxent(s, pos, neg, temperature=0.07):
    if _too_few(pos, neg) or not any(pos) or not any(neg):
        return 0.0
    losses = []
    for i in range(len(pos)):
        for p in pos[i]:
            logits = [s[i, p] / temperature] + [s[i, n] / temperature for n in neg[i]]
            losses.append(_lse(logits) - s[i, p] / temperature)
    return sum(losses) / len(losses)


class NumpyXBM:
    """PML's cross-batch memory step by step, as plain Python lists."""

    def __init__(self, memory_size, dim):
        self.size = memory_size
        self.memory = np.zeros((memory_size, dim))
        self.labels = np.zeros(memory_size, np.int64)
        self.index = 0
        self.filled = 0

    def step(self, x, y, loss_fn, epsilon=None):
        slots = [(self.index + i) % self.size for i in range(len(x))]
        for i, slot in enumerate(slots):
            self.memory[slot] = x[i]
            self.labels[slot] = y[i]
        self.index = (self.index + len(x)) % self.size
        self.filled = min(self.filled + len(x), self.size)
        refs = list(range(self.filled))
        s = cosine(x, self.memory)
        pos = [[j for j in refs if self.labels[j] == y[i]] for i in range(len(x))]
        neg = [[j for j in refs if self.labels[j] != y[i]] for i in range(len(x))]
        if epsilon is not None:
            pos, neg = ms_mine(s, pos, neg, epsilon)
        pos = [[j for j in pos[i] if j != slots[i]] for i in range(len(x))]
        return loss_fn(s, pos, neg)
