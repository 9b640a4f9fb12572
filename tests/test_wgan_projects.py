"""The seed projects' networks (S1-S3): parameter counts counted by hand, shapes, output ranges, the norm option."""

from __future__ import annotations

import numpy as np
import pytest

from gancore.models import wgan_projects as w


def non_trainable(model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.non_trainable_weights)


def counts(model) -> tuple[int, int]:
    return model.count_params(), non_trainable(model)


# Width 1/8, every count by hand (kernel area x inputs x outputs + biases; batchnorm 4 per channel, 2 of them
# moving statistics; "layer" norm is GroupNormalization(groups=1): a scale and an offset per channel).
S1_GENERATOR_8 = (15 * 72            # Dense 15 -> 3x3x8, no bias
                  + 4 * 8            # batchnorm on 8 channels
                  + 16 * 8 * 32 + 4 * 32    # ConvT 4x4 8 -> 32 (no bias), batchnorm
                  + 16 * 32 * 16 + 4 * 16   # ConvT 32 -> 16, batchnorm
                  + 16 * 16 * 8 + 4 * 8     # ConvT 16 -> 8, batchnorm
                  + 16 * 8 * 3 + 3)         # ConvT 8 -> 3 with bias, tanh
S1_CRITIC_8 = (27 * 64 + 64 + 9 * 64 * 32 + 32 + 9 * 32 * 16 + 16 + 9 * 16 * 8 + 8 + 9 * 8 * 8 + 8
               + 72 * 150 + 150 + 150 * 50 + 50 + 50 + 1)   # Flatten 3x3x8 = 72, Dense 150, 50, 1
S2_GENERATOR_8 = (128 * 1024 + 1024                          # Dense 128 -> 4x4x64
                  + 4 * 64 + 16 * 64 * 32 + 32 + 4 * 32 + 16 * 32 * 16 + 16 + 4 * 16 + 16 * 16 * 8 + 8
                  + 4 * 8 + 16 * 8 * 4 + 4                    # four BN-ReLU-ConvT(4x4/2) blocks to 64x64x4
                  + 4 * 4 + 9 * 4 * 2 + 2 + 4 * 2 + 9 * 2 * 3 + 3)   # two BN-ReLU-ConvT(3x3/1) blocks to 2, 3
S2_CRITIC_8 = (27 * 2 + 2 + 18 * 4 + 4 + 16 * 4 * 8 + 8 + 16 * 8 * 16 + 16 + 16 * 16 * 32 + 32 + 16 * 32 * 64 + 64
               + 4 * 4 * 64 + 1)
S3_GENERATOR_8 = (100 * 1024 + 4 * 64 + 16 * 64 * 32 + 4 * 32 + 16 * 32 * 16 + 4 * 16 + 16 * 16 * 8 + 4 * 8
                  + 16 * 8 * 3 + 3)
S3_CRITIC_8_BASE = 16 * 3 * 8 + 8 + 16 * 8 * 16 + 16 * 16 * 32 + 16 * 32 * 64 + 4 * 4 * 64 + 1


def test_hand_counts_at_width_one_eighth():
    assert (S1_GENERATOR_8, S1_CRITIC_8) == (16_059, 45_175)
    assert counts(w.build_s1_generator(width=0.125)) == (16_059, (8 + 32 + 16 + 8) * 2)
    assert counts(w.build_s1_critic(width=0.125)) == (45_175, 0)
    assert (S2_GENERATOR_8, S2_CRITIC_8) == (176_311, 44_797)
    assert counts(w.build_s2_generator(width=0.125)) == (176_311, (64 + 32 + 16 + 8 + 4 + 2) * 2)
    assert counts(w.build_s2_critic(width=0.125)) == (44_797, 0)
    assert S3_GENERATOR_8 == 146_275
    assert counts(w.build_s3_generator(width=0.125)) == (146_275, (64 + 32 + 16 + 8) * 2)
    normalised = 16 + 32 + 64  # channels of the three normalised layers
    assert counts(w.build_s3_critic("batch", 0.125)) == (S3_CRITIC_8_BASE + 4 * normalised, 2 * normalised)
    assert counts(w.build_s3_critic("layer", 0.125)) == (S3_CRITIC_8_BASE + 2 * normalised, 0)
    assert counts(w.build_s3_critic("none", 0.125)) == (S3_CRITIC_8_BASE, 0) == (44_425, 0)


