"""A stored run as a standalone script that retrains it and prints its per-epoch losses.

The script needs only torch and scikit-learn. It copies the data generator's real source from
data.py and spells out the same ops as training.py (same seeding, same batch order, same
sums), so on CPU its per-epoch losses equal the run's; tests/test_export.py runs it in a
subprocess to keep that true.
"""

import inspect
import pprint
import time

import torch
from torch import nn

from torchxp_core import data as datamod
from torchxp_core.config import RunConfig
from torchxp_core.devices import available_devices
from torchxp_core.losses import REGRESSION
from torchxp_core.models import build_model
from torchxp_core.optimizers import OPTIMIZERS, optimizer_kwargs
from torchxp_core.runner import TORCH_THREADS
from torchxp_core.training import DIVERGE_FACTOR


def _comment(text: str) -> str:
    """User text made safe for a # comment: no line breaks or control characters."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def _model(cfg: RunConfig) -> nn.Sequential:
    # Built on the meta device: no memory, no weights, and torch's global RNG is untouched.
    info = datamod.DATASETS[cfg.data.dataset]
    with torch.device("meta"):
        return build_model(cfg.model, info.input_shape, datamod.n_classes(cfg.data), cfg.loss)


def _model_lines(model: nn.Sequential) -> list[str]:
    # repr() of these modules is the call that builds them, in the order build_model made them.
    return [f"    nn.{child!r}," for child in model.children()]


def optimizer_call(cfg: RunConfig) -> str:
    t = cfg.train
    arguments = optimizer_kwargs(
        t.optimizer, t.lr, t.weight_decay, t.momentum, t.nesterov, t.device
    )
    kwargs = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"torch.optim.{OPTIMIZERS[t.optimizer]}(trainable, {kwargs})"


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
    if cfg.data.dataset == "csv":
        raise ValueError(
            "Export as script does not cover runs on an uploaded CSV yet: the script would "
            "need the file's reading and cleaning steps, which torchxp does not write out."
        )
    info, loss, pitfalls = datamod.DATASETS[cfg.data.dataset], cfg.loss, set(cfg.train.pitfalls)
    regression = loss.task == REGRESSION
    model = _model(cfg)
    sources = [inspect.getsource(datamod._generate)]
    if cfg.data.dataset == "spiral":
        sources.insert(0, inspect.getsource(datamod._spiral))
    if cfg.data.dataset in datamod.REAL_TABLES:
        loader = datamod.REAL_TABLES[cfg.data.dataset].__name__
        sources.insert(0, f"REAL_TABLES = {{{cfg.data.dataset!r}: skd.{loader}}}\n\n")
    if cfg.data.dataset == "shapes":
        sources.insert(0, f"SHAPES_SAMPLES = {datamod.SHAPES_SAMPLES}\n\n")
        sources.insert(1, inspect.getsource(datamod._shapes))
    if loss.class_indices:
        targets = "torch.as_tensor(y, dtype=torch.int64)  # (N,) class indices"
        predict = "outputs.argmax(dim=1)"
    else:
        targets = "torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)  # (N, 1) like outputs"
        predict = f"(outputs.reshape(-1) > {0.5 if loss.sigmoid_output else 0.0}).long()"
    y_dtype = "np.float32" if regression else "np.int64"
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
        "SEED = SETTINGS['train']['seed']",
        f"torch.set_num_threads({threads})  # as torchxp did; other counts may change last bits",
        "",
        "",
        "# --- data: the generator is torchxp_core/data.py's own source --------------------",
        *[s + "\n" for s in sources],
        "cfg = SimpleNamespace(**SETTINGS['data'])",
        "x, y = _generate(cfg)",
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
    lines += [
        "x_train = np.ascontiguousarray(x_train, dtype=np.float32)",
        "x_val = np.ascontiguousarray(x_val, dtype=np.float32)",
        "",
        "",
        "def to_tensors(x, y):",
        "    inputs = torch.from_numpy(x)",
        f"    targets = {targets}",
    ]
    if "float64_data" in pitfalls:
        lines.append("    inputs = inputs.double()  # PITFALL float64_data: numpy's default dtype")
    if "wrong_label_dtype" in pitfalls:
        lines.append("    targets = targets.to(torch.int32)  # PITFALL wrong_label_dtype")
    if "nhwc_reshape" in pitfalls:
        lines += [
            "    # PITFALL nhwc_reshape: images [B, H, W, C] reshaped, not permuted",
            "    inputs = inputs.permute(0, 2, 3, 1).reshape(inputs.shape)",
        ]
    if "mse_shape" in pitfalls:
        lines.append("    targets = targets.reshape(-1)  # PITFALL mse_shape: (N,) vs (N, 1)")
    lines += [
        "    return inputs.to(DEVICE), targets.to(DEVICE)",
        "",
        "",
        "tensors = {'train': to_tensors(x_train, y_train), 'val': to_tensors(x_val, y_val)}",
        "",
        "# --- model, loss, optimizer: seeded, so the weights are the run's ----------------",
        "torch.manual_seed(SEED)",
        "model = nn.Sequential(",
        *_model_lines(model),
        ").to(DEVICE)",
    ]
    if "logits_into_bce" in pitfalls:
        lines.append("model = model[:-1]  # PITFALL logits_into_bce: the final Sigmoid left out")
    if any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules()):
        lines += [
            "# Dropout draws its masks from a generator seeded with SEED alone, as torchxp does",
            "# so that runs training side by side do not share (and shift) one random stream.",
            "torch.set_rng_state(torch.Generator().manual_seed(SEED).get_state())",
        ]
    for layer in cfg.model.frozen:
        lines.append(f"getattr(model, {layer!r}).requires_grad_(False)  # a frozen layer")
    lines += [
        f"criterion = nn.{loss.factory.__name__}()",
        "trainable = [p for p in model.parameters() if p.requires_grad]",
        f"optimizer = {optimizer_call(cfg)}",
        "generator = torch.Generator().manual_seed(SEED)  # the batch order",
        "",
        "",
        "FIRST_LOSS = []",
        "",
        "",
        "def run_phase(phase):",
        '    """One pass over the train or val split; returns its mean loss and metric."""',
        "    inputs_all, targets_all = tensors[phase]",
        "    n = len(inputs_all)",
        "    if phase == 'train':",
        "        model.train()",
        "        order = torch.randperm(n, generator=generator).to(DEVICE)",
        "    else:",
        "        model.eval()"
        if "forget_eval" not in pitfalls
        else "        pass  # PITFALL forget_eval",
        "        order = torch.arange(n, device=DEVICE)",
        "    track_graph = "
        + ("True  # PITFALL grad_in_val" if "grad_in_val" in pitfalls else "phase == 'train'"),
        "    total_loss = 0.0  # a Python float, summed in the same order as the app's loop",
        "    correct = torch.zeros((), dtype=torch.int64, device=DEVICE)",
        "    for start in range(0, n, BATCH_SIZE):",
        "        idx = order[start : start + BATCH_SIZE]",
        "        inputs, labels = inputs_all[idx], targets_all[idx]",
    ]
    if "forget_zero_grad" not in pitfalls:
        lines += [
            "        if phase == 'train':",
            "            optimizer.zero_grad()  # backward() adds to .grad",
        ]
    else:
        lines.append("        # PITFALL forget_zero_grad: no optimizer.zero_grad()")
    lines += [
        "        with torch.set_grad_enabled(track_graph):",
        "            outputs = model(inputs)",
        "            scores = outputs",
        *(
            ["            scores = outputs.softmax(dim=1)  # PITFALL softmax_before_ce"]
            if "softmax_before_ce" in pitfalls
            else []
        ),
        *(
            ["            scores = outputs.sigmoid()  # PITFALL sigmoid_into_logits_loss"]
            if "sigmoid_into_logits_loss" in pitfalls
            else []
        ),
        "            loss = criterion(scores, labels)",
        "            if phase == 'train':",
        "                loss.backward()",
        "                optimizer.step()",
        "        value = loss.item()",
        "        if not math.isfinite(value):",
        "            raise SystemExit(f'The {phase} loss became {value}: the run diverged.')",
        "        if phase == 'train' and not FIRST_LOSS:",
        "            FIRST_LOSS.append(value)  # the untrained model's: the divergence yardstick",
        "        total_loss += value * len(inputs)",
    ]
    if not regression:
        lines.append(f"        correct += ({predict} == labels.reshape(-1)).sum()")
    lines.append("    mean_loss = total_loss / n")
    if regression:
        lines.append("    return {'loss': mean_loss, 'rmse': math.sqrt(mean_loss)}")
    else:
        lines.append("    return {'loss': mean_loss, 'accuracy': correct.item() / n}")
    lines += [
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
    return "\n".join(lines)
