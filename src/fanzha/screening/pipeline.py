"""The screening pipeline: normalise, extract, match, score, explain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fanzha.screening.features import NGRAM_MAX, dense_features, ngram_hashes
from fanzha.screening.indicators import Indicator, extract
from fanzha.screening.lexicon import Match, Term, get_lexicon
from fanzha.screening.model import LinearModel, ModelSet, get_models
from fanzha.screening.normalize import Normalized, Views

KINDS = ("message", "listing", "profile", "post")
MAX_CHARS = 20_000
"""Texts are screened on their first ``MAX_CHARS`` characters (the API rejects longer ones)."""

_CONTACT_INDICATORS = frozenset({"wechat", "qq", "telegram", "whatsapp"})


@dataclass(frozen=True)
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
    """

    risk: float
    flagged: bool
    labels: list[str]
    typology: str | None
    indicators: list[Indicator]
    matches: list[Match]
    normalized: str
    kind: str = "message"
    scores: dict[str, float] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)

    def to_rule_signals(self) -> dict[str, object]:
        """The plain dict the rule engine exposes to CEL rules as ``screen``."""
        return {
            "risk": float(self.risk),
            "flagged": bool(self.flagged),
            "labels": list(self.labels),
            "typology": self.typology or "",
            "indicators": [{"type": i.type, "value": i.value} for i in self.indicators],
        }


@dataclass
class Analysis:
    """Everything the models need about one text (also used by the training scripts)."""

    norm: Normalized
    term_hits: list[tuple[Term, int, int, str]]
    indicators: list[Indicator]
    hashes: npt.NDArray[np.int64]
    dense_cache: dict[tuple[str, ...], npt.NDArray[np.float32]] = field(default_factory=dict)


def analyse(text: str) -> Analysis:
    """Normalise ``text`` and extract lexicon hits, indicators and n-gram hashes."""
    norm = Normalized(text[:MAX_CHARS])
    lexicon = get_lexicon()
    hits = lexicon.match(norm.text, Views(norm.text))
    indicators = extract(norm)
    return Analysis(norm, hits, indicators, ngram_hashes(norm.text))


def dense_for(model: LinearModel, a: Analysis) -> npt.NDArray[np.float32]:
    """The dense block of ``a`` laid out as ``model`` expects (cached: the models share a layout)."""
    cached = a.dense_cache.get(model.categories)
    if cached is None:
        cached = dense_features(a.norm.text, model.categories, _known(a.term_hits, model), a.indicators)
        a.dense_cache[model.categories] = cached
    return cached


def _known(hits: list[tuple[Term, int, int, str]], model: LinearModel) -> list[tuple[Term, int, int, str]]:
    cats = set(model.categories)
    return [h for h in hits if h[0].category in cats]


def _sigmoid(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))).astype(np.float32)
    return out


