"""Metrics against values worked out by hand on small examples."""

import math

import pytest

from tuneforge.training import metrics


def test_rouge_on_one_substituted_word():
    # pred: the cat sat on the mat / ref: the cat is on the mat
    # unigrams: the×2, cat, on, mat match -> P = R = 5/6
    # bigrams: (the cat) (on the) (the mat) match of 5 each -> 3/5
    # LCS: "the cat on the mat" = 5 of 6 each -> 5/6
    s = metrics.rouge_scores("The cat sat on the mat.", "the cat is on the mat")
    assert s["rouge1"] == pytest.approx(5 / 6)
    assert s["rouge2"] == pytest.approx(3 / 5)
    assert s["rougeL"] == pytest.approx(5 / 6)


def test_rouge_with_different_lengths_and_order():
    # pred a b c / ref a b d e: unigram overlap 2 -> P 2/3, R 1/2 -> F 4/7
    # bigram overlap (a b) 1 -> P 1/2, R 1/3 -> F 2/5 ; LCS "a b" -> 4/7
    s = metrics.rouge_scores("a b c", "a b d e")
    assert s["rouge1"] == pytest.approx(4 / 7)
    assert s["rouge2"] == pytest.approx(2 / 5)
    assert s["rougeL"] == pytest.approx(4 / 7)
    # Reversed words keep every unigram but only one word of the LCS.
    s = metrics.rouge_scores("c b a", "a b c")
    assert s["rouge1"] == pytest.approx(1.0)
    assert s["rouge2"] == 0.0
    assert s["rougeL"] == pytest.approx(1 / 3)


def test_rouge_takes_best_reference_and_averages_corpus():
    assert metrics.rouge_scores("a b c", ["x y", "a b c"])["rouge1"] == 1.0
    corpus = metrics.rouge(["a b c", "x"], ["a b c", "y"])
    assert corpus["rouge1"] == pytest.approx(0.5)


def test_sentence_bleu_with_add_one_smoothing():
    # precisions: 1-gram 5/6 (unsmoothed), 2-gram 3/5, 3-gram 1/4, 4-gram 0/3;
    # add-one smoothing: 6/7, 4/6, 2/5, 1/4 -> product 2/35, equal lengths -> BP 1
    pred, ref = "the cat sat on the mat", "the cat is on the mat"
    assert metrics.bleu([pred], [ref])["bleu"] == 0.0
    assert metrics.sentence_bleu(pred, ref) == pytest.approx((2 / 35) ** 0.25)


def test_bleu_brevity_penalty():
    # every n-gram of the prediction matches; 6 tokens against 7 -> BP = exp(1 - 7/6)
    result = metrics.bleu(["the cat sat on the mat"], ["the cat sat on the mat today"])
    assert result["precisions"] == [1.0, 1.0, 1.0, 1.0]
    assert result["brevity_penalty"] == pytest.approx(math.exp(-1 / 6))
    assert result["bleu"] == pytest.approx(math.exp(-1 / 6))


def test_corpus_bleu_pools_counts_before_dividing():
    # pair 1 matches 4/3/2/1 n-grams of 4/3/2/1, pair 2 none: pooled precisions 1/2 -> 0.5
    result = metrics.bleu(["a b c d", "x y z w"], ["a b c d", "a b c d"])
    assert result["bleu"] == pytest.approx(0.5)
    # "p q" vs "p r" adds 1 of 2 unigrams, 0 of 1 bigram and no longer n-grams, so the pooled
    # precisions are 5/6, 3/4, 2/2, 1/1 although that pair alone would score 0.
    result = metrics.bleu(["a b c d", "p q"], ["a b c d", "p r"], max_order=4)
    assert result["precisions"] == pytest.approx([5 / 6, 3 / 4, 2 / 2, 1 / 1])


def test_bleu_clips_repeated_words():
    # "the the the" against "the cat": "the" counted at most once -> 1-gram 1/3
    result = metrics.bleu(["the the the"], ["the cat"], max_order=1)
    assert result["precisions"] == [pytest.approx(1 / 3)]


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
    with pytest.raises(ValueError):
        metrics.score_predictions(["a"], [])
