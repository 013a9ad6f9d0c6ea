"""Text-generation metrics in plain Python: ROUGE, BLEU, exact match, token F1.

No network, no downloaded resources (no nltk data, no `evaluate` hub scripts), so evaluation
works on an air-gapped worker. The definitions follow the reference implementations the
numbers are usually compared with:

- ROUGE-1/2/L F-measure as in Google's `rouge_score` (lower-case, non-alphanumerics become
  spaces, no stemming; with several references the best-scoring one counts).
- BLEU as in `tensorflow/nmt` `compute_bleu` (what Hugging Face `evaluate`'s "bleu" wraps):
  clipped n-gram precisions up to 4-grams, geometric mean, brevity penalty over the corpus,
  optional Lin & Och (2004) add-one smoothing. `sentence_bleu` smooths by default because an
  unsmoothed short sentence with no matching 4-gram scores 0.
- Exact match and token F1 as in the SQuAD v1.1 evaluation script (lower-case, strip
  punctuation and the articles a/an/the, collapse whitespace; best over references).

All scores are in [0, 1].
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

References = str | Sequence[str]

_ROUGE_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BLEU_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)


def _as_list(references: References) -> list[str]:
    return [references] if isinstance(references, str) else list(references)


# ---------------------------------------------------------------- ROUGE


def rouge_tokenize(text: str) -> list[str]:
    return _ROUGE_NON_ALNUM.sub(" ", text.lower()).split()


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f_measure(overlap: float, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    precision, recall = overlap / n_pred, overlap / n_ref
    return 2 * precision * recall / (precision + recall)


def _rouge_n(pred: list[str], ref: list[str], n: int) -> float:
    pred_ngrams, ref_ngrams = _ngrams(pred, n), _ngrams(ref, n)
    overlap = sum((pred_ngrams & ref_ngrams).values())
    return _f_measure(overlap, sum(pred_ngrams.values()), sum(ref_ngrams.values()))


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _rouge_l(pred: list[str], ref: list[str]) -> float:
    return _f_measure(_lcs_length(pred, ref), len(pred), len(ref))


def rouge_scores(prediction: str, references: References) -> dict[str, float]:
    """ROUGE-1/2/L F-measure of one prediction, best over its references."""
    pred = rouge_tokenize(prediction)
    refs = [rouge_tokenize(r) for r in _as_list(references)]
    return {
        "rouge1": max(_rouge_n(pred, r, 1) for r in refs),
        "rouge2": max(_rouge_n(pred, r, 2) for r in refs),
        "rougeL": max(_rouge_l(pred, r) for r in refs),
    }


def rouge(predictions: Sequence[str], references: Sequence[References]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measure over a corpus (one score per pair, then averaged)."""
    _check_lengths(predictions, references)
    if not predictions:
        return {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    per_pair = [rouge_scores(p, r) for p, r in zip(predictions, references, strict=True)]
    return {key: sum(s[key] for s in per_pair) / len(per_pair) for key in per_pair[0]}


# ---------------------------------------------------------------- BLEU


def bleu_tokenize(text: str) -> list[str]:
    """Words and single punctuation marks, case kept (close to sacrebleu's 13a)."""
    return _BLEU_TOKEN.findall(text)


def bleu(
    predictions: Sequence[str],
    references: Sequence[References],
    *,
    max_order: int = 4,
    smooth: bool = False,
) -> dict[str, float]:
    """Corpus BLEU: n-gram matches and lengths are summed over all pairs before dividing."""
    _check_lengths(predictions, references)
    matches = [0] * max_order
    possible = [0] * max_order
    pred_length = ref_length = 0
    for prediction, refs in zip(predictions, references, strict=True):
        pred = bleu_tokenize(prediction)
        ref_tokens = [bleu_tokenize(r) for r in _as_list(refs)]
        pred_length += len(pred)
        # tensorflow/nmt uses the shortest reference for the brevity penalty.
        ref_length += min(len(r) for r in ref_tokens)
        for n in range(1, max_order + 1):
            max_ref_counts: Counter = Counter()
            for r in ref_tokens:
                max_ref_counts |= _ngrams(r, n)
            pred_ngrams = _ngrams(pred, n)
            matches[n - 1] += sum((pred_ngrams & max_ref_counts).values())
            possible[n - 1] += max(len(pred) - n + 1, 0)

    precisions = []
    for n in range(max_order):
        if smooth:
            precisions.append((matches[n] + 1.0) / (possible[n] + 1.0))
        else:
            precisions.append(matches[n] / possible[n] if possible[n] else 0.0)
    if min(precisions) > 0:
        geo_mean = math.exp(sum(math.log(p) for p in precisions) / max_order)
    else:
        geo_mean = 0.0
    ratio = pred_length / ref_length if ref_length else 0.0
    if ratio > 1.0 or ref_length == 0:
        brevity_penalty = 1.0
    elif ratio == 0.0:
        brevity_penalty = 0.0
    else:
        brevity_penalty = math.exp(1 - 1.0 / ratio)
    return {
        "bleu": geo_mean * brevity_penalty,
        "precisions": precisions,
        "brevity_penalty": brevity_penalty,
        "length_ratio": ratio,
        "prediction_length": pred_length,
        "reference_length": ref_length,
    }


def sentence_bleu(prediction: str, references: References, *, max_order: int = 4, smooth: bool = True) -> float:
    return bleu([prediction], [references], max_order=max_order, smooth=smooth)["bleu"]


# ---------------------------------------------------------------- exact match / token F1


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower-case, drop punctuation and articles, collapse spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, references: References) -> float:
    norm = normalize_answer(prediction)
    return float(any(norm == normalize_answer(r) for r in _as_list(references)))


def _token_f1_single(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        # SQuAD 2.0 convention: two empty answers agree, one empty answer scores 0.
        return float(pred == ref)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    return _f_measure(overlap, len(pred), len(ref))


def token_f1(prediction: str, references: References) -> float:
    return max(_token_f1_single(prediction, r) for r in _as_list(references))


# ---------------------------------------------------------------- all at once


def score_predictions(predictions: Sequence[str], references: Sequence[References]) -> dict[str, float]:
    """Every task metric for a list of generated answers, as one flat dict."""
    _check_lengths(predictions, references)
    n = len(predictions)
    scores: dict[str, float] = dict(rouge(predictions, references))
    scores["bleu"] = bleu(predictions, references, smooth=True)["bleu"] if n else 0.0
    pairs = list(zip(predictions, references, strict=True))
    scores["exact_match"] = sum(exact_match(p, r) for p, r in pairs) / n if n else 0.0
    scores["token_f1"] = sum(token_f1(p, r) for p, r in pairs) / n if n else 0.0
    return scores


def score_one(prediction: str, references: References) -> dict[str, float]:
    """Per-answer scores, stored beside each generated answer in the evaluation report."""
    scores = rouge_scores(prediction, references)
    scores["bleu"] = sentence_bleu(prediction, references)
    scores["exact_match"] = exact_match(prediction, references)
    scores["token_f1"] = token_f1(prediction, references)
    return scores


def _check_lengths(predictions: Iterable, references: Iterable) -> None:
    if len(list(predictions)) != len(list(references)):
        raise ValueError("predictions and references must have the same length")
