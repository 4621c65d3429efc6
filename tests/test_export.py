"""Exports: every point in CSV and JSON, and a script that retrains the run to the same losses."""

import ast
import csv
import io
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from runs_helpers import finished_run, tiny_config

from torchxp_core import export, retrain_script
from torchxp_core.config import RunConfig
from torchxp_core.history import HistoryStore
from torchxp_core.recorder import HistoryRecorder
from torchxp_core.runner import Status

CASES = {
    "moons-adam": tiny_config(),
    "spiral-sgd-nesterov-dropout-batchnorm": RunConfig.from_dict(
        {
            "data": {"dataset": "spiral", "n_samples": 300, "n_classes": 3, "seed": 2},
            "model": {"hidden": [12, 12], "dropout": 0.2, "batch_norm": True, "activation": "tanh"},
            "train": {"optimizer": "sgd", "nesterov": True, "lr": 0.05, "epochs": 3, "seed": 7},
        }
    ),
    "curve-mse-rmsprop-unstandardised": RunConfig.from_dict(
        {
            "data": {"dataset": "curve", "n_samples": 200, "standardize": False},
            "train": {"loss": "mse", "optimizer": "rmsprop", "epochs": 3, "batch_size": 20},
        }
    ),
    "xor-bce-frozen-layer-pitfalls": RunConfig.from_dict(
        {
            "data": {"dataset": "xor", "n_samples": 200},
            "model": {"hidden": [8, 8], "frozen": ["0"]},
            "train": {
                "loss": "bce",
                "optimizer": "adamw",
                "epochs": 2,
                "pitfalls": ["forget_zero_grad", "forget_eval", "grad_in_val"],
            },
        }
    ),
    "digits-cnn": RunConfig.from_dict(
        {
            "data": {"dataset": "digits", "val_fraction": 0.5},
            "model": {"kind": "cnn", "hidden": [16]},
            "train": {"loss": "cross_entropy", "epochs": 1, "batch_size": 128},
        }
    ),
    "shapes-cnn-nhwc-reshape": RunConfig.from_dict(
        {
            "data": {"dataset": "shapes", "val_fraction": 0.5},
            "model": {"kind": "cnn", "hidden": [8]},
            "train": {"epochs": 1, "batch_size": 100, "pitfalls": ["nhwc_reshape"]},
        }
    ),
    "spiral-softmax-before-ce": RunConfig.from_dict(
        {
            "data": {"dataset": "spiral", "n_samples": 200},
            "train": {"epochs": 2, "pitfalls": ["softmax_before_ce"]},
        }
    ),
    "moons-sigmoid-into-bce-with-logits": RunConfig.from_dict(
        {
            "data": {"dataset": "moons", "n_samples": 200},
            "train": {
                "loss": "bce_with_logits",
                "epochs": 2,
                "pitfalls": ["sigmoid_into_logits_loss"],
            },
        }
    ),
    "curve-mse-shape": RunConfig.from_dict(
        {
            "data": {"dataset": "curve", "n_samples": 200},
            "train": {"loss": "mse", "epochs": 2, "pitfalls": ["mse_shape"]},
        }
    ),
    "wine-real-table": RunConfig.from_dict({"data": {"dataset": "wine"}, "train": {"epochs": 2}}),
    "diabetes-real-table-mse": RunConfig.from_dict(
        {"data": {"dataset": "diabetes"}, "train": {"loss": "mse", "epochs": 2}}
    ),
    "circles-bce-logits-adagrad": RunConfig.from_dict(
        {
            "data": {"dataset": "circles", "n_samples": 200},
            "train": {"loss": "bce_with_logits", "optimizer": "adagrad", "epochs": 2},
        }
    ),
}


def _printed_epochs(stdout: str) -> list[dict]:
    records = []
    for line in stdout.splitlines():
        if line.startswith("epoch "):
            head, _, body = line.partition(": ")
            pairs = (item.split("=") for item in body.split())
            records.append({"epoch": int(head.split()[1])} | {k: float(v) for k, v in pairs})
    return records


def _expected(run) -> list[dict]:
    return [
        {k: v for k, v in r.items() if k not in ("step", "elapsed_s", "cpu_s")}  # no clocks
        for r in run.log.epoch_records()
    ]


