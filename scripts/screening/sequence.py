"""In-domain sequence heads for ``scripts/evaluate.py --sequence`` (research only, never shipped).

What a small sequence model trained from scratch does on each public dataset's own splits, next to
the linear n-gram heads of ``evaluate.py``. Two architectures over the raw characters:

* ``charcnn`` - character embeddings, 1-D convolutions of widths 2-5, ReLU, max-pool over time,
  dropout, a linear layer (Kim 2014 / Zhang et al. 2015, shallow);
* ``bigru``   - character embeddings, one bidirectional GRU layer (packed, so padding never enters),
  masked max- and mean-pool, dropout, a linear layer.

Both are trained on the train rows only, with class-balanced cross-entropy, and early-stopped on
the validation rows (binary: F1 at the best validation threshold; multi-class: macro-F1); the state
of the best validation epoch is kept. Each one is also averaged with the best linear head of
``evaluate.py`` after calibrating both on the validation rows (Platt scaling for binary scores,
temperature scaling for class margins). Nothing here reads a test row except to score it once the
model is fixed; callers pass ``test_texts=None`` for validation-only runs.

Reproducible: fixed seeds (``random``, numpy, torch), one thread (``torch.set_num_threads(1)``),
deterministic algorithms where torch has them, batch composition that does not depend on the
clock. The shipped models never use this module or torch.
"""

from __future__ import annotations

import copy
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SEED = 20261129  # the same seed as scripts/screening/common.py
ARCHS = ("charcnn", "bigru")


@dataclass(frozen=True)
class Settings:
    """Hyper-parameters, the same for every dataset except ``max_len`` (fixed before any run)."""

    max_len: int = 256  # characters kept from the start of each text
    min_count: int = 2  # characters seen fewer times in the train rows map to <unk>
    emb: int = 48
    filters: int = 96  # per convolution width
    widths: tuple[int, ...] = (2, 3, 4, 5)
    hidden: int = 64  # per GRU direction
    dropout: float = 0.3
    batch: int = 64
    lr: float = 2e-3
    max_epochs: int = 12
    patience: int = 3  # epochs without a validation gain before stopping


@dataclass
class Candidate:
    """One sequence configuration's scores: binary ``(n,)`` in [0, 1] or class probabilities ``(n, k)``."""

    name: str
    p_va: np.ndarray
    p_te: np.ndarray | None
    info: dict[str, object] = field(default_factory=dict)


def seed_everything(seed: int = SEED) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)


class Vocab:
    """Character vocabulary of the train rows: 0 is padding, 1 is <unk>."""

    def __init__(self, texts: Sequence[str], min_count: int) -> None:
        counts = Counter(ch for t in texts for ch in t)
        kept = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        self.index = {c: i + 2 for i, c in enumerate(kept)}

    def __len__(self) -> int:
        return len(self.index) + 2

    def encode(self, texts: Sequence[str], max_len: int) -> list[np.ndarray]:
        out = []
        for t in texts:
            ids = [self.index.get(c, 1) for c in t[:max_len]] or [1]
            out.append(np.asarray(ids, dtype=np.int64))
        return out


def _pad(seqs: Sequence[np.ndarray], min_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    x = np.zeros((len(seqs), max(min_len, int(lengths.max()))), dtype=np.int64)
    for i, s in enumerate(seqs):
        x[i, : len(s)] = s
    return torch.from_numpy(x), torch.from_numpy(lengths)


class CharCNN(nn.Module):
    def __init__(self, vocab: int, n_out: int, s: Settings) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, s.emb, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(s.emb, s.filters, w) for w in s.widths)
        self.drop = nn.Dropout(s.dropout)
        self.out = nn.Linear(s.filters * len(s.widths), n_out)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        e = self.emb(x).transpose(1, 2)  # (B, E, L)
        pos = torch.arange(x.size(1))[None, :]
        pooled = []
        for conv in self.convs:
            h = F.relu(conv(e))  # (B, F, L - w + 1)
            valid = pos[:, : h.size(2)] < lengths[:, None]  # windows that start inside the text
            pooled.append(h.masked_fill(~valid[:, None, :], 0.0).amax(dim=2))
        return self.out(self.drop(torch.cat(pooled, dim=1)))


class BiGRU(nn.Module):
    def __init__(self, vocab: int, n_out: int, s: Settings) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, s.emb, padding_idx=0)
        self.gru = nn.GRU(s.emb, s.hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(s.dropout)
        self.out = nn.Linear(4 * s.hidden, n_out)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.emb(x), lengths, batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=x.size(1))
        mask = (torch.arange(x.size(1))[None, :] < lengths[:, None]).unsqueeze(2)  # (B, L, 1)
        mx = h.masked_fill(~mask, -1e4).amax(dim=1)
        mean = (h * mask).sum(dim=1) / lengths[:, None].clamp(min=1)
        return self.out(self.drop(torch.cat([mx, mean], dim=1)))


