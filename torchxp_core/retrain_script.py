"""A stored run as a standalone script that retrains it and prints its per-epoch losses.

The script needs only torch and scikit-learn. Its loop is loop.py's source as this run
executed it (loop_source.py resolves the pitfall branches), its data generator data.py's own
source, and its model, loss and optimizer the calls setup_source.py writes, with the same
seeding, batch order and sums, so on CPU its per-epoch losses equal the run's;
tests/test_export.py runs it in a subprocess to keep that true.
"""

import inspect
import io
import pprint
import time
import zipfile
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from torchxp_core import data as datamod
from torchxp_core import loop, loop_source, table_reader, tables
from torchxp_core.catalogue import DATASETS
from torchxp_core.config import VAL_ROWS, RunConfig
from torchxp_core.devices import available_devices
from torchxp_core.losses import REGRESSION
from torchxp_core.runner import TORCH_THREADS
from torchxp_core.setup_source import draws_random, optimizer_call, setup_code
from torchxp_core.training import DIVERGE_FACTOR

__all__ = ["bundle", "export_problem", "files", "optimizer_call", "script"]


def _comment(text: str) -> str:
    """User text made safe for a # comment: no line breaks or control characters."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def script(
    settings: dict, name: str = "", epochs_trained: int = 0, threads: int = TORCH_THREADS
) -> str:
    """A standalone script that retrains the run described by ``settings`` and prints losses.

    A run without an epoch limit ("until paused") is written with the ``epochs_trained`` it
    did, so the script ends where the run was stopped.
    """
    train = settings.get("train", {}) if isinstance(settings, dict) else {}
    if isinstance(train, dict) and train.get("endless") is True:
        epochs = epochs_trained if epochs_trained > 0 else train.get("epochs", 1)
        settings = {**settings, "train": {**train, "endless": False, "epochs": epochs}}
    device = settings.get("train", {}).get("device", "cpu")
    if device not in available_devices():  # trained on a GPU this machine lacks: check on cpu
        settings = {**settings, "train": {**settings["train"], "device": "cpu"}}
    cfg = RunConfig.from_dict(settings)
    loss, pitfalls = cfg.loss, frozenset(cfg.train.pitfalls)
    lines = [
        "#!/usr/bin/env python3",
        '"""Retrain a torchxp run and print its per-epoch losses.',
        "",
        "Needs only torch and scikit-learn. On CPU, with the same torch version, the losses",
        "printed equal the ones the run logged in torchxp.",
        '"""',
        "",
        f"# Run: {_comment(name)}",
        f"# Exported {time.strftime('%Y-%m-%d %H:%M')} from torchxp, trained with torch "
        f"{torch.__version__}",
        "import math",
        "from types import SimpleNamespace",
        "",
        "import numpy as np",
        "import torch",
        "from sklearn import datasets as skd",
        "from torch import nn",
        "",
        f"RUN_NAME = {str(name)!r}",
        f"SETTINGS = {pprint.pformat(cfg.to_dict(), sort_dicts=False, width=96)}",
        f"DEVICE = {device!r}  # the run's device; cpu where this machine lacks it",
        "if DEVICE.startswith('cuda') and not torch.cuda.is_available():",
        "    DEVICE = 'cpu'",
        "if DEVICE == 'mps' and not torch.backends.mps.is_available():",
        "    DEVICE = 'cpu'",
        "BATCH_SIZE = SETTINGS['train']['batch_size']",
        f"VAL_BATCH_SIZE = max(BATCH_SIZE, {VAL_ROWS})  # no backward(): bigger batches",
        "SEED = SETTINGS['train']['seed']",
        f"torch.set_num_threads({threads})  # as torchxp did; other counts may change last bits",
        "",
        "",
        *_data_lines(cfg),
        "",
        "",
        "# --- the loop: torchxp_core/loop.py as this run executed it ---------------------",
        loop_source.function("to_tensors", pitfalls).text,
        "",
        inspect.getsource(loop.Tally),
        "",
        loop_source.function("train_epoch", pitfalls).text,
        "",
        loop_source.function("evaluate", pitfalls).text,
        "",
        "# --- tensors, model, loss, optimizer: seeded, so the weights are the run's --------",
        f"TARGETS = {loss.target_dtype!r}, {loss.class_indices!r}  # dtype, class indices?",
        "tensors = {",
        "    'train': to_tensors(x_train, y_train, *TARGETS, DEVICE),",
        "    'val': to_tensors(x_val, y_val, *TARGETS, DEVICE),",
        "}",
        setup_code(cfg),
    ]
    if draws_random(cfg):
        lines += [
            "# Dropout draws its masks from a stream seeded with SEED alone, as torchxp does",
            "# so that runs side by side do not share (and shift) one random stream.",
            "torch.set_rng_state(torch.Generator().manual_seed(SEED).get_state())",
        ]
    lines += _epoch_lines(cfg)
    return "\n".join(lines)