def test_the_exported_script_run_alone_prints_the_runs_per_epoch_losses(registry, tmp_path):
    run = finished_run(registry, CASES["moons-adam"])
    path = tmp_path / "run.py"
    path.write_text(retrain_script.script(run.cfg.to_dict(), "moons run"))
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert _printed_epochs(done.stdout) == _expected(run)  # exact: same ops, same order, bits


def test_exported_scripts_reproduce_every_dataset_model_loss_and_pitfall(registry, tmp_path):
    # One interpreter runs every script in turn: importing torch once keeps this test short.
    runs, paths = {}, []
    for case, cfg in CASES.items():
        runs[case] = finished_run(registry, cfg)
        assert runs[case].status == Status.FINISHED, runs[case].error
        paths.append(tmp_path / f"{case}.py")
        paths[-1].write_text(retrain_script.script(cfg.to_dict(), case))
    each = "import runpy, sys\nfor p in sys.argv[1:]:\n    print('=== ' + p)\n    runpy.run_path(p)"
    done = subprocess.run(
        [sys.executable, "-c", each, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.split("=== ")[1:]
    for case, output in zip(CASES, outputs, strict=True):
        assert _printed_epochs(output) == _expected(runs[case]), case


def test_the_script_imports_only_torch_numpy_sklearn_and_the_standard_library():
    tree = ast.parse(retrain_script.script(tiny_config().to_dict(), "x"))
    roots = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert roots <= {"math", "types", "numpy", "torch", "sklearn"}


@pytest.mark.parametrize(
    "name",
    [
        'x"""\nimport os; os.system("echo pwned")\n"""',
        "a\rb\nc\u2028d\x00e # -*- coding: latin-1 -*-",
        "'); print('pwned'); ('",
        "\\",
    ],
)
def test_a_run_name_cannot_break_out_of_the_scripts_strings_or_comments(name):
    source = retrain_script.script(tiny_config(epochs=1).to_dict(), name)
    tree = ast.parse(source)
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["RUN_NAME"]) == name
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert not any(getattr(c.func, "attr", "") == "system" for c in calls)
    comment = next(line for line in source.splitlines() if line.startswith("# Run: "))
    assert "\n" not in comment and "\r" not in comment
    assert "coding" not in "\n".join(source.splitlines()[:2])  # no encoding cookie sneaks in


def _recorded(tmp_path, registry, n: int):
    store = HistoryStore(tmp_path)
    recorder = HistoryRecorder(store, registry, every_s=0.01).start()
    runs = [finished_run(registry, tiny_config(seed=s)) for s in range(n)]
    recorder.stop()
    return store, [recorder.history_id(r) for r in runs], runs


def test_csv_and_json_hold_every_point_of_every_run(tmp_path, registry):
    store, ids, runs = _recorded(tmp_path, registry, 2)
    items = export.load(store, ids)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(items))))
    doc = json.loads(export.to_json(items))
    assert doc["format"] == export.FORMAT and [r["id"] for r in doc["runs"]] == ids
    for history_id, run, entry in zip(ids, runs, doc["runs"], strict=True):
        steps = run.log.steps()
        mine = [r for r in rows if r["run_id"] == history_id]
        csv_loss = np.array([float(r["batch_loss"]) for r in mine if r["kind"] == "step"])
        assert np.array_equal(csv_loss.astype(np.float32), steps.loss)  # exact, not sampled
        epochs = [r for r in mine if r["kind"] == "epoch"]
        assert [float(r["val_loss"]) for r in epochs] == [
            r["val_loss"] for r in run.log.epoch_records()
        ]
        assert np.array_equal(np.float32(entry["steps"]["loss"]), steps.loss)
        assert entry["epochs"] == run.log.epoch_records()
        assert RunConfig.from_dict(entry["settings"]) == run.cfg
    store.close()


def test_a_run_trained_on_a_missing_gpu_still_exports_and_falls_back_to_cpu():
    settings = tiny_config(epochs=1).to_dict()
    settings["train"]["device"] = "cuda:7"  # not on this machine
    source = retrain_script.script(settings, "gpu run")
    ast.parse(source)
    assert "DEVICE = 'cuda:7'" in source and "DEVICE = 'cpu'" in source