def _model(arch: str, vocab: int, n_out: int, s: Settings) -> nn.Module:
    if arch == "charcnn":
        return CharCNN(vocab, n_out, s)
    if arch == "bigru":
        return BiGRU(vocab, n_out, s)
    raise ValueError(arch)


def _train_batches(ids: Sequence[np.ndarray], batch: int, rng: np.random.RandomState) -> Iterator[np.ndarray]:
    """Shuffled batches of similar length (sorted inside pools of 50 batches, then shuffled)."""
    order = rng.permutation(len(ids))
    pool = 50 * batch
    batches = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: len(ids[j]))
        batches += [np.asarray(chunk[k : k + batch]) for k in range(0, len(chunk), batch)]
    for b in rng.permutation(len(batches)):
        yield batches[b]


def predict(model: nn.Module, ids: Sequence[np.ndarray], min_len: int, batch: int = 256) -> np.ndarray:
    """Class probabilities ``(n, k)``; batches sorted by length, results in the input order."""
    model.eval()
    order = np.argsort([len(s) for s in ids], kind="stable")
    out = np.zeros((len(ids), 0), dtype=np.float64)
    parts = []
    with torch.no_grad():
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            x, lengths = _pad([ids[j] for j in idx], min_len)
            parts.append(torch.softmax(model(x, lengths), dim=1).double().numpy())
    probs = np.concatenate(parts) if parts else out
    result = np.zeros_like(probs)
    result[order] = probs
    return result


def best_f1(p: np.ndarray, y: np.ndarray) -> float:
    """Validation F1 at the best threshold of the same grid as ``common.best_threshold``."""
    best = 0.0
    for t in np.linspace(0.05, 0.95, 91):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        best = max(best, 2 * tp / max(1.0, float(np.sum(pred)) + float(np.sum(y == 1))))
    return best


def macro_f1(y: np.ndarray, guess: np.ndarray, k: int) -> float:
    scores = []
    for c in range(k):
        tp = float(np.sum((y == c) & (guess == c)))
        fp = float(np.sum((y != c) & (guess == c)))
        fn = float(np.sum((y == c) & (guess != c)))
        scores.append(2 * tp / max(1.0, 2 * tp + fp + fn))
    return float(np.mean(scores))


