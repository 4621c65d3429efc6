"""The lab's small core pieces: settings differences, the 'learned nothing' verdict, the
untrained picture, and the charts' log ticks and smooth multi-class surface."""

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image
from runs_helpers import QuietReporter

from torchxp_core import diff, outcome, preview, training
from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from torchxp_core.data import make_dataset
from torchxp_core.figures import training as figs
from torchxp_core.metrics import ParamSnapshot


def test_changes_name_each_changed_setting_with_its_old_and_new_value():
    old = RunConfig()
    new = RunConfig(
        model=ModelConfig(hidden=(8,)), train=TrainConfig(lr=0.1, pitfalls=("forget_eval",))
    )
    assert diff.changes(old, new) == [
        "hidden sizes 16,16 → 8",
        "learning rate 0.01 → 0.1",
        "pitfalls none → forget_eval",
    ]
    assert diff.changes(old, RunConfig()) == []


def test_chance_level_accuracy_is_called_learning_nothing_and_a_good_run_is_not():
    data = make_dataset(DataConfig())
    commonest = np.bincount(data.y_val).max() / len(data.y_val)
    said = outcome.learned_nothing("classification", data, {"val_accuracy": commonest})
    assert "learned nothing" in said and f"{commonest:.1%}" in said
    assert outcome.learned_nothing("classification", data, {"val_accuracy": 0.97}) == ""


def test_an_rmse_no_better_than_the_mean_is_learning_nothing():
    data = make_dataset(DataConfig(dataset="curve"))
    spread = float(np.std(data.y_val))
    assert "predicting the mean" in outcome.learned_nothing(
        "regression", data, {"val_rmse": spread}
    )
    assert outcome.learned_nothing("regression", data, {"val_rmse": spread / 3}) == ""


def test_the_untrained_picture_is_the_runs_step_zero():
    cfg = RunConfig()
    pic = preview.untrained(cfg)
    setup = training.prepare(cfg)  # the model a run starts from, built as a run builds it
    from torchxp_core.surface import snapshot

    expected = snapshot(setup.model, cfg.loss, pic.grid, 0, 0)
    np.testing.assert_array_equal(pic.snapshot.values, expected.values)


def test_images_show_the_models_guesses_from_the_weights_a_worker_sends():
    cfg = RunConfig(DataConfig(dataset="digits"), ModelConfig(hidden=(32,)), TrainConfig())
    data = make_dataset(cfg.data)
    setup = training.prepare(cfg, data)
    with torch.no_grad():
        for p in setup.model.parameters():
            p.zero_()
        setup.model[-1].bias[7] = 5.0  # a model that answers 7 to everything
    weights = {k: v.numpy().copy() for k, v in setup.model.state_dict().items()}
    pic = preview.trained(cfg, data, ParamSnapshot(10, 1, weights, {}))
    assert (pic.images.predicted == 7).all() and len(pic.images.labels) == preview.N_IMAGES
    fig = figs.images_figure(pic.images, 1)
    wrong = int((pic.images.labels != 7).sum())
    assert f"{wrong} of {preview.N_IMAGES} wrong" in fig.layout.title.text
    # Each guess says its probability, softmax of the outputs: here the same for every image.
    sure = torch.softmax(setup.model(torch.from_numpy(data.x_val[:1])), dim=1)[0, 7].item()
    texts = [a.text for a in fig.layout.annotations]
    assert all(t.endswith(f" {sure:.0%}") for t in texts)
    assert texts[0] == f"7 ({pic.images.labels[pic.images.labels != 7][0]}) {sure:.0%}"


def test_the_images_show_mistakes_first_the_surest_first():
    shown = preview.ImagePredictions(
        np.zeros((4, 1, 2, 2), np.float32),
        np.array([0, 1, 2, 3]),
        np.array([0, 9, 2, 9]),  # images 1 and 3 wrong
        np.array([0.9, 0.6, 0.5, 0.8], np.float32),
    )
    texts = [a.text for a in figs.images_figure(shown, None).layout.annotations]
    assert texts == ["9 (3) 80%", "9 (1) 60%", "2 50%", "0 90%"]


