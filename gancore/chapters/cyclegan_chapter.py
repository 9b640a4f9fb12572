"""What the two Skill 8 CycleGAN chapters share (apples <-> oranges with U-Nets, horses <-> zebras with ResNets):
the unpaired batches, the held-out verdict tracked during training, the training curves, and the scores, table and
metrics of the trained variants ("book": no pool, constant rate; "paper": image pool and rate decay).

The chapters keep their networks, the ``CycleGAN`` they build for each variant and their readings of the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import tensorflow as tf

from gancore import plots
from gancore.chapters import translation
from gancore.training.cyclegan import translate


def unpaired_dataset(images_a: np.ndarray, images_b: np.ndarray, batch_size: int, seed: int):
    """``make_dataset(start, n)`` for ``fit_steps``: batch ``s`` holds ``batch_size`` random A images and,
    independently, ``batch_size`` random B images (drawn with replacement, philox keyed by ``(seed, s)`` for A and
    ``(seed + 7, s + 7)`` for B), so a resumed run sees the same batches. The images are used as given ([-1, 1]).

    (:func:`gancore.chapters.cross_domain.unpaired_step_dataset` draws other batches: DiscoGAN's chapter.)"""

    def make_dataset(start: int, n: int) -> tf.data.Dataset:
        def batch_for_step(step):
            seeds = tf.stack([tf.constant(seed, tf.int64), step])
            ia = tf.random.stateless_uniform([batch_size], seeds, 0, len(images_a), tf.int64, alg="philox")
            ib = tf.random.stateless_uniform([batch_size], seeds + 7, 0, len(images_b), tf.int64, alg="philox")
            return tf.gather(images_a, ia), tf.gather(images_b, ib)

        return tf.data.Dataset.range(start, start + n).map(batch_for_step).prefetch(tf.data.AUTOTUNE)

    return make_dataset


def held_out_shares(judge: translation.DomainJudge, model, test_a: np.ndarray, test_b: np.ndarray,
                    average: bool = False) -> dict[str, float]:
    """Share of held-out translations the judge calls the target domain: ``a2b_share_b`` (G_AB on test A) and
    ``b2a_share_a`` (G_BA on test B) with the generators' last weights; with ``average`` also
    ``average_a2b_share_b`` and ``average_b2a_share_a`` with their weight averages."""
    shares = {"a2b_share_b": judge.share_classified_as(translate(model.generator_ab, test_a), "b"),
              "b2a_share_a": judge.share_classified_as(translate(model.generator_ba, test_b), "a")}
    if average:
        average_ab, average_ba = model.inference_generators
        shares["average_a2b_share_b"] = judge.share_classified_as(translate(average_ab, test_a), "b")
        shares["average_b2a_share_a"] = judge.share_classified_as(translate(average_ba, test_b), "a")
    return shares


def plot_training_curves(results: Mapping[str, dict], steps_per_epoch: int, average: bool = False,
                         path: str | Path | None = None) -> None:
    """Three panels per trained variant (``results[variant]`` holds ``history`` and ``tracker``): the adversarial
    game, the cycle and identity L1, and the held-out share called the target domain (with ``average``, also that
    of the weight-averaged G_AB)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 3.8))
    for variant, result in results.items():
        h = result["history"]
        x = np.arange(1, len(h["g_loss"]) + 1) * steps_per_epoch
        axes[0].plot(x, h["d_loss"], "o-", label=f"{variant}: D_A + D_B")
        axes[0].plot(x, h["adv"], "s--", label=f"{variant}: G adversarial")
        axes[1].plot(x, h["cycle"], "o-", label=f"{variant}: cycle L1")
        axes[1].plot(x, h["identity"], "s--", label=f"{variant}: identity L1")
        records = result["tracker"].records
        steps = [s for _, s, _ in records]
        axes[2].plot(steps, [v["a2b_share_b"] for _, _, v in records], "o-", label=f"{variant}: A->B")
        axes[2].plot(steps, [v["b2a_share_a"] for _, _, v in records], "s--", label=f"{variant}: B->A")
        if average:
            axes[2].plot(steps, [v["average_a2b_share_b"] for _, _, v in records], "^:",
                         label=f"{variant} average: A->B")
    axes[0].set_title("adversarial game (interval means)")
    axes[1].set_title("cycle and identity L1, [-1, 1] units")
    axes[2].set_title("held-out share called the target domain")
    for ax in axes:
        ax.set_xlabel("training step")
        ax.legend(fontsize=7)
    plots.show_figure(fig, path)


def score_variants(judge: translation.DomainJudge, results: Mapping[str, dict], test_a: np.ndarray,
                   test_b: np.ndarray, train_a: np.ndarray, train_b: np.ndarray,
                   average: bool = False) -> dict[str, dict]:
    """:func:`gancore.chapters.translation.evaluate_translation` of each variant's generators on the test images,
    with as many real training images of each domain as the reference rows; with ``average``, also of the weight
    averages, as ``"<variant>_average"`` (after the variant)."""
    scores = {}
    for variant, result in results.items():
        model = result["model"]
        named = [(variant, (model.generator_ab, model.generator_ba))]
        if average:
            named.append((f"{variant}_average", model.inference_generators))
        for name, generators in named:
            scores[name] = translation.evaluate_translation(judge, *generators, test_a, test_b,
                                                            reference_a=train_a[: len(test_a)],
                                                            reference_b=train_b[: len(test_b)])
    return scores


def print_scores(scores: Mapping[str, dict], names: Mapping[str, str]) -> None:
    """Print both directions of every scored variant (labelled ``names[variant]``), then the baseline rows
    (untranslated input, real target images) of the first."""
    print(f"{'':36s}{'dir':>5s}{'called target':>15s}{'FD':>9s}{'cycle L1':>10s}")
    for variant, s in scores.items():
        for row in translation.results_table(s, names[variant])[:2]:
            print(f"{row['method']:36s}{row['direction']:>5s}{row['share_target']:15.1%}{row['fd']:9.3f}"
                  f"{row['cycle_l1']:10.4f}")
    for row in translation.results_table(next(iter(scores.values())))[2:]:
        l1 = "" if np.isnan(row["cycle_l1"]) else f"{row['cycle_l1']:10.4f}"
        print(f"{row['method']:36s}{row['direction']:>5s}{row['share_target']:15.1%}{row['fd']:9.3f}{l1}")


BASELINE_KEYS = ("identity_a2b_share_b", "identity_a2b_fd", "identity_b2a_share_a", "identity_b2a_fd",
                 "real_b_share_b", "real_b_fd", "real_a_share_a", "real_a_fd")
SCORE_KEYS = ("a2b_share_b", "a2b_fd", "b2a_share_a", "b2a_fd", "cycle_l1_a", "cycle_l1_b")
HISTORY_KEYS = ("d_loss", "g_loss", "adv", "cycle", "identity")


def variant_metrics(scores: Mapping[str, dict], results: Mapping[str, dict], average: bool = False,
                    gap_closed: bool = False) -> dict:
    """Flat metrics of the scored variants: the baseline rows (from the first score); per score name its
    :data:`SCORE_KEYS` and its FD ratios to real target images (``fd_ratio_ab_to_real``: 1 = as close as real
    images), with ``gap_closed`` also the share of the FD between the untranslated input and real images it
    removes (``a2b_fd_gap_closed``); per trained variant the last logged :data:`HISTORY_KEYS` (``final_...``), its
    ``seconds`` and its held-out shares over training (``over_training``: step, A->B, B->A; with ``average`` also
    ``<variant>_average_over_training``)."""
    first = next(iter(scores.values()))
    metrics = {key: first[key] for key in BASELINE_KEYS}
    for name, s in scores.items():
        metrics.update({f"{name}_{key}": s[key] for key in SCORE_KEYS})
        metrics[f"{name}_fd_ratio_ab_to_real"] = s["a2b_fd"] / first["real_b_fd"]
        metrics[f"{name}_fd_ratio_ba_to_real"] = s["b2a_fd"] / first["real_a_fd"]
        if gap_closed:
            for direction, real in (("a2b", "real_b_fd"), ("b2a", "real_a_fd")):  # 1 = as close as real, 0 = input
                start = first[f"identity_{direction}_fd"]
                metrics[f"{name}_{direction}_fd_gap_closed"] = (start - s[f"{direction}_fd"]) / (start - first[real])
    for variant, result in results.items():
        metrics.update({f"{variant}_final_{key}": float(result["history"][key][-1]) for key in HISTORY_KEYS})
        metrics[f"{variant}_seconds"] = result["seconds"]
        for prefix, name in (("", variant),) + ((("average_", f"{variant}_average"),) if average else ()):
            metrics[f"{name}_over_training"] = [[step, v[f"{prefix}a2b_share_b"], v[f"{prefix}b2a_share_a"]]
                                                for _, step, v in result["tracker"].records]
    return metrics
