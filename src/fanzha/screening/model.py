"""Linear models over hashed n-grams plus dense features, stored as ``.npz`` and scored with numpy."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from fanzha.screening.features import ngram_scale

MODEL_NAMES = ("message_binary", "message_typology", "listing_binary", "listing_category")


@dataclass(frozen=True)
class LinearModel:
    """``logit = sum(W[ngram buckets]) * ngram_scale(#ngrams) + dense . V + b`` (one column per class).

    ``ngram_scale`` is ``1/sqrt(n)`` up to a knee and ``sqrt(knee)/n`` above it (features.py).

    Attributes:
        name: Model name (file stem).
        classes: Class names; a binary model has the single class ``positive``.
        weights: ``(2**bits, C)`` float32 table indexed by n-gram bucket.
        dense_weights: ``(D, C)`` float32 weights of the dense block.
        bias: ``(C,)`` float32.
        dense_names: Names of the dense features the model was trained with.
        categories: Lexicon categories in the order of the ``lex:*`` dense features.
        threshold: Decision threshold on the probability (binary models).
        meta: Training provenance (seed, data, version, measured validation figures).
    """

    name: str
    classes: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    dense_weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    dense_names: tuple[str, ...]
    categories: tuple[str, ...]
    threshold: float
    bits: int
    meta: dict[str, Any]

    @property
    def binary(self) -> bool:
        return len(self.classes) == 1

    def logits(
        self, hashes: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64], dense: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Logits ``(N, C)`` for ``N`` texts whose hashes are ``hashes[offsets[i]:offsets[i+1]]``."""
        n = offsets.shape[0] - 1
        counts = np.diff(offsets)
        gathered = self.weights[hashes]
        sums = np.zeros((n, self.weights.shape[1]), dtype=np.float32)
        nonempty = counts > 0
        if hashes.shape[0]:
            reduced = np.add.reduceat(gathered, offsets[:-1][nonempty], axis=0)
            sums[nonempty] = reduced
        scale = ngram_scale(counts)
        out: npt.NDArray[np.float32] = sums * scale[:, None] + dense @ self.dense_weights + self.bias
        return out

    def save(self, path: Path) -> None:
        """Write the model (weights in float16 to keep the package small)."""
        header = {
            "name": self.name,
            "classes": list(self.classes),
            "dense_names": list(self.dense_names),
            "categories": list(self.categories),
            "threshold": self.threshold,
            "bits": self.bits,
            "meta": self.meta,
        }
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            dense_weights=self.dense_weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8),
        )

    @classmethod
    def load(cls, data: Any) -> LinearModel:
        """Load from a path or a binary file object."""
        with np.load(data, allow_pickle=False) as npz:
            header = json.loads(bytes(npz["header"]).decode())
            return cls(
                name=header["name"],
                classes=tuple(header["classes"]),
                weights=npz["weights"].astype(np.float32),
                dense_weights=npz["dense_weights"].astype(np.float32),
                bias=npz["bias"].astype(np.float32),
                dense_names=tuple(header["dense_names"]),
                categories=tuple(header["categories"]),
                threshold=float(header["threshold"]),
                bits=int(header["bits"]),
                meta=header["meta"],
            )


class ModelSet:
    """The four shipped models, loaded together, with their weights stacked into one table.

    Every model reads the same hashed n-grams and the same dense block, so the four weight tables
    are laid side by side in one ``(2**bits, 2 + T + K)`` table (columns: message fraud, listing
    trading, the ``T`` typology classes, the ``K`` listing categories). One text then needs one
    gather of contiguous rows instead of four scattered ones; each model's ``weights`` is a view
    of its columns, so nothing is stored twice.

    Attributes:
        weights, dense_weights, bias: The stacked tables.
        fraud, trade: Columns of the two binary models.
        typology, category: Column slices of the typology and category heads.
    """

    def __init__(self, models: dict[str, LinearModel]) -> None:
        names = ("message_binary", "listing_binary", "message_typology", "listing_category")
        order = [models[name] for name in names]
        first = order[0]
        for model in order[1:]:
            if (model.dense_names, model.categories, model.bits) != (first.dense_names, first.categories, first.bits):
                raise ValueError(f"model {model.name} was trained with another feature layout than {first.name}")
        self.weights: npt.NDArray[np.float32] = np.ascontiguousarray(
            np.concatenate([m.weights for m in order], axis=1), dtype=np.float32
        )
        self.dense_weights: npt.NDArray[np.float32] = np.ascontiguousarray(
            np.concatenate([m.dense_weights for m in order], axis=1), dtype=np.float32
        )
        self.bias: npt.NDArray[np.float32] = np.concatenate([m.bias for m in order]).astype(np.float32)
        self.categories = first.categories
        bounds = np.cumsum([0] + [len(m.classes) for m in order]).tolist()
        slices = [slice(a, b) for a, b in pairwise(bounds)]
        self.fraud = 0
        self.trade = 1
        self.typology = slices[2]
        self.category = slices[3]
        self.models = {
            name: replace(m, weights=self.weights[:, sl], dense_weights=self.dense_weights[:, sl], bias=self.bias[sl])
            for name, m, sl in zip(names, order, slices, strict=True)
        }
        self.message_binary = self.models["message_binary"]
        self.listing_binary = self.models["listing_binary"]
        self.message_typology = self.models["message_typology"]
        self.listing_category = self.models["listing_category"]


def load_models(directory: Path | None = None) -> ModelSet:
    """Load the shipped models (or those in ``directory``)."""
    models: dict[str, LinearModel] = {}
    for name in MODEL_NAMES:
        if directory is not None:
            models[name] = LinearModel.load(directory / f"{name}.npz")
        else:
            ref = resources.files("fanzha.screening").joinpath("models").joinpath(f"{name}.npz")
            with ref.open("rb") as fh:
                models[name] = LinearModel.load(fh)
    return ModelSet(models)


_lock = threading.Lock()
_models: ModelSet | None = None


def get_models() -> ModelSet:
    """The process-wide model set, loaded once on first use (thread-safe)."""
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                _models = load_models()
    return _models


def set_models(models: ModelSet | None) -> None:
    """Replace the process-wide models (training scripts and tests use this)."""
    global _models
    with _lock:
        _models = models