def test_log_ticks_label_decades_not_minor_ticks():
    ticks = figs.log_ticks([{"y": np.array([0.004, 0.3, 2.0])}])
    assert ticks["ticktext"] == ["0.01", "0.1", "1"]  # decades only, within the data
    narrow = figs.log_ticks([{"y": np.array([0.2, 0.9])}])
    assert narrow["ticktext"] == ["0.1", "0.2", "0.5", "1"]


def _pixels(trace) -> np.ndarray:
    png = base64.b64decode(trace.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.int16)


def test_the_multiclass_surface_is_an_image_the_browser_smooths_one_pixel_per_grid_point():
    cfg = RunConfig(DataConfig(dataset="spiral", n_classes=4))
    pic = preview.untrained(cfg)
    fig = figs.surface_figure(pic.snapshot, pic.grid.axes, pic.data)
    image = next(t for t in fig.data if t.type == "image")
    assert image.zsmooth == "fast"  # scaled smoothly by the browser, not drawn as blocks
    pixels = _pixels(image)
    gx, gy = pic.grid.axes
    assert pixels.shape[:2] == (len(gy), len(gx))
    # Pixel centres on the grid points, the top row being the grid's last (highest) row.
    assert (image.x0, image.y0) == (gx[0], gy[-1])
    assert np.isclose(image.dx, gx[1] - gx[0]) and np.isclose(image.dy, gy[0] - gy[1])
    predicted = pic.snapshot.values.astype(np.int64)
    top_left = np.array(figs._rgb(figs.CLASS_COLORS[predicted[-1, 0]]))
    sure = np.clip((pic.snapshot.confidence[-1, 0] - 0.25) / 0.75, 0, 1)  # 4 classes
    faded = 255 + (top_left - 255) * (0.2 + 0.6 * sure)
    assert np.abs(pixels[0, 0] - faded).max() <= 1


def test_the_runs_optimizer_is_torchs_fused_one_and_the_export_writes_the_same_call():
    from torchxp_core import optimizers, retrain_script

    cfg = RunConfig()
    assert training.prepare(cfg).optimizer.defaults["fused"] is True
    assert retrain_script.optimizer_call(cfg).endswith("fused=True)")
    assert not optimizers.fused("rmsprop", "cpu")  # torch has no fused RMSprop: plain call
    rms = RunConfig(train=TrainConfig(optimizer="rmsprop"))
    assert "fused" not in retrain_script.optimizer_call(rms)
    assert not training.prepare(rms).optimizer.defaults.get("fused")


def test_a_switch_the_model_cannot_show_says_so_and_offers_the_setting_that_shows_it():
    from torchxp_core import pitfalls

    quiet = pitfalls.silent(RunConfig(train=TrainConfig(pitfalls=("forget_eval",))))
    assert [q.pitfall for q in quiet] == ["forget_eval"] and quiet[0].fix == {"model.dropout": 0.3}
    shown = RunConfig(model=ModelConfig(dropout=0.3), train=TrainConfig(pitfalls=("forget_eval",)))
    assert pitfalls.silent(shown) == []
    digits = RunConfig(
        DataConfig(dataset="digits"),
        ModelConfig(kind="cnn"),
        TrainConfig(pitfalls=("nhwc_reshape",)),
    )
    assert pitfalls.silent(digits)[0].fix == {"data.dataset": "shapes", "model.kind": "cnn"}
    # ...and the fix is true: with one channel the reshape really changes nothing.
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(x.permute(0, 2, 3, 1).reshape(x.shape), x)