def _data_lines(cfg: RunConfig) -> list[str]:
    """x_train, y_train, x_val, y_val as torchxp made them: generated, shuffled, split."""
    info, kind = DATASETS[cfg.data.dataset], cfg.data.resolved_task()
    lines = _table_lines(cfg) if cfg.data.dataset == "csv" else _generator_lines(cfg)
    y_dtype = "np.float32" if kind == REGRESSION else "np.int64"
    lines += [
        "x = np.asarray(x, dtype=np.float32)  # models default to float32 (lesson #1)",
        f"y = np.asarray(y, dtype={y_dtype})",
        "order = np.random.default_rng(cfg.seed + 1).permutation(len(x))",
        "x, y = x[order], y[order]",
        "n_val = max(1, round(len(x) * cfg.val_fraction))",
        "x_train, y_train, x_val, y_val = x[n_val:], y[n_val:], x[:n_val], y[:n_val]",
    ]
    if cfg.data.standardize:
        axis = "None" if info.image else "0"
        lines += [
            f"mean = x_train.mean(axis={axis}, keepdims=True)  # fitted on train only",
            f"std = x_train.std(axis={axis}, keepdims=True) + 1e-6",
            "x_train, x_val = (x_train - mean) / std, (x_val - mean) / std",
        ]
    return [
        *lines,
        "x_train = np.ascontiguousarray(x_train, dtype=np.float32)",
        "x_val = np.ascontiguousarray(x_val, dtype=np.float32)",
    ]


def _generator_lines(cfg: RunConfig) -> list[str]:
    sources = [inspect.getsource(datamod._generate)]
    if cfg.data.dataset == "spiral":
        sources.insert(0, inspect.getsource(datamod._spiral))
    if cfg.data.dataset in datamod.REAL_TABLES:
        loader = datamod.REAL_TABLES[cfg.data.dataset].__name__
        sources.insert(0, f"REAL_TABLES = {{{cfg.data.dataset!r}: skd.{loader}}}\n\n")
    if cfg.data.dataset == "shapes":
        sources.insert(0, f"SHAPES_SAMPLES = {datamod.SHAPES_SAMPLES}\n\n")
        sources.insert(1, inspect.getsource(datamod._shapes))
    return [
        "# --- data: the generator is torchxp_core/data.py's own source --------------------",
        "DataConfig = SimpleNamespace  # the settings the generator reads, as attributes",
        "",
        *[s + "\n" for s in sources],
        "cfg = SimpleNamespace(**SETTINGS['data'])",
        "x, y = _generate(cfg)",
    ]


def _table_lines(cfg: RunConfig) -> list[str]:
    """The run's CSV read from beside the script by table_reader.py's own source."""
    d = cfg.data
    features = [f for f in d.features if f != d.target]
    kinds, classes = _checked_reading(d.table, d.target, tuple(d.features), d.task)
    return [
        "# --- data: the run's CSV, beside this script, read as torchxp read it ----------",
        "import os",
        "",
        inspect.getsource(table_reader),
        f"TABLE = {table_name(d.table)!r}  # the uploaded file, exported with this script",
        f"TARGET, FEATURES = {d.target!r}, {features!r}",
        f"KINDS = {kinds!r}  # each column as pandas read it",
        f"CLASSES = {classes!r}  # class index i is CLASSES[i]; () for regression",
        "with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), TABLE), 'rb') as f:",
        "    x, y = read_table(f.read(), TARGET, FEATURES, KINDS, CLASSES)",
        "cfg = SimpleNamespace(**SETTINGS['data'])",
    ]


@lru_cache(maxsize=8)  # the Runs page asks on every rerun; a table is up to 100,000 rows
def _checked_reading(digest: str, target: str, features: tuple[str, ...], task: str):
    """Each used column's kind and the class names, once the script's reader has been seen
    to give the very arrays the run trained on (else a sentence saying it cannot)."""
    frame = tables.load(digest, tables.data_folder())  # a sentence if the file is gone
    arrays = tables.stored_arrays(digest, target, features, task)
    used = [f for f in features if f != target]
    kinds = {name: _kind(frame[name]) for name in [*used, target]}
    x, y = table_reader.read_table(_table_bytes(digest), target, used, kinds, arrays.classes)
    if not (np.array_equal(x, arrays.x) and np.array_equal(y, arrays.y)):
        raise ValueError(
            "This CSV reads differently without pandas (the script's reader) than it did "
            "for the run, so a script could not reproduce its losses; export the metrics "
            "instead."
        )
    return kinds, arrays.classes


def _table_bytes(digest: str) -> bytes:
    try:
        return tables.path_of(digest, tables.data_folder()).read_bytes()
    except OSError:
        raise tables.TableError(
            "The uploaded table of this run is not in this server's data folder, so its "
            "script would have nothing to read."
        ) from None


