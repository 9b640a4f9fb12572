"""The dry run of the `full` profile: which settings are cut (and which are not), the mini data sets in the book's
real layouts (read by the chapters' own loaders), the step-time log and the estimates."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from gancore.course import dry_run


def test_cut_settings_shortens_the_run_and_keeps_the_networks():
    full = {"steps": 100000, "steps_per_epoch": 500, "steps_per_execution": 50, "epochs": 20, "batch_size": 128,
            "image_size": 256, "width": 1.0, "latent_dim": 100, "eval_samples": 10000, "train_images": 2014,
            "seeds": [1, 2, 3], "sizes": [50, 100, 250, 500, 10000], "critic_steps": 5, "learning_rate": 2e-4,
            "seed_steps": 0, "max_images": None, "library": True, "d_updates": 15000, "loss_points": 100}
    cut, changes = dry_run.cut_settings(full)
    assert cut == {**full, "steps": 2, "steps_per_epoch": 1, "steps_per_execution": 1, "epochs": 1,
                   "eval_samples": 256, "train_images": 8, "seeds": [1], "sizes": [50, 100, 250],
                   "d_updates": 10,  # 2 generator steps of a WGAN with 5 critic updates each
                   "loss_points": 2}  # steps // loss_points logged points stays >= 1
    assert changes["steps"] == (100000, 2) and "batch_size" not in changes and "critic_steps" not in changes
    assert full["steps"] == 100000  # the input is not modified


def test_an_interruption_demo_stops_in_the_middle_of_the_second_epoch():
    full = {"steps": 148950, "steps_per_epoch": 993, "interrupt_at": 1500, "save_every": 1}
    cut, _ = dry_run.cut_settings(full)
    assert cut == {"steps": 4, "steps_per_epoch": 2, "interrupt_at": 3, "save_every": 1}


def test_full_training_steps_counts_step_keys_and_seeds():
    assert dry_run.full_training_steps({"steps": 1000, "variant_steps": 500, "seeds": [1, 2]}) == 3000
    assert dry_run.full_training_steps({"fallback_steps": 200}) == 0  # only when an earlier chapter's output is missing
    assert dry_run.full_training_steps({"epochs": 20, "train_samples": 60000, "batch_size": 64}) == 20 * 938


def test_mini_data_has_the_real_layouts_and_the_loaders_read_it(tmp_path, monkeypatch):
    from gancore.chapters import cartoon, cross_domain, maps, superres, unpaired
    from gancore.data import faces

    source = tmp_path / "cache"
    (source / "mnist").mkdir(parents=True)
    (source / "mnist" / "train-images-idx3-ubyte").write_bytes(b"x")
    root = dry_run.build_mini_data(tmp_path / "mini", source)
    assert (root / "mnist").is_symlink() and (root / "mnist" / "train-images-idx3-ubyte").is_file()
    monkeypatch.setenv("GANCORE_DATA", str(root))
    apples = unpaired.unpaired_data("apple2orange", 4, 2, 32, root=root)
    assert not apples.standin and apples.train_a.shape == (4, 32, 32, 3)
    pairs = maps.maps_data(4, 2, 32, root=root)
    assert not pairs.standin and pairs.test_b.shape == (2, 32, 32, 3)
    domains = cross_domain.celeba_domains(32, 4, 2, root=root / "celeba")
    assert domains.train_a.shape == (4, 32, 32, 3) and domains.test_b.shape == (2, 32, 32, 3)
    assert not faces.resolve_faces("anime_faces").standin
    selfies = cartoon.cartoon_data(4, 2, 32, root=root)
    assert not selfies.standin and "selfie2anime" in selfies.source
    zebras = unpaired.unpaired_data("horse2zebra", 4, 2, 32, root=root)
    assert not zebras.standin and zebras.test_b.shape == (2, 32, 32, 3)
    sr = superres.resolve_sr_data(4, 2, lr_size=64, scale=4)
    assert "FaceScrub" in sr.source and sr.train_hr.shape == (4, 256, 256, 3)
    assert dry_run.build_mini_data(tmp_path / "mini", source) == root  # built once


def test_step_time_log_and_estimates(tmp_path, monkeypatch):
    from gancore import course
    from gancore.training.callbacks import STEP_LOG_ENV
    from gancore.training.fitting import fit_steps

    log = tmp_path / "steps.jsonl"
    monkeypatch.setenv(STEP_LOG_ENV, str(log))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="tiny")
    model.compile("sgd", "mse")
    data = lambda start, n: __import__("tensorflow").data.Dataset.from_tensors(
        (np.ones((4, 3), "float32"), np.ones((4, 1), "float32"))).repeat(n)
    fit_steps(model, data, total_steps=4, steps_per_epoch=2, verbose=0)
    records = dry_run.read_step_log(log)
    assert len(records) == 1 and records[0]["model"] == "tiny" and records[0]["batches"] == 4
    seconds = dry_run.step_seconds(records)
    assert seconds is not None and 0 < seconds < 5
    chapter = course.load_manifest().chapter("gan-digits")
    rows = dry_run.estimate_rows([chapter], {"gan-digits": {"status": "ok", "seconds": 30.0, "step_seconds": 0.5}},
                                 gflops_here=100.0, gpu_tflops=10.0)
    steps = dry_run.full_training_steps(chapter.settings("full"))
    assert rows[0]["cpu_hours"] == pytest.approx(0.5 * steps / 3600)
    assert rows[0]["gpu_hours"] == pytest.approx(rows[0]["cpu_hours"] / 100)
    json.dumps(rows)