def test_a_loss_mistake_under_another_loss_is_refused_with_the_loss_to_choose():
    import pytest

    with pytest.raises(ValueError, match="choose that loss"):
        RunConfig(train=TrainConfig(loss="cross_entropy", pitfalls=("logits_into_bce",)))
    with pytest.raises(ValueError, match="needs images"):
        RunConfig(train=TrainConfig(pitfalls=("nhwc_reshape",)))


def test_the_images_view_asks_the_mistaken_model_about_the_images_it_was_fed():
    cfg = RunConfig(
        DataConfig(dataset="shapes"),
        ModelConfig(kind="cnn"),
        TrainConfig(pitfalls=("nhwc_reshape",)),
    )
    data = make_dataset(cfg.data)
    pic = preview.untrained(cfg, data)
    model = training.initial_model(cfg, data).eval()
    x = torch.from_numpy(data.x_val[: preview.N_IMAGES])
    fed = training.prepare(cfg, data).tensors["val"][0][: preview.N_IMAGES]  # scrambled
    assert not torch.equal(fed, x)
    with torch.no_grad():
        np.testing.assert_array_equal(pic.images.predicted, model(fed).argmax(1).numpy())
    np.testing.assert_array_equal(pic.images.images, x.numpy())  # people see the real images


def test_a_table_is_drawn_on_its_principal_plane_and_the_model_sliced_along_it():
    from sklearn.decomposition import PCA

    cfg = RunConfig(DataConfig(dataset="wine"))
    pic = preview.untrained(cfg)
    plane = pic.grid.plane
    pca = PCA(n_components=2, svd_solver="full").fit(pic.data.x_train)
    np.testing.assert_allclose(
        plane.project(pic.data.x_val), pca.transform(pic.data.x_val), rtol=1e-4, atol=1e-4
    )
    # The surface is the model's own prediction at the lifted grid points.
    model = training.initial_model(cfg, pic.data).eval()
    with torch.no_grad():
        probs = model(pic.grid.points).softmax(1)
    np.testing.assert_allclose(pic.snapshot.confidence.ravel(), probs.max(1).values.numpy())
    fig = figs.surface_figure(pic.snapshot, pic.grid.axes, pic.data, plane)
    assert "PC1–PC2 of 13 features" in fig.layout.title.text
    assert "of variance" in fig.layout.xaxis.title.text


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "diabetes"])
def test_scikit_learns_real_tables_train_well_past_a_guess(name):
    from torchxp_core import outcome

    loss = "mse" if name == "diabetes" else "cross_entropy"
    cfg = RunConfig(DataConfig(dataset=name), train=TrainConfig(loss=loss, epochs=30))
    last = {}

    class Keep(QuietReporter):
        def on_epoch(self, epoch, results):
            last.update({f"val_{k}": v for k, v in results["val"].items()})

    setup = training.prepare(cfg)
    training.fit(setup, Keep())
    assert outcome.learned_nothing(setup.loss.task, setup.data, last) == ""


def test_the_memory_estimate_counts_what_torch_really_holds():
    from torchxp_core import budget
    from torchxp_core.models import build_model

    cfg = RunConfig(
        DataConfig(dataset="shapes"),
        ModelConfig(kind="cnn", hidden=(32,)),
        TrainConfig(batch_size=16),
    )
    model = build_model(cfg.model, (3, 16, 16), 6, cfg.loss)
    sizes = []
    for layer in model:
        layer.register_forward_hook(lambda _m, _i, out: sizes.append(out.numel()))
    model(torch.zeros(16, 3, 16, 16))
    params, activations = budget._model_and_activations(cfg)
    assert params == sum(p.numel() for p in model.parameters())
    assert activations == sum(sizes)  # worked out without a forward pass, equal to one


