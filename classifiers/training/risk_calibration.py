"""Fit how a risk model and its category's lexicon combine, on held-out training-side text.

A slice of each model's training side (``in_calibration``: a hash of the normalised text,
independent of the benchmark's split, so no benchmark row is ever used) is kept out of the
model's fit. On that slice — the gold rows plus the ordinary texts of the same slice, which
every model must leave alone — a logistic regression learns weights for the model's logit,
the lexicon score and whether any lexicon term is present (``Combination``). The decision
threshold is the one with the best F1 on the slice whose firing rate on its ordinary texts
stays within the language's ``ORDINARY_BUDGET``; where the gold rows come from several
labelled sets, the F1 is the mean of each set's F1 (its gold rows with all the ordinary
texts), so the largest set does not alone decide where the category starts (Davidson's
slur-heavy tweets against OLID's targeted insults); it is folded into the bias, so the
combined probability crosses 0.5 where that decision does. Rows that could not be reported
whatever the score (a complaint category on a text the intent model does not read as a
complaint) count as not fired when the threshold is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.risk import Combination
from classifiers.risk_lexicon import CategorySpec, LexiconMatcher, lexicon_scores
from classifiers.training.examples import hash_share

CALIBRATION_SHARE = 0.15
# At most this share of held-out ordinary text may get the category from one model, per
# language. English 1.5% (was 2%): about ten English categories add up on the same ordinary
# texts, and the per-source F1 below lowers thresholds until the budget binds. Chinese keeps
# 2%: three models share its ordinary posts, and each false alarm a lower budget removed there
# cost 6-30 recall hits (MODEL_CARD, "Third pass").
ORDINARY_BUDGET: dict[str, float] = {"en": 0.015, "zh": 0.02}


def in_calibration(text: str) -> bool:
    """True for the training-side texts held out to fit the combination (stable per text)."""
    return hash_share(text, b"calibration\0") < CALIBRATION_SHARE


@dataclass(frozen=True)
class CalibrationReport:
    """The fitted combination and its figures on the held-out slice."""

    combination: Combination
    n_gold: int
    n_ordinary: int
    precision: float
    recall: float
    ordinary_rate: float


def lexicon_features(
    cleaned: Sequence[str], category: str, categories: Sequence[CategorySpec]
) -> np.ndarray:
    """The category's lexicon score per cleaned text (0 where no term is found)."""
    matcher = LexiconMatcher(categories)
    return np.array(
        [lexicon_scores(matcher.match(t)).get(category, (0.0, ()))[0] for t in cleaned],
        np.float64,
    )


def _design(z: np.ndarray, lex: np.ndarray) -> np.ndarray:
    return np.column_stack([z, lex, (lex > 0).astype(float)])


def fit_combination(
    z: np.ndarray,
    lex: np.ndarray,
    y: np.ndarray,
    ordinary: np.ndarray,
    weights: np.ndarray | None = None,
    reportable: np.ndarray | None = None,
    sources: np.ndarray | None = None,
    budget: float = ORDINARY_BUDGET["en"],
) -> CalibrationReport:
    """Fit on held-out rows: model logits ``z``, lexicon scores ``lex``, labels ``y``
    (1: the category), ``ordinary`` marks ordinary texts (label 0), ``reportable`` the rows
    on which the category can be reported at all (default: every row), ``sources`` the
    labelled set of each gold row (default: one set; ignored on ordinary rows), ``budget`` the
    share of ordinary rows the category may fire on (``ORDINARY_BUDGET`` of the language)."""
    from sklearn.linear_model import LogisticRegression

    x = _design(z, lex)
    w = np.ones(len(y)) if weights is None else weights
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    clf.fit(x, y, sample_weight=w)
    a, b, c = (float(v) for v in clf.coef_[0])
    s = x @ clf.coef_[0] + float(clf.intercept_[0])
    if reportable is not None:
        s = np.where(reportable, s, -np.inf)
    cut = _threshold(s, y, ordinary, w, sources, budget)
    fired = s >= cut
    tp = float(np.sum(w * (fired & (y == 1))))
    precision = tp / float(np.sum(w * fired)) if fired.any() else 0.0
    recall = tp / float(np.sum(w * (y == 1))) if (y == 1).any() else 0.0
    ordinary_rate = float(np.mean(fired[ordinary])) if ordinary.any() else 0.0
    return CalibrationReport(
        combination=Combination(
            model=round(a, 6),
            lexicon=round(b, 6),
            cue=round(c, 6),
            bias=round(float(clf.intercept_[0]) - cut, 6),
        ),
        n_gold=int(np.sum(~ordinary)),
        n_ordinary=int(np.sum(ordinary)),
        precision=round(precision, 4),
        recall=round(recall, 4),
        ordinary_rate=round(ordinary_rate, 4),
    )


def _threshold(
    s: np.ndarray,
    y: np.ndarray,
    ordinary: np.ndarray,
    w: np.ndarray,
    sources: np.ndarray | None = None,
    budget: float = ORDINARY_BUDGET["en"],
) -> float:
    """The cut on combined logits ``s`` with the best weighted F1 (the mean over the gold
    ``sources``, each with the ordinary rows) among those that fire on at most
    ``budget`` of the ordinary rows."""
    floor = -np.inf
    if ordinary.any():
        # Strictly above the ordinary scores that would exceed the budget.
        allowed = int(np.floor(budget * int(ordinary.sum())))
        ranked = np.sort(s[ordinary])[::-1]
        if allowed < len(ranked):
            floor = float(np.nextafter(ranked[allowed], np.inf))
    order = np.argsort(-s, kind="stable")
    ss = s[order]
    groups = np.zeros(len(s), int)
    if sources is not None:
        groups = np.unique(sources, return_inverse=True)[1]
    f1 = np.zeros(len(s))
    for g in np.unique(groups[~ordinary]) if (~ordinary).any() else [0]:
        # One set's rows and every ordinary row: the F1 of cutting at each sorted position.
        part = (ordinary | (groups == g))[order]
        yy, ww = y[order] * part, w[order] * part
        tp = np.cumsum(ww * (yy == 1))
        fp = np.cumsum(ww * (yy != 1))
        positives = float(tp[-1]) if len(tp) else 0.0
        f1 += np.where(tp > 0, 2 * tp / np.maximum(tp + fp + positives, 1e-12), 0.0)
    # A cut at ss[i] fires on rows 0..i; only the last of equal scores is a valid cut.
    last = np.append(ss[1:] != ss[:-1], True)
    valid = last & (ss >= floor)
    if not valid.any():
        return max(floor, float(ss[0]) + 1.0) if len(ss) else 0.0
    best = int(np.argmax(np.where(valid & np.isfinite(ss), f1, -1.0)))
    return float(ss[best])
