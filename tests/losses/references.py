"""NumPy references (explicit loops), ported from TF-Addons' and PML's definitions."""

import numpy as np


def pairwise_distance_np(feature, squared=False):
    n = feature.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                d = np.sum((feature[i] - feature[j]) ** 2)
                out[i, j] = d if squared else np.sqrt(d)
    return out


def angular_distance_np(feature):
    norms = np.linalg.norm(feature, axis=1, keepdims=True)
    normed = feature / np.maximum(norms, 1e-6)
    return np.maximum(1.0 - normed @ normed.T, 0.0)


def distance_np(feature, distance):
    if distance == "angular":
        return angular_distance_np(feature)
    return pairwise_distance_np(feature, squared=distance in ("squared_l2", "squared-L2"))


def triplet_semihard_loss_np(labels, embedding, margin, distance="L2"):
    """TF-Addons' test reference `triplet_semihard_loss_np` (loops)."""
    n = embedding.shape[0]
    pdist = distance_np(embedding, distance)
    loss, num_positives = 0.0, 0.0
    for i in range(n):
        for j in range(n):
            if labels[i] == labels[j] and i != j:
                num_positives += 1.0
                pos_distance = pdist[i][j]
                neg_distances = sorted(pdist[i][k] for k in range(n) if labels[i] != labels[k])
                chosen = neg_distances[0]
                for value in neg_distances:
                    chosen = value
                    if chosen > pos_distance:
                        break
                loss += max(0.0, margin - chosen + pos_distance)
    return loss / num_positives


def triplet_hard_loss_np(labels, embedding, margin, soft=False, distance="L2"):
    """TF-Addons' test reference `triplet_hard_loss_np` (loops)."""
    n = embedding.shape[0]
    pdist = distance_np(embedding, distance)
    loss = 0.0
    for i in range(n):
        pos = [pdist[i][j] for j in range(n) if labels[i] == labels[j] and i != j] or [0.0]
        neg = [pdist[i][j] for j in range(n) if labels[i] != labels[j]]
        gap = max(pos) - min(neg)
        loss += np.log1p(np.exp(gap)) if soft else max(0.0, gap + margin)
    return loss / n


def triplet_batch_all_np(labels, embedding, margin, distance="l2", miner=None, miner_margin=0.2):
    n = embedding.shape[0]
    pdist = distance_np(embedding, distance)
    losses = []
    for a in range(n):
        for p in range(n):
            for q in range(n):
                if a == p or labels[a] != labels[p] or labels[a] == labels[q]:
                    continue
                m = pdist[a, q] - pdist[a, p]
                if miner == "semihard" and not (0 < m <= miner_margin):
                    continue
                if miner == "hard" and not (m <= miner_margin and m <= 0):
                    continue
                losses.append(max(0.0, pdist[a, p] - pdist[a, q] + margin))
    nonzero = [v for v in losses if v > 0]
    return float(np.mean(nonzero)) if nonzero else 0.0


def contrastive_embedding_np(labels, embedding, pos_margin, neg_margin, distance="l2"):
    n = embedding.shape[0]
    pdist = distance_np(embedding, distance)
    pos, neg = [], []
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if labels[i] == labels[j]:
                v = max(0.0, pdist[i, j] - pos_margin)
                if v > 0:
                    pos.append(v)
            else:
                v = max(0.0, neg_margin - pdist[i, j])
                if v > 0:
                    neg.append(v)
    return (np.mean(pos) if pos else 0.0) + (np.mean(neg) if neg else 0.0)


def margin_loss_np(labels, embedding, margin, beta, nu=0.0):
    """PML MarginLoss over all triplets; `beta` per sample."""
    n = embedding.shape[0]
    pdist = pairwise_distance_np(embedding)
    total, count = 0.0, 0
    for a in range(n):
        for p in range(n):
            for q in range(n):
                if a == p or labels[a] != labels[p] or labels[a] == labels[q]:
                    continue
                lp = max(0.0, pdist[a, p] - beta[a] + margin)
                ln = max(0.0, beta[a] - pdist[a, q] + margin)
                total += lp + ln + nu * beta[a]
                count += int(lp > 0) + int(ln > 0)
    return total / count if count else 0.0


def dw_weights_np(embedding, labels, cutoff, nonzero_loss_cutoff):
    e = embedding / np.linalg.norm(embedding, axis=1, keepdims=True)
    n, dim = e.shape
    w = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if labels[i] == labels[j]:
                continue
            d = max(np.linalg.norm(e[i] - e[j]), cutoff)
            if d >= nonzero_loss_cutoff or d >= 2.0:
                continue
            q = d ** (dim - 2) * (1 - 0.25 * d * d) ** ((dim - 3) / 2)
            w[i, j] = 1.0 / q
        if w[i].sum() > 0:
            w[i] /= w[i].sum()
    return w