def train_one(
    arch: str,
    vocab: Vocab,
    ids_tr: Sequence[np.ndarray],
    y_tr: np.ndarray,
    ids_va: Sequence[np.ndarray],
    score: Callable[[np.ndarray], float],
    n_classes: int,
    s: Settings,
    seed: int = SEED,
) -> tuple[nn.Module, np.ndarray, dict[str, object]]:
    """Train ``arch`` on the train rows, early-stopped on ``score(validation probabilities)``.

    Returns the model of the best validation epoch (ties: the earlier epoch), its validation
    probabilities and a log (epochs run, best epoch, per-epoch validation score, seconds).
    """
    seed_everything(seed)
    model = _model(arch, len(vocab), n_classes, s)
    counts = np.bincount(y_tr, minlength=n_classes).astype(np.float64)
    weights = torch.tensor(len(y_tr) / (n_classes * np.maximum(counts, 1.0)), dtype=torch.float32)
    optimiser = torch.optim.Adam(model.parameters(), lr=s.lr)
    rng = np.random.RandomState(seed)
    min_len = max(s.widths)
    y_t = torch.from_numpy(y_tr.astype(np.int64))
    t0 = time.time()
    best: tuple[float, int, dict[str, torch.Tensor], np.ndarray] | None = None
    history: list[float] = []
    for epoch in range(1, s.max_epochs + 1):
        model.train()
        for idx in _train_batches(ids_tr, s.batch, rng):
            x, lengths = _pad([ids_tr[j] for j in idx], min_len)
            loss = F.cross_entropy(model(x, lengths), y_t[idx], weight=weights)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
        p_va = predict(model, ids_va, min_len)
        value = score(p_va)
        history.append(round(value, 4))
        if best is None or value > best[0]:
            best = (value, epoch, copy.deepcopy(model.state_dict()), p_va)
        elif epoch - best[1] >= s.patience:
            break
    assert best is not None
    model.load_state_dict(best[2])
    info: dict[str, object] = {
        "epochs_run": len(history),
        "best_epoch": best[1],
        "val_history": history,
        "train_seconds": round(time.time() - t0, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return model, best[3], info


def sequence_candidates(
    train_texts: Sequence[str],
    y_tr: np.ndarray,
    val_texts: Sequence[str],
    y_va: np.ndarray,
    test_texts: Sequence[str] | None,
    n_classes: int,
    s: Settings,
    archs: Sequence[str] = ARCHS,
    log: Callable[[str], None] | None = None,
) -> list[Candidate]:
    """One candidate per architecture, class probabilities ``(n, n_classes)``.

    ``y_*`` are class indices (0 = the negative class when ``n_classes == 2``). Binary heads are
    early-stopped on the best-threshold validation F1, multi-class ones on validation macro-F1.
    """
    vocab = Vocab(train_texts, s.min_count)
    ids_tr = vocab.encode(train_texts, s.max_len)
    ids_va = vocab.encode(val_texts, s.max_len)
    ids_te = vocab.encode(test_texts, s.max_len) if test_texts is not None else None

    def score(p: np.ndarray) -> float:
        if n_classes == 2:
            return best_f1(p[:, 1], y_va)
        return macro_f1(y_va, p.argmax(1), n_classes)

    out = []
    for arch in archs:
        model, p_va, info = train_one(arch, vocab, ids_tr, y_tr, ids_va, score, n_classes, s)
        info["vocab"] = len(vocab)
        info["max_len"] = s.max_len
        p_te = predict(model, ids_te, max(s.widths)) if ids_te is not None else None
        if log:
            log(f"# {arch}: {info}")
        out.append(Candidate(arch, p_va, p_te, info))
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def platt(score_va: np.ndarray, y_va: np.ndarray, *others: np.ndarray | None) -> list[np.ndarray | None]:
    """Platt scaling fitted on validation scores in [0, 1]: ``sigmoid(a * logit(p) + b)``.

    Returns the calibrated validation scores followed by each of ``others`` (``None`` stays ``None``).
    Fitted by Newton steps on the log-loss, with a unit ridge towards the identity (a = 1, b = 0)
    that keeps it finite when the validation rows are separable.
    """
    z = _logit(score_va)
    a, b = _platt_fit(z, y_va)

    def apply(q: np.ndarray | None) -> np.ndarray | None:
        return None if q is None else 1 / (1 + np.exp(-np.clip(a * _logit(q) + b, -30, 30)))

    return [apply(score_va), *(apply(q) for q in others)]


def _platt_fit(z: np.ndarray, y_va: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` minimising the log-loss of ``sigmoid(a * z + b)`` plus ``((a - 1)^2 + b^2) / 2``."""

    def loss(a: float, b: float) -> float:
        u = np.clip(a * z + b, -30, 30)
        return float(np.sum(np.logaddexp(0, u) - y_va * u) + ((a - 1) ** 2 + b**2) / 2)

    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(a * z + b, -30, 30)))
        g = np.array([np.sum((p - y_va) * z) + (a - 1), np.sum(p - y_va) + b])
        w = p * (1 - p)
        h = np.array([[np.sum(w * z * z) + 1, np.sum(w * z)], [np.sum(w * z), np.sum(w) + 1]])
        step = np.linalg.solve(h, g)
        # Full Newton steps unless one would raise the loss (saturated scores): then halve it.
        # (Added after the first final run: undamped steps diverged on one consumer average.)
        scale, current = 1.0, loss(a, b)
        while scale > 1e-6 and loss(a - scale * step[0], b - scale * step[1]) > current:
            scale /= 2
        a, b = a - scale * step[0], b - scale * step[1]
        if np.max(np.abs(scale * step)) < 1e-8:
            break
    return float(a), float(b)


def temperature(logits_va: np.ndarray, y_va: np.ndarray, *others: np.ndarray | None) -> list[np.ndarray | None]:
    """Softmax at the temperature (grid 0.05-20, log-spaced) that minimises validation log-loss."""

    def softmax(z: np.ndarray, t: float) -> np.ndarray:
        e = np.exp((z - z.max(axis=1, keepdims=True)) / t)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    losses = [-np.mean(np.log(softmax(logits_va, t)[np.arange(len(y_va)), y_va] + 1e-12)) for t in grid]
    t_best = float(grid[int(np.argmin(losses))])
    return [softmax(logits_va, t_best), *(None if z is None else softmax(z, t_best) for z in others)]


def ensemble_binary(
    seq: Candidate, linear_name: str, lin_va: np.ndarray, lin_te: np.ndarray | None, y_va: np.ndarray
) -> Candidate:
    """Average of the Platt-calibrated sequence and linear scores (each calibrated on validation)."""
    s_va, s_te = platt(seq.p_va, y_va, seq.p_te)
    l_va, l_te = platt(lin_va, y_va, lin_te)
    assert s_va is not None
    assert l_va is not None
    p_te = None if s_te is None or l_te is None else (s_te + l_te) / 2
    return Candidate(f"{seq.name} + {linear_name}", (s_va + l_va) / 2, p_te, {"members": [seq.name, linear_name]})


def ensemble_multi(
    seq: Candidate, linear_name: str, margins_va: np.ndarray, margins_te: np.ndarray | None, y_va: np.ndarray
) -> Candidate:
    """Average of temperature-scaled sequence probabilities and linear class margins (validation-fitted)."""
    s_va, s_te = temperature(np.log(seq.p_va + 1e-12), y_va, None if seq.p_te is None else np.log(seq.p_te + 1e-12))
    l_va, l_te = temperature(margins_va, y_va, margins_te)
    assert s_va is not None
    assert l_va is not None
    p_te = None if s_te is None or l_te is None else (s_te + l_te) / 2
    return Candidate(f"{seq.name} + {linear_name}", (s_va + l_va) / 2, p_te, {"members": [seq.name, linear_name]})