def test_an_until_paused_run_is_exported_with_the_epochs_it_trained(registry, tmp_path):
    from dataclasses import replace

    cfg = CASES["moons-adam"]
    cfg = replace(cfg, train=replace(cfg.train, endless=True, epochs=1))
    run = registry.start(cfg)
    deadline = time.monotonic() + 60
    while run.epoch < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    run.pause()  # between two batches: then stop, so the last epoch is a whole one
    run.stop(wait=True)
    assert run.join(60)
    trained = run.log.epoch_records()[-1]["epoch"]
    assert trained >= 3  # past its 1 configured epoch
    path = tmp_path / "run.py"
    path.write_text(retrain_script.script(run.cfg.to_dict(), "endless", epochs_trained=trained))
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert _printed_epochs(done.stdout) == _expected(run)


def _table_bytes() -> bytes:
    """A messy but valid CSV: a BOM, spaces after commas, text labels, an int and a bool
    column, missing values in a used column (those rows are dropped) and in an unused one."""
    rng = np.random.default_rng(3)
    lines = ["\ufeffa, b ,flag,animal,value,note"]
    for i in range(150):
        a, b = rng.normal(), int(rng.integers(0, 9))
        animal = ["cat", "dog", "owl"][int(a > 0) + int(b > 4)]
        cell = "NA" if i % 37 == 5 else f"{a:.6f}"
        lines.append(
            f"{cell}, {b},{i % 3 == 0},{animal},{a * 2 + b / 3:.5f},{'' if i % 4 else 'x'}"
        )
    return ("\n".join(lines) + "\n").encode()


def _csv_case(digest: str, target: str, loss: str) -> RunConfig:
    return RunConfig.from_dict(
        {
            "data": {"dataset": "csv", "table": digest, "target": target,
                     "features": ["a", "b", "flag"]},
            "model": {"hidden": [8], "dropout": 0.1},
            "train": {"loss": loss, "epochs": 2, "batch_size": 16},
        }
    )  # fmt: skip


def test_a_run_on_an_uploaded_csv_exports_a_script_and_its_file_that_reproduce_it(
    registry, data_dir, tmp_path
):
    import zipfile

    from torchxp_core import tables

    digest = tables.save(_table_bytes(), data_dir)
    for target, loss in (("animal", "cross_entropy"), ("value", "mse")):
        run = finished_run(registry, _csv_case(digest, target, loss))
        assert run.status == Status.FINISHED, run.error
        folder = tmp_path / target
        with zipfile.ZipFile(io.BytesIO(retrain_script.bundle(run.cfg.to_dict(), target))) as z:
            z.extractall(folder)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["run.py", retrain_script.table_name(digest)]
        )
        done = subprocess.run(
            [sys.executable, "run.py"], capture_output=True, text=True, timeout=300, cwd=folder
        )
        assert done.returncode == 0, done.stderr
        assert _printed_epochs(done.stdout) == _expected(run), target
        tree = ast.parse((folder / "run.py").read_text())
        roots = {
            (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        assert roots <= {"math", "types", "os", "csv", "io", "numpy", "torch", "sklearn"}


def test_a_csv_run_whose_file_is_gone_cannot_export_and_says_why(data_dir):
    from torchxp_core import tables

    digest = tables.save(_table_bytes(), data_dir)
    settings = _csv_case(digest, "animal", "cross_entropy").to_dict()
    tables.path_of(digest, data_dir).unlink()
    tables.load.cache_clear()
    tables.stored_arrays.cache_clear()
    assert "not in this server's data folder" in retrain_script.export_problem(settings)
    with pytest.raises(ValueError, match="not in this server's data folder"):
        retrain_script.script(settings, "gone")


def test_only_a_run_on_an_uploaded_csv_reads_a_table_beside_its_script():
    csv_run = {"data": {"dataset": "csv", "table": "0" * 64, "target": "animal"}}
    assert retrain_script.reads_table(csv_run)
    assert not retrain_script.reads_table(RunConfig().to_dict())
    assert not retrain_script.reads_table({"data": "csv"})  # a damaged store's settings
    assert not retrain_script.reads_table([])
