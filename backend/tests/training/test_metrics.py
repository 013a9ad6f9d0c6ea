"""Metrics: ROUGE and BLEU must report exactly what the reference libraries (rouge-score,
sacrebleu) report, plus hand-checked values a user would notice; exact match and token F1
against values worked out by hand."""

import math

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from tuneforge.training import metrics

# (prediction, references): one reference or several.
PAIRS = [
    ("The cat sat on the mat.", "the cat is on the mat"),
    # several references: the best one counts (per ROUGE type; BLEU pools them)
    ("a quick brown fox jumps", ["the fast brown fox leaps", "a quick brown dog jumps over"]),
    # empty prediction
    ("", "something was expected here"),
    # punctuation, case, numbers
    ("Hello, world! It's 3:15 p.m. -- right?", "hello world, it's 3:15 pm, right"),
    # unicode: accented Latin, and CJK (rouge-score keeps only a-z0-9, so CJK has no ROUGE tokens)
    ("Der Bär läuft schnell — sehr schnell.", ["Der Bär rennt sehr schnell.", "Ein Bär läuft."]),
    ("東京は日本の首都です。", "東京は日本の首都です。"),
    ("c b a", "a b c"),
]

ROUGE_TYPES = ["rouge1", "rouge2", "rougeL"]


def _refs(references):
    return [references] if isinstance(references, str) else list(references)


def _expected_rouge(prediction, references):
    scorer = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=False)
    best = scorer.score_multi(_refs(references), prediction)
    return {key: best[key].fmeasure for key in ROUGE_TYPES}


def _unit(score):
    # sacrebleu is 0-100 (100.00000000000004 for identical strings); ours is capped on [0, 1].
    return min(score / 100, 1.0)


def _streams(references):
    refs = [_refs(r) for r in references]
    width = max(len(r) for r in refs)
    return [[r[j] if j < len(r) else None for r in refs] for j in range(width)]


# ---------------------------------------------------------------- equal to the libraries


@pytest.mark.parametrize(("prediction", "references"), PAIRS)
def test_rouge_equals_rouge_score(prediction, references):
    assert metrics.rouge_scores(prediction, references) == _expected_rouge(prediction, references)


def test_corpus_rouge_is_the_mean_of_rouge_score():
    predictions, references = zip(*PAIRS, strict=True)
    per_pair = [_expected_rouge(p, r) for p, r in PAIRS]
    corpus = metrics.rouge(predictions, references)
    for key in ROUGE_TYPES:
        assert corpus[key] == pytest.approx(sum(s[key] for s in per_pair) / len(PAIRS), abs=1e-15)


@pytest.mark.parametrize(("prediction", "references"), PAIRS)
def test_sentence_bleu_equals_sacrebleu(prediction, references):
    expected = sacrebleu.sentence_bleu(prediction, _refs(references))
    assert metrics.sentence_bleu(prediction, references) == _unit(expected.score)


def test_corpus_bleu_equals_sacrebleu():
    predictions, references = (list(x) for x in zip(*PAIRS, strict=True))
    # Variable number of references: sacrebleu takes reference streams padded with None.
    streams = _streams(references)
    assert streams[1][0] is None and streams[1][1] == "a quick brown dog jumps over"

    expected = sacrebleu.corpus_bleu(predictions, streams)  # default: exp smoothing
    ours = metrics.bleu(predictions, references, smooth=True)
    assert ours["bleu"] == _unit(expected.score)
    assert ours["precisions"] == [p / 100 for p in expected.precisions]
    assert ours["brevity_penalty"] == expected.bp
    assert (ours["prediction_length"], ours["reference_length"]) == (expected.sys_len, expected.ref_len)

    unsmoothed = sacrebleu.corpus_bleu(predictions, streams, smooth_method="none")
    assert metrics.bleu(predictions, references)["bleu"] == _unit(unsmoothed.score)


def test_reported_scores_equal_the_libraries():
    predictions, references = (list(x) for x in zip(*PAIRS, strict=True))
    summary = metrics.score_predictions(predictions, references)
    assert summary["bleu"] == _unit(sacrebleu.corpus_bleu(predictions, _streams(references)).score)
    assert summary["rouge1"] == pytest.approx(
        sum(_expected_rouge(p, r)["rouge1"] for p, r in PAIRS) / len(PAIRS), abs=1e-15
    )
    for prediction, refs in PAIRS:
        one = metrics.score_one(prediction, refs)
        assert {k: one[k] for k in ROUGE_TYPES} == _expected_rouge(prediction, refs)
        assert one["bleu"] == _unit(sacrebleu.sentence_bleu(prediction, _refs(refs)).score)


def test_tokenizers_are_the_libraries():
    assert metrics.rouge_tokenize("The Cat's 3 mats, café!") == ["the", "cat", "s", "3", "mats", "caf"]
    assert metrics.bleu_tokenize("Hello, world!") == ["Hello", ",", "world", "!"]


# ---------------------------------------------------------------- values a user would notice