def _table_data(settings: dict) -> dict | None:
    """The data settings of a run on an uploaded CSV; None for any other dataset."""
    data = settings.get("data", {}) if isinstance(settings, dict) else {}
    return data if isinstance(data, dict) and data.get("dataset") == "csv" else None


def reads_table(settings: dict) -> bool:
    """Whether the run trained on an uploaded CSV, which its script reads from beside it."""
    return _table_data(settings) is not None


def export_problem(settings: dict) -> str:
    """Why the run cannot be exported as a script, in a sentence; '' when it can."""
    if not reads_table(settings):
        return ""  # any other run's settings problem is written into the file instead
    try:
        _table_lines(RunConfig.from_dict(settings))
    except ValueError as exc:
        return str(exc)
    return ""


def _kind(column) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_integer_dtype(column):
        return "int"
    if pd.api.types.is_float_dtype(column):
        return "float"
    return "str"


def table_name(digest: str) -> str:
    """The file name an exported CSV travels under (its content hash, shortened)."""
    return f"table-{digest[:16]}.csv"


def files(settings: dict, name: str = "", epochs_trained: int = 0) -> dict[str, bytes]:
    """The script of the run, and for a run on an uploaded CSV that file beside it."""
    source = script(settings, name, epochs_trained)
    data = _table_data(settings)
    out = {"run.py": source.encode()}
    if data is not None:
        digest = str(data.get("table", ""))
        out[table_name(digest)] = _table_bytes(digest)
    return out


def bundle(settings: dict, name: str = "", epochs_trained: int = 0) -> bytes:
    """``files`` as one zip: the script and the CSV it reads, side by side."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, content in files(settings, name, epochs_trained).items():
            archive.writestr(filename, content)
    return buffer.getvalue()


def _epoch_lines(cfg: RunConfig) -> list[str]:
    """The batches (as training.Setup.batches slices them) and the epochs around the loop."""
    loss = cfg.loss
    if loss.class_indices:
        predict = "outputs.argmax(dim=1)"
    else:
        predict = f"(outputs.reshape(-1) > {0.5 if loss.sigmoid_output else 0.0}).long()"
    if loss.task == REGRESSION:
        metric = ["    return {'loss': mean_loss, 'rmse': math.sqrt(mean_loss)}"]
    else:
        metric = [
            "    outputs, labels = torch.cat(tally.outputs), torch.cat(tally.labels)",
            f"    correct = ({predict} == labels.reshape(-1)).sum().item()",
            "    return {'loss': mean_loss, 'accuracy': correct / tally.count}",
        ]
    return [
        "generator = torch.Generator().manual_seed(SEED)  # the batch order",
        "FIRST_LOSS = []  # the untrained model's first batch: the divergence yardstick",
        "",
        "",
        "def batches(phase):",
        "    inputs, targets = tensors[phase]",
        "    n = len(inputs)",
        "    if phase == 'train':",
        "        order = torch.randperm(n, generator=generator).to(DEVICE)",
        "    else:",
        "        order = torch.arange(n, device=DEVICE)",
        "    size = BATCH_SIZE if phase == 'train' else VAL_BATCH_SIZE",
        "    for start in range(0, n, size):",
        "        idx = order[start : start + size]",
        "        yield inputs[idx], targets[idx]",
        "",
        "",
        "def loss_check(phase):",
        "    def seen(value):",
        "        if not math.isfinite(value):",
        "            raise SystemExit(f'The {phase} loss became {value}: the run diverged.')",
        "        if phase == 'train' and not FIRST_LOSS:",
        "            FIRST_LOSS.append(value)",
        "",
        "    return seen",
        "",
        "",
        "def run_phase(phase):",
        '    """One pass over the train or val split; its mean loss and metric."""',
        "    tally = Tally(loss_check(phase))",
        "    if phase == 'train':",
        "        train_epoch(model, criterion, optimizer, batches('train'), tally)",
        "    else:",
        "        evaluate(model, criterion, batches('val'), tally)",
        "    mean_loss = tally.total / tally.count",
        *metric,
        "",
        "",
        "print(f'{RUN_NAME!r}: {len(x_train)} train / {len(x_val)} val samples on {DEVICE}')",
        "for epoch in range(1, SETTINGS['train']['epochs'] + 1):",
        "    results = {phase: run_phase(phase) for phase in ('train', 'val')}",
        "    record = {f'{p}_{k}': v for p, got in results.items() for k, v in got.items()}",
        "    print(f'epoch {epoch}: ' + ' '.join(f'{k}={v!r}' for k, v in record.items()))",
        f"    if results['train']['loss'] > {DIVERGE_FACTOR!r} * FIRST_LOSS[0]:  # diverged",
        "        raise SystemExit('The training loss exploded: the run diverged.')",
        "",
    ]