def test_seed_size_counts_match_the_module_constants():
    assert counts(w.build_s1_generator()) == w.S1_GENERATOR_PARAMS == (931_267, 1_024)
    assert counts(w.build_s1_critic()) == w.S1_CRITIC_PARAMS == (1_694_151, 0)
    assert counts(w.build_s2_generator()) == w.S2_GENERATOR_PARAMS == (3_851_619, 2_016)
    assert counts(w.build_s2_critic()) == w.S2_CRITIC_PARAMS == (2_799_521, 0)
    assert counts(w.build_s3_generator()) == w.S3_GENERATOR_PARAMS == (3_578_627, 1_920)
    for norm, expected in w.S3_CRITIC_PARAMS.items():
        assert counts(w.build_s3_critic(norm)) == expected


@pytest.mark.parametrize("arch", ["s1", "s2", "s3"])
def test_shapes_ranges_and_unique_layer_names(arch):
    info = w.ARCHITECTURES[arch]
    generator, critic = info["generator"](info["latent_dim"], 0.125), info["critic"](info["norms"][0], 0.125)
    size = info["image_size"]
    z = np.random.default_rng(0).normal(size=(4, info["latent_dim"])).astype("float32")
    images = generator(z, training=False).numpy()
    assert images.shape == (4, size, size, 3) and critic(images).shape == (4, 1)
    low, high = info["value_range"]
    assert images.min() >= low and images.max() <= high
    for net in (generator, critic):
        names = [layer.name for layer in net.layers]
        assert len(names) == len(set(names))


def test_layer_norm_is_per_example_and_bad_norms_are_refused():
    critic = w.build_s3_critic("layer", 0.125)
    x = np.random.default_rng(1).uniform(size=(3, 64, 64, 3)).astype("float32")
    alone = critic(x[:1]).numpy()
    together = critic(x, training=True).numpy()[:1]
    np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)  # no mixing across the batch
    bn = w.build_s3_critic("batch", 0.125)
    assert abs(float(bn(x[:1], training=True)[0, 0]) - float(bn(x, training=True)[0, 0])) > 1e-6  # batchnorm mixes
    with pytest.raises(ValueError, match="Unknown critic normalisation"):
        w.build_s3_critic("instance")
    with pytest.raises(ValueError, match="width"):
        w.build_s2_critic(width=0)


def test_chapter_helpers():
    from gancore.chapters import projects

    grid = projects.component_grid(np.arange(5.0), np.array([-1.0, 1.0]))
    np.testing.assert_array_equal(grid, [[-1, 1, 2, 3, -1], [-1, 1, 2, 3, 1], [1, 1, 2, 3, -1], [1, 1, 2, 3, 1]])
    critic = lambda x, training=False: np.sum(x, axis=(1, 2, 3))[:, None] * 0.5  # noqa: E731
    real, fake = np.ones((3, 2, 2, 1)), np.zeros((5, 2, 2, 1))
    assert projects.critic_estimate(critic, real, fake, batch=2) == pytest.approx(2.0)  # 0.5 * 4 pixels - 0
    a = {"generator": [np.zeros(2), np.array(3)], "critic": [np.ones(1)]}
    b = {"generator": [np.array([0.0, 0.25]), np.array(3)], "critic": [np.ones(1)]}
    report = projects.compare_states(a, b)
    assert report["generator"] == {"variables": 2, "equal": False, "max_abs_diff": 0.25}
    assert report["critic"]["equal"] and report["critic"]["max_abs_diff"] == 0.0
    assert projects.settings_table([("z", 15, 15)]).splitlines() == ["setting  this run  seed",
                                                                     "-------  --------  ----", "z        15        15"]
