"""One training batch, stage by stage: the seed's pipeline as a debugger (Step on a paused run).

The trace watches from outside the loop, so the loop on the page stays the loop that runs:
copies of every weight and ``.grad`` as the batch begins, a forward hook for the batch and
the outputs, and copies again once ``optimizer.step()`` is done. Between the two copies the
loop ran ``zero_grad()`` (unless a pitfall left it out), forward, loss, ``backward()`` and
``step()``; the differences are what each stage did.
"""

import numpy as np
import torch

from torchxp_core.loop_source import Listing

SMALL = 64  # tensors up to this many values are sent whole (a heatmap of .grad)


def _copies(model: torch.nn.Module) -> tuple[dict, dict]:
    weights, grads = {}, {}
    for name, p in model.named_parameters():
        weights[name] = p.detach().float().cpu().numpy().copy()
        grads[name] = None if p.grad is None else p.grad.detach().float().cpu().numpy().copy()
    return weights, grads


def _describe(tensor: torch.Tensor) -> dict:
    rows = tensor.detach()[:3].float().cpu().numpy()
    return {
        "shape": tuple(tensor.shape),
        "dtype": str(tensor.dtype).removeprefix("torch."),
        "device": str(tensor.device),
        "first rows": rows.reshape(len(rows), -1)[:, :6],
    }


def _norm(grad: np.ndarray | None) -> float | None:
    return None if grad is None else float(np.linalg.norm(grad))


class StepTrace:
    """Armed between two batches; ``finish`` after the next training batch's step()."""

    def __init__(self, model: torch.nn.Module, pitfalls: frozenset[str]):
        self.model, self.pitfalls = model, pitfalls
        self.weights, self.grads = _copies(model)
        self.batch: dict | None = None
        self.outputs: dict | None = None
        self._hook = model.register_forward_hook(self._seen)

    def _seen(self, _module, inputs, output) -> None:
        if self.model.training and torch.is_grad_enabled():  # the training batch's forward
            self.batch, self.outputs = _describe(inputs[0]), _describe(output)

    def finish(self, loss: float) -> dict:
        """The stages of the batch just trained, as plain data for the page."""
        self._hook.remove()
        after_w, after_g = _copies(self.model)
        params = []
        for name, w in after_w.items():
            before, grad = self.grads[name], after_g[name]
            change = w - self.weights[name]
            params.append(
                {
                    "parameter": name,
                    "shape": tuple(w.shape),
                    ".grad before zero_grad (norm)": _norm(before),
                    ".grad after backward (norm)": _norm(grad),
                    "|Δw| by step()": float(np.linalg.norm(change)),
                    "|Δw| / |w|": float(np.linalg.norm(change) / max(np.linalg.norm(w), 1e-12)),
                    "grad": grad if grad is not None and grad.size <= SMALL else None,
                }
            )
        return {
            "batch": self.batch,
            "outputs": self.outputs,
            "loss": loss,
            "zero_grad": "forget_zero_grad" not in self.pitfalls,
            "params": params,
        }


# Each stage's call, as it reads in loop_source's text of train_epoch (a forgotten
# zero_grad() is the pitfall's comment line, which names the call it leaves out).
STAGE_CALLS = {
    "zero_grad": "zero_grad()",
    "forward": "= model(inputs)",
    "loss": "= criterion(",
    "backward": ".backward()",
    "step": "optimizer.step()",
}


def stage_lines(listing: Listing) -> dict[str, tuple[int, str]]:
    """(line number, line) in ``listing`` (loop_source's text, as the code panel numbers
    it) of each stage's call in train_epoch, found by the call itself."""
    lines = listing.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("def train_epoch("))
    found = {}
    for stage, call in STAGE_CALLS.items():
        number = next(i for i in range(start, len(lines)) if call in lines[i]) + 1
        found[stage] = (number, lines[number - 1].strip())
    return found
