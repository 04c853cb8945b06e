"""The screening pipeline: normalise, extract, match, score, explain.

Work is done per batch wherever it can be: the lexicon automata run once over the joined batch, the
n-gram hashes and the dense block are computed on arrays, and each model is one gather-and-sum over
the batch. What only a reader of the full verdict needs (spans in the original text, ``Match`` and
``Indicator`` objects, the explanation) is built lazily, on first access, per result; the decision
path reads only ``to_rule_signals()`` and never pays for it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fanzha.screening._arrays import ranges
from fanzha.screening.features import NGRAM_MAX, batch_ngram_hashes, dense_block, dense_one, ngram_scale
from fanzha.screening.indicators import Indicator, RawIndicator, extract_raw, to_indicator
from fanzha.screening.lexicon import VIA, BatchHits, Lexicon, Match, get_lexicon
from fanzha.screening.model import LinearModel, ModelSet, get_models
from fanzha.screening.normalize import Normalized, normalize_many

KINDS = ("message", "listing", "profile", "post")
MAX_CHARS = 20_000
"""Texts are screened on their first ``MAX_CHARS`` characters (the API rejects longer ones)."""

_CONTACT_INDICATORS = frozenset({"wechat", "qq", "telegram", "whatsapp"})

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass
class Features:
    """Everything the models read about a batch of texts (shared with the training scripts).

    Attributes:
        originals: The texts as screened (cut to ``MAX_CHARS``).
        normalized: Their normalised forms.
        hits: Lexicon hits, grouped by text.
        indicators: Raw indicators per text (spans in normalised coordinates).
        hashes: Hashed character n-grams; text ``i`` is ``hashes[offsets[i]:offsets[i+1]]``.
        offsets: See ``hashes``.
    """

    originals: list[str]
    normalized: list[str]
    hits: BatchHits
    indicators: list[list[RawIndicator]]
    hashes: IntArray
    offsets: IntArray
    lexicon: Lexicon
    _dense: dict[tuple[str, ...], FloatArray] = field(default_factory=dict)

    def dense(self, categories: Sequence[str]) -> FloatArray:
        """The dense block laid out for a model trained with lexicon ``categories`` (cached)."""
        key = tuple(categories)
        block = self._dense.get(key)
        if block is None and len(self.normalized) == 1:
            lex = self.lexicon
            block = dense_one(
                self.normalized[0],
                key,
                lex.categories,
                self.hits.term.tolist(),
                self.hits.via.tolist(),
                lex.term_category_list,
                lex.term_weight_list,
                [(r[0], r[4]) for r in self.indicators[0]],
            )[None, :]
            self._dense[key] = block
        elif block is None:
            block = dense_block(
                self.normalized,
                key,
                self.lexicon.categories,
                self.hits,
                self.lexicon.term_category,
                self.lexicon.term_weight,
                [[(r[0], r[4]) for r in found] for found in self.indicators],
            )
            self._dense[key] = block
        return block

    def hit_categories(self, i: int) -> set[str]:
        """Lexicon categories that text ``i`` hit."""
        lo, hi = int(self.hits.ptr[i]), int(self.hits.ptr[i + 1])
        cats = self.lexicon.categories
        return {cats[int(c)] for c in self.lexicon.term_category[self.hits.term[lo:hi]]}


def featurise(texts: Sequence[str]) -> Features:
    """Normalise a batch and extract lexicon hits, indicators and n-gram hashes."""
    originals = [t[:MAX_CHARS] for t in texts]
    normalized = normalize_many(originals)
    lexicon = get_lexicon()
    hits = lexicon.match_batch(normalized)
    indicators = [extract_raw(n, o) for n, o in zip(normalized, originals, strict=True)]
    hashes, offsets = batch_ngram_hashes(normalized)
    return Features(originals, normalized, hits, indicators, hashes, offsets, lexicon)


def logits(model: LinearModel, f: Features, rows: IntArray | None = None) -> FloatArray:
    """Logits ``(N, C)`` of ``model`` for every text of ``f`` (or only for ``rows``)."""
    dense = f.dense(model.categories)
    if rows is None:
        return model.logits(f.hashes, f.offsets, dense)
    counts = f.offsets[rows + 1] - f.offsets[rows]
    offsets = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return model.logits(f.hashes[ranges(f.offsets[rows], counts)], offsets, dense[rows])


def stacked_logits(models: ModelSet, f: Features) -> FloatArray:
    """Logits ``(N, 2 + T + K)`` of all four models at once (columns as in :class:`ModelSet`).

    One gather of contiguous rows from the stacked table per n-gram, summed per text with
    ``np.add.reduceat``, which adds the rows in order, so a text's sums do not depend on the batch
    it came in (``ndarray.sum`` pairs the additions differently). A loop over the texts is faster
    than one ``reduceat`` over the batch: numpy's multi-segment ``reduceat`` on a 2-D array is
    several times slower than one segment per call, and the per-text gather stays cache-resident.
    """
    counts = np.diff(f.offsets)
    n = counts.shape[0]
    table = models.weights
    sums = np.zeros((n, table.shape[1]), dtype=np.float32)
    hashes = f.hashes
    bounds = f.offsets.tolist()
    take, add_at = table.take, np.add.reduceat
    for i in range(n):
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            # Written straight into the row (no temporary, no copy; the same additions).
            add_at(take(hashes[lo:hi], axis=0), _ZERO, axis=0, out=sums[i : i + 1])
    scale = ngram_scale(counts)
    out: FloatArray = sums * scale[:, None] + f.dense(models.categories) @ models.dense_weights + models.bias
    return out


_ZERO = np.zeros(1, dtype=np.int64)


def _sigmoid(x: FloatArray) -> npt.NDArray[np.float64]:
    """Probabilities in float64 (the one-text path computes the same with :mod:`math`)."""
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -30.0, 30.0)))
    return out


def _sigmoid1(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(x, -30.0), 30.0)))


def _softmax(x: FloatArray) -> npt.NDArray[np.float64]:
    x64 = x.astype(np.float64)
    z = np.exp(x64 - x64.max(axis=1, keepdims=True))
    out: npt.NDArray[np.float64] = z / z.sum(axis=1, keepdims=True)
    return out


def _head1(x: list[float]) -> tuple[int, float]:
    """Arg-max class of one text's head logits and its softmax probability."""
    top = max(x)
    best = x.index(top)
    return best, 1.0 / math.fsum(math.exp(v - top) for v in x)