def test_a_run_past_the_budget_is_refused_naming_its_biggest_part():
    from torchxp_core import budget

    huge = RunConfig(
        DataConfig(n_samples=1_000_000),
        ModelConfig(hidden=(4096, 4096)),
        TrainConfig(batch_size=800_000, epochs=100_000),
    )
    said = budget.check(huge)
    assert "more than the 2.0 GB" in said and "the biggest part is one batch's activations" in said
    assert budget.check(RunConfig()) == ""
    from torchxp_core.runner import RunLimitError, RunRegistry

    with pytest.raises(RunLimitError, match="biggest part"):
        RunRegistry().start(huge)


def test_keeping_the_graph_in_validation_is_measured_not_claimed():
    from torchxp_core import pitfalls

    cfg = RunConfig(train=TrainConfig(pitfalls=("grad_in_val",)))
    cost = pitfalls.validation_cost(cfg)
    assert cost.kept_bytes > 0 and cost.slower > 0

    def kept(samples: int) -> int:  # validation is one batch here: its rows grow with data
        data = DataConfig(n_samples=samples)
        run = RunConfig(data=data, train=TrainConfig(pitfalls=("grad_in_val",)))
        return pitfalls.validation_cost(run, repeats=1).kept_bytes

    # Saved activations grow with the batch, the saved weights do not: a straight line.
    assert kept(1600) - kept(800) == 2 * (kept(800) - kept(400)) > 0
    note = pitfalls.silent(cfg)[0].why
    assert f"{cost.kept_bytes / 1024:,.0f} KiB" in note
    assert f"({cost.rows} rows)" in note and cost.rows == len(make_dataset(cfg.data).x_val)


def test_the_binary_surface_is_an_image_coloured_by_p_with_its_colour_bar_kept():
    from torchxp_core.metrics import Snapshot

    pic = preview.untrained(RunConfig())
    gx, gy = pic.grid.axes
    p = np.tile(np.linspace(0.0, 1.0, len(gx), dtype=np.float32), (len(gy), 1))  # left to right
    fig = figs.surface_figure(Snapshot(0, 0, p), pic.grid.axes, pic.data)
    assert not any(t.type == "heatmap" and t.zsmooth for t in fig.data)  # no per-pixel JS
    pixels = _pixels(next(t for t in fig.data if t.type == "image"))
    sure_0, unsure, sure_1 = pixels[:, 0], pixels[:, pixels.shape[1] // 2], pixels[:, -1]
    blend = lambda color: 255 + (np.array(figs._rgb(color)) - 255) * figs.BINARY_OPACITY  # noqa: E731
    assert np.abs(sure_0 - blend(figs.CLASS_COLORS[0])).max() <= 2
    assert np.abs(sure_1 - blend(figs.CLASS_COLORS[1])).max() <= 2
    assert unsure.min() >= 245  # P = 0.5 is white: the model is unsure there
    scale = next(t for t in fig.data if t.type == "heatmap")
    assert (scale.zmin, scale.zmax, scale.opacity) == (0, 1, 0)
    assert scale.colorbar.title.text == "P(class 1)"


def test_the_regression_surface_spans_viridis_from_the_lowest_to_the_highest_prediction():
    from torchxp_core.metrics import Snapshot

    cfg = RunConfig.from_dict({"data": {"dataset": "diabetes"}, "train": {"loss": "mse"}})
    pic = preview.untrained(cfg)
    gx, gy = pic.grid.axes
    values = np.tile(np.linspace(-3.0, 5.0, len(gx), dtype=np.float32), (len(gy), 1))
    fig = figs.surface_figure(Snapshot(0, 0, values), pic.grid.axes, pic.data, pic.grid.plane)
    pixels = _pixels(next(t for t in fig.data if t.type == "image"))
    assert np.abs(pixels[:, 0] - figs._rgb(figs.VIRIDIS[0])).max() <= 2
    assert np.abs(pixels[:, -1] - figs._rgb(figs.VIRIDIS[-1])).max() <= 2
    scale = next(t for t in fig.data if t.type == "heatmap")
    assert (scale.zmin, scale.zmax) == (-3.0, 5.0)