def test_identical_and_disjoint_strings():
    text = "the quick brown fox jumps over the lazy dog"
    assert metrics.rouge_scores(text, text) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert metrics.sentence_bleu(text, text) == 1.0
    assert metrics.bleu([text, text], [text, text])["bleu"] == 1.0
    assert metrics.score_one(text, text) == {
        "rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0, "bleu": 1.0, "exact_match": 1.0, "token_f1": 1.0
    }
    disjoint = ("red green blue", "one two three four")
    assert metrics.rouge_scores(*disjoint) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert metrics.sentence_bleu(*disjoint) == 0.0
    assert metrics.bleu([disjoint[0]], [disjoint[1]], smooth=True)["bleu"] == 0.0
    # An empty answer scores 0 everywhere.
    assert metrics.score_one("", "an answer") == dict.fromkeys(
        ["rouge1", "rouge2", "rougeL", "bleu", "exact_match", "token_f1"], 0.0
    )


def test_rouge_by_hand():
    # pred: the cat sat on the mat / ref: the cat is on the mat
    # unigrams: the×2, cat, on, mat match -> P = R = 5/6; bigrams (the cat) (on the) (the mat)
    # -> 3/5; LCS "the cat on the mat" -> 5/6
    s = metrics.rouge_scores("The cat sat on the mat.", "the cat is on the mat")
    assert s["rouge1"] == pytest.approx(5 / 6)
    assert s["rouge2"] == pytest.approx(3 / 5)
    assert s["rougeL"] == pytest.approx(5 / 6)
    # Reversed words keep every unigram but only one word of the LCS.
    s = metrics.rouge_scores("c b a", "a b c")
    assert (s["rouge1"], s["rouge2"], s["rougeL"]) == (pytest.approx(1.0), 0.0, pytest.approx(1 / 3))
    # The best reference counts; the corpus figure is the mean.
    assert metrics.rouge_scores("a b c", ["x y", "a b c"])["rouge1"] == 1.0
    assert metrics.rouge(["a b c", "x"], ["a b c", "y"])["rouge1"] == pytest.approx(0.5)


def test_bleu_by_hand():
    pred, ref = "the cat sat on the mat", "the cat is on the mat"
    # Precisions 5/6, 3/5, 1/4, 0/3: unsmoothed corpus BLEU is 0; sentence BLEU's exp smoothing
    # counts the missing 4-gram as 1/(2·3) -> (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = (1/48)^(1/4).
    assert metrics.bleu([pred], [ref])["bleu"] == 0.0
    assert metrics.sentence_bleu(pred, ref) == pytest.approx((1 / 48) ** 0.25)
    # Every n-gram matches; 6 tokens against 7 -> brevity penalty exp(1 - 7/6).
    result = metrics.bleu(["the cat sat on the mat"], ["the cat sat on the mat today"])
    assert result["precisions"] == [1.0, 1.0, 1.0, 1.0]
    assert result["brevity_penalty"] == pytest.approx(math.exp(-1 / 6))
    assert result["bleu"] == pytest.approx(math.exp(-1 / 6))
    # Corpus BLEU pools counts: pair 1 matches all of 4/3/2/1 n-grams, pair 2 none -> 0.5.
    assert metrics.bleu(["a b c d", "x y z w"], ["a b c d", "a b c d"])["bleu"] == pytest.approx(0.5)
    # Clipping: "the" counts at most as often as in the reference.
    assert metrics.bleu(["the the the"], ["the cat"], max_order=1)["precisions"] == [pytest.approx(1 / 3)]


# ---------------------------------------------------------------- exact match / token F1


def test_exact_match_normalises_like_squad():
    assert metrics.normalize_answer("  The  Eiffel-Tower!! ") == "eiffeltower"
    assert metrics.exact_match("The Eiffel Tower!", "eiffel tower") == 1.0
    assert metrics.exact_match("an apple", "Apple.") == 1.0
    assert metrics.exact_match("Paris, France", "Paris") == 0.0
    assert metrics.exact_match("Paris, France", ["Lyon", "paris france"]) == 1.0


def test_token_f1():
    # "big red car" vs "red car": overlap 2, P 2/3, R 1 -> F 0.8
    assert metrics.token_f1("the big red car", "a red car") == pytest.approx(0.8)
    assert metrics.token_f1("blue", "red car") == 0.0
    assert metrics.token_f1("the", "a") == 1.0  # both normalise to empty
    assert metrics.token_f1("red", ["blue", "red"]) == 1.0


def test_score_predictions_collects_every_metric():
    scores = metrics.score_predictions(["Paris", "4"], ["paris", "5"])
    assert scores["exact_match"] == 0.5
    assert scores["token_f1"] == 0.5
    assert set(scores) == {"rouge1", "rouge2", "rougeL", "bleu", "exact_match", "token_f1"}
    assert metrics.score_predictions([], []) == dict.fromkeys(scores, 0.0)
    with pytest.raises(ValueError):
        metrics.score_predictions(["a"], [])