def _softmax(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    out: npt.NDArray[np.float32] = z / z.sum(axis=1, keepdims=True)
    return out


def _to_risk(p: float, threshold: float) -> float:
    """Map a probability so that the model's threshold lands on 0.5."""
    if p < threshold:
        return 0.5 * p / threshold
    return 0.5 + 0.5 * (p - threshold) / max(1e-9, 1.0 - threshold)


def _score(models: ModelSet, analyses: Sequence[Analysis]) -> tuple[npt.NDArray[np.float32], ...]:
    hashes = [a.hashes for a in analyses]
    offsets = np.zeros(len(hashes) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([h.shape[0] for h in hashes])
    allh = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.int64)
    outs: list[npt.NDArray[np.float32]] = []
    for model in (
        models.message_binary,
        models.message_typology,
        models.listing_binary,
        models.listing_category,
    ):
        dense = np.stack([dense_for(model, a) for a in analyses])
        outs.append(model.logits(allh, offsets, dense))
    return tuple(outs)


def _top_ngrams(model: LinearModel, a: Analysis, column: int, k: int = 3) -> list[str]:
    """Substrings of the normalised text whose n-gram weights pushed the score up most."""
    padded = f" {a.norm.text} "
    n = len(padded)
    weights = model.weights[a.hashes, column]
    # Hashes are laid out order by order: n 1-grams, n-1 2-grams, ...
    part_starts = [0]
    for order in range(1, NGRAM_MAX):
        part_starts.append(part_starts[-1] + max(0, n - order + 1))
    best: dict[str, float] = {}
    for pos in np.argsort(-weights)[: 4 * k]:
        p = int(pos)
        order = max(i for i, start in enumerate(part_starts) if start <= p) + 1
        s = p - part_starts[order - 1]
        gram = padded[s : s + order].strip()
        if len(gram) >= 2 and weights[p] > 0:
            best.setdefault(gram, float(weights[p]))
    return list(best)[:k]


def _build(
    kind: str,
    a: Analysis,
    fraud_p: float,
    typ_probs: npt.NDArray[np.float32],
    trade_p: float,
    cat_probs: npt.NDArray[np.float32],
    models: ModelSet,
) -> ScreeningResult:
    mb, mt, lb, lc = (
        models.message_binary,
        models.message_typology,
        models.listing_binary,
        models.listing_category,
    )
    fraud_r = _to_risk(fraud_p, mb.threshold)
    trade_r = _to_risk(trade_p, lb.threshold)
    if kind == "listing":
        # Listings are judged by the listing model; the message model, trained on conversations,
        # only adds a fraud label when it is very sure.
        fraud_r = fraud_r if fraud_r >= 0.9 else min(fraud_r, 0.49)
    risk = max(fraud_r, trade_r)
    labels: list[str] = []
    explanation: list[str] = []
    typology: str | None = None
    categories = {t.category for t, *_ in a.term_hits}
    if fraud_r >= 0.5:
        labels.append("fraud")
        ti = int(np.argmax(typ_probs))
        typology = mt.classes[ti]
        labels.append(f"typology:{typology}")
        explanation.append(
            f"fraud model p={fraud_p:.2f} (threshold {mb.threshold:.2f}); "
            f"typology {typology} p={float(typ_probs[ti]):.2f}"
        )
        grams = _top_ngrams(mb, a, 0)
        if grams:
            explanation.append("text driving the fraud score: " + ", ".join(repr(g) for g in grams))
    if trade_r >= 0.5:
        labels.append("card_trading")
        ci = int(np.argmax(cat_probs))
        labels.append(f"card_trading:{lc.classes[ci]}")
        explanation.append(
            f"card/account-trading model p={trade_p:.2f} (threshold {lb.threshold:.2f}); "
            f"category {lc.classes[ci]} p={float(cat_probs[ci]):.2f}"
        )
        grams = _top_ngrams(lb, a, 0)
        if grams:
            explanation.append("text driving the trading score: " + ", ".join(repr(g) for g in grams))
    contact = "contact_diversion" in categories or any(i.type in _CONTACT_INDICATORS for i in a.indicators)
    if contact:
        labels.append("contact_diversion")
    if "warning_context" in categories:
        labels.append("warning_context")
        if risk >= 0.5:
            # D4-NORM-06: education and news quoting scam words go to review, never auto-action.
            labels.append("needs_review")
            explanation.append("anti-fraud/news context words present: send to review, not auto-action")
    flags = {f.split(":", 1)[0] for i in a.indicators for f in i.flags}
    for flag in sorted(flags):
        labels.append(f"indicator:{flag}")
    matches = [Match(t.term, t.category, a.norm.to_original(s, e), via, t.weight) for t, s, e, via in a.term_hits]
    strong = [m for m in matches if m.weight > 0 and m.category != "trade_intent"]
    if strong:
        shown = ", ".join(f"{m.term!r} ({m.category}{'' if m.via == 'text' else ', ' + m.via})" for m in strong[:8])
        explanation.append("lexicon terms: " + shown)
    for ind in a.indicators:
        if ind.flags:
            explanation.append(f"indicator {ind.type} {ind.value}: {', '.join(ind.flags)}")
    if not explanation:
        explanation.append(f"no fraud or trading signal (fraud p={fraud_p:.2f}, trading p={trade_p:.2f})")
    return ScreeningResult(
        risk=round(float(min(1.0, max(0.0, risk))), 4),
        flagged=risk >= 0.5,
        labels=labels,
        typology=typology,
        indicators=a.indicators,
        matches=matches,
        normalized=a.norm.text,
        kind=kind,
        scores={"fraud": round(float(fraud_p), 4), "card_trading": round(float(trade_p), 4)},
        explanation=explanation,
    )


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def screen_many(texts: Sequence[str], kind: str = "message") -> list[ScreeningResult]:
    """Screen many texts of one kind; the models score the whole batch at once."""
    _check(kind)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError("texts must be str")
    if not texts:
        return []
    models = get_models()
    analyses = [analyse(t) for t in texts]
    mb, mt, lb, lc = _score(models, analyses)
    fraud = _sigmoid(mb[:, 0])
    typ = _softmax(mt)
    trade = _sigmoid(lb[:, 0])
    cat = _softmax(lc)
    return [_build(kind, a, float(fraud[i]), typ[i], float(trade[i]), cat[i], models) for i, a in enumerate(analyses)]


def screen(text: str, kind: str = "message") -> ScreeningResult:
    """Screen one text. ``kind`` is ``message``, ``listing``, ``profile`` or ``post``."""
    return screen_many([text], kind)[0]