def _to_risk1(p: float, threshold: float) -> float:
    """:func:`_to_risk` of one probability (the same float64 operations)."""
    if p < threshold:
        return 0.5 * p / threshold
    return 0.5 + 0.5 * (p - threshold) / max(1e-9, 1.0 - threshold)


def _to_risk(p: npt.NDArray[np.float64], threshold: float | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Map probabilities so that the model's threshold lands on 0.5 (one threshold per column)."""
    below = 0.5 * p / threshold
    above = 0.5 + 0.5 * (p - threshold) / np.maximum(1e-9, 1.0 - threshold)
    out: npt.NDArray[np.float64] = np.where(p < threshold, below, above)
    return out


class _Detail:
    """What a result needs to build its spans, matches and explanation on demand."""

    __slots__ = ("cat_p", "f", "fraud_p", "i", "lock", "models", "trade_p", "typ_p")

    def __init__(
        self,
        f: Features,
        i: int,
        models: ModelSet,
        fraud_p: float,
        trade_p: float,
        typ_p: float | None,
        cat_p: float | None,
        lock: threading.Lock,
    ) -> None:
        self.f = f
        self.i = i
        self.models = models
        self.fraud_p = fraud_p
        self.trade_p = trade_p
        self.typ_p = typ_p
        self.cat_p = cat_p
        self.lock = lock  # one per batch: lazy builds are rare and short

    def build(self, result: ScreeningResult) -> tuple[list[Indicator], list[Match], list[str]]:
        f, i = self.f, self.i
        norm = Normalized(f.originals[i], f.normalized[i])
        indicators = [to_indicator(norm, raw) for raw in f.indicators[i]]
        lo, hi = int(f.hits.ptr[i]), int(f.hits.ptr[i + 1])
        terms = f.lexicon.terms
        matches = [
            Match(t.term, t.category, norm.to_original(int(a), int(b)), VIA[int(v)], t.weight)
            for t, a, b, v in zip(
                (terms[int(k)] for k in f.hits.term[lo:hi]),
                f.hits.start[lo:hi],
                f.hits.end[lo:hi],
                f.hits.via[lo:hi],
                strict=True,
            )
        ]
        return indicators, matches, self._explain(result, matches, indicators)

    def _explain(self, result: ScreeningResult, matches: list[Match], indicators: list[Indicator]) -> list[str]:
        m = self.models
        out: list[str] = []
        if "fraud" in result.labels:
            out.append(
                f"fraud model p={self.fraud_p:.2f} (threshold {m.message_binary.threshold:.2f}); "
                f"typology {result.typology} p={self.typ_p or 0.0:.2f}"
            )
            grams = self._top_ngrams(m.message_binary)
            if grams:
                out.append("text driving the fraud score: " + ", ".join(repr(g) for g in grams))
        if "card_trading" in result.labels:
            category = next(lab.split(":", 1)[1] for lab in result.labels if lab.startswith("card_trading:"))
            out.append(
                f"card/account-trading model p={self.trade_p:.2f} (threshold {m.listing_binary.threshold:.2f}); "
                f"category {category} p={self.cat_p or 0.0:.2f}"
            )
            grams = self._top_ngrams(m.listing_binary)
            if grams:
                out.append("text driving the trading score: " + ", ".join(repr(g) for g in grams))
        if "needs_review" in result.labels:
            out.append("anti-fraud/news context words present: send to review, not auto-action")
        strong = [x for x in matches if x.weight > 0 and x.category != "trade_intent"]
        if strong:
            shown = ", ".join(f"{x.term!r} ({x.category}{'' if x.via == 'text' else ', ' + x.via})" for x in strong[:8])
            out.append("lexicon terms: " + shown)
        for ind in indicators:
            if ind.flags:
                out.append(f"indicator {ind.type} {ind.value}: {', '.join(ind.flags)}")
        if not out:
            out.append(f"no fraud or trading signal (fraud p={self.fraud_p:.2f}, trading p={self.trade_p:.2f})")
        return out

    def _top_ngrams(self, model: LinearModel, k: int = 3) -> list[str]:
        """Substrings of the normalised text whose n-gram weights pushed the score up most."""
        f, i = self.f, self.i
        padded = f" {f.normalized[i]} "
        n = len(padded)
        weights = model.weights[f.hashes[f.offsets[i] : f.offsets[i + 1]], 0]
        # Hashes are laid out order by order: n 1-grams, n-1 2-grams, ...
        part_starts = [0]
        for order in range(1, NGRAM_MAX):
            part_starts.append(part_starts[-1] + max(0, n - order + 1))
        best: dict[str, float] = {}
        for pos in np.argsort(-weights)[: 4 * k]:
            p = int(pos)
            order = max(j for j, start in enumerate(part_starts) if start <= p) + 1
            s = p - part_starts[order - 1]
            gram = padded[s : s + order].strip()
            if len(gram) >= 2 and weights[p] > 0:
                best.setdefault(gram, float(weights[p]))
        return list(best)[:k]


class ScreeningResult:
    """The verdict on one text, with its explanation.

    Attributes:
        risk: 0..1; ``flagged`` is ``risk >= 0.5`` (each model's threshold is mapped to 0.5).
        flagged: True when the text should be acted on (a fraud message, a listing to delist).
        labels: ``fraud``, ``typology:<code>``, ``card_trading``, ``card_trading:<category>``,
            ``contact_diversion``, ``warning_context``, ``needs_review`` and indicator labels.
        typology: MPS typology code of a flagged fraud text (``T01_task_rebate`` ...), else None.
        indicators: Extracted indicators with original spans.
        matches: Lexicon hits with original spans.
        normalized: The normalised text the models saw.
        kind: ``message``, ``listing``, ``profile`` or ``post``.
        scores: Raw model probabilities (``fraud``, ``card_trading``).
        explanation: Human-readable reasons, most important first.

    ``indicators``, ``matches`` and ``explanation`` of a result made by :func:`screen` are computed
    on first access (mapping spans back to the original is most of the cost of a verdict).
    Results are read-only.
    """

    __slots__ = (
        "_detail",
        "_explanation",
        "_indicators",
        "_matches",
        "_signal_indicators",
        "flagged",
        "kind",
        "labels",
        "normalized",
        "risk",
        "scores",
        "typology",
    )

    def __init__(
        self,
        risk: float,
        flagged: bool,
        labels: list[str],
        typology: str | None,
        indicators: list[Indicator] | None = None,
        matches: list[Match] | None = None,
        normalized: str = "",
        kind: str = "message",
        scores: dict[str, float] | None = None,
        explanation: list[str] | None = None,
        *,
        detail: _Detail | None = None,
        signal_indicators: list[tuple[str, str]] | None = None,
    ) -> None:
        self.risk = risk
        self.flagged = flagged
        self.labels = labels
        self.typology = typology
        self.normalized = normalized
        self.kind = kind
        self.scores = scores if scores is not None else {}
        self._detail = detail
        self._indicators: list[Indicator] | None = indicators
        self._matches: list[Match] | None = matches
        self._explanation: list[str] | None = explanation
        if signal_indicators is None:
            signal_indicators = [(i.type, i.value) for i in indicators or []]
        self._signal_indicators = signal_indicators

    def _fill(self) -> None:
        detail = self._detail
        if detail is None:
            return
        with detail.lock:
            if self._detail is None:
                return
            indicators, matches, explanation = detail.build(self)
            if self._indicators is None:
                self._indicators = indicators
            if self._matches is None:
                self._matches = matches
            if self._explanation is None:
                self._explanation = explanation
            self._detail = None

    @property
    def indicators(self) -> list[Indicator]:
        """Extracted indicators with spans in the original text."""
        if self._indicators is None:
            self._fill()
        return self._indicators or []

    @property
    def matches(self) -> list[Match]:
        """Lexicon hits with spans in the original text."""
        if self._matches is None:
            self._fill()
        return self._matches or []

    @property
    def explanation(self) -> list[str]:
        """Human-readable reasons, most important first."""
        if self._explanation is None:
            self._fill()
        return self._explanation or []

    def to_rule_signals(self) -> dict[str, object]:
        """The plain dict the rule engine exposes to CEL rules as ``screen``."""
        return {
            "risk": float(self.risk),
            "flagged": bool(self.flagged),
            "labels": list(self.labels),
            "typology": self.typology or "",
            "indicators": [{"type": t, "value": v} for t, v in self._signal_indicators],
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScreeningResult):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.risk, self.flagged, tuple(self.labels), self.typology, self.normalized, self.kind))

    def _key(self) -> tuple[object, ...]:
        return (
            self.risk,
            self.flagged,
            self.labels,
            self.typology,
            self.indicators,
            self.matches,
            self.normalized,
            self.kind,
            self.scores,
            self.explanation,
        )

    def __repr__(self) -> str:
        return (
            f"ScreeningResult(risk={self.risk!r}, flagged={self.flagged!r}, labels={self.labels!r}, "
            f"typology={self.typology!r}, kind={self.kind!r})"
        )


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def screen_many(texts: Sequence[str], kind: str = "message") -> list[ScreeningResult]:
    """Screen many texts of one kind; the whole batch is matched and scored at once."""
    _check(kind)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError("texts must be str")
    if not texts:
        return []
    models = get_models()
    f = featurise(texts)
    mb, mt, lb, lc = models.message_binary, models.message_typology, models.listing_binary, models.listing_category
    z = stacked_logits(models, f)
    n = len(texts)
    head_rows: list[list[float]] = []
    if n == 1:
        # One text: plain floats (numpy's per-call cost dominates); the same float64 operations as
        # the batch branch, so both give the same verdicts (the tests check them against each other).
        row = z[0].tolist()
        fraud_p = [_sigmoid1(row[models.fraud])]
        trade_p = [_sigmoid1(row[models.trade])]
        fraud_r = [_to_risk1(fraud_p[0], mb.threshold)]
        trade_r = [_to_risk1(trade_p[0], lb.threshold)]
        head_rows = [row]
    else:
        # Both binary columns in one pass (elementwise the same operations as one at a time).
        probs2 = _sigmoid(z[:, [models.fraud, models.trade]])
        risks2 = _to_risk(probs2, np.array([mb.threshold, lb.threshold]))
        fraud_p, trade_p = probs2[:, 0].tolist(), probs2[:, 1].tolist()
        fraud_r, trade_r = risks2[:, 0].tolist(), risks2[:, 1].tolist()
    if kind == "listing":
        # Listings are judged by the listing model; the message model, trained on conversations,
        # only adds a fraud label when it is very sure.
        fraud_r = [r if r >= 0.9 else min(r, 0.49) for r in fraud_r]
    risk = [min(max(a, b, 0.0), 1.0) for a, b in zip(fraud_r, trade_r, strict=True)]
    # The typology and category heads are read only for the texts that need them.
    typology: list[str | None] = [None] * n
    typ_p: list[float | None] = [None] * n
    category: list[str | None] = [None] * n
    cat_p: list[float | None] = [None] * n
    for head, columns, head_risk, names, probs in (
        (mt, models.typology, fraud_r, typology, typ_p),
        (lc, models.category, trade_r, category, cat_p),
    ):
        positive = [i for i, r in enumerate(head_risk) if r >= 0.5]
        if not positive:
            continue
        if head_rows:
            best1, top1 = _head1(head_rows[0][columns])
            names[0] = head.classes[best1]
            probs[0] = top1
            continue
        logit = z[positive, columns]
        # The class is the arg-max of the logits (as in the one-text branch), the softmax only
        # reports its probability.
        best = logit.argmax(axis=1).tolist()
        top = _softmax(logit)[np.arange(len(positive)), best].tolist()
        for row_i, i in enumerate(positive):
            names[i] = head.classes[best[row_i]]
            probs[i] = top[row_i]
    warn_or_contact = _category_flags(f, ("warning_context", "contact_diversion"))
    lock = threading.Lock()
    out: list[ScreeningResult] = []
    for i in range(n):
        raw = f.indicators[i]
        labels: list[str] = []
        if typology[i] is not None:
            labels += ["fraud", f"typology:{typology[i]}"]
        if category[i] is not None:
            labels += ["card_trading", f"card_trading:{category[i]}"]
        warning, contact = warn_or_contact[i]
        if contact or any(r[0] in _CONTACT_INDICATORS for r in raw):
            labels.append("contact_diversion")
        if warning:
            labels.append("warning_context")
            if risk[i] >= 0.5:
                # D4-NORM-06: education and news quoting scam words go to review, never auto-action.
                labels.append("needs_review")
        if raw:
            flags = {fl.split(":", 1)[0] for r in raw for fl in r[4]}
            labels += [f"indicator:{fl}" for fl in sorted(flags)]
        detail = _Detail(f, i, models, fraud_p[i], trade_p[i], typ_p[i], cat_p[i], lock)
        out.append(
            ScreeningResult(
                risk=round(risk[i], 4),
                flagged=risk[i] >= 0.5,
                labels=labels,
                typology=typology[i],
                normalized=f.normalized[i],
                kind=kind,
                scores={"fraud": round(fraud_p[i], 4), "card_trading": round(trade_p[i], 4)},
                detail=detail,
                signal_indicators=[(r[0], r[1]) for r in raw],
            )
        )
    return out


def _category_flags(f: Features, names: tuple[str, str]) -> list[tuple[bool, bool]]:
    """Per text, whether it hit lexicon categories ``names[0]`` and ``names[1]``."""
    cats = f.lexicon.categories
    wanted = [cats.index(n) if n in cats else -1 for n in names]
    n = len(f.originals)
    if n == 1:
        table = f.lexicon.term_category_list
        hit = {table[t] for t in f.hits.term.tolist()}
        return [(wanted[0] in hit, wanted[1] in hit)]
    found = np.zeros((n, 2), dtype=bool)
    if f.hits.term.shape[0]:
        hit_cat = f.lexicon.term_category[f.hits.term]
        for j, c in enumerate(wanted):
            if c >= 0:
                found[f.hits.text[hit_cat == c], j] = True
    return [(bool(a), bool(b)) for a, b in found.tolist()]


def screen(text: str, kind: str = "message") -> ScreeningResult:
    """Screen one text. ``kind`` is ``message``, ``listing``, ``profile`` or ``post``."""
    return screen_many([text], kind)[0]
