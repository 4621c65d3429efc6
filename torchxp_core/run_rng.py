"""A run's own random stream for Dropout, swapped in around each forward by module hooks.

Dropout draws its masks from torch's process-wide generator. So that the same seed gives
the same masks whatever else happens in the process (two runs trained in one process, a
preview drawn between batches), the model's forward runs on the run's own saved state and
hands the process's state back afterwards. Hooks keep this out of the loop on the page.
"""

import threading

import torch
from torch import nn

# The process-wide generator is one: forwards of models that swap it must take turns
# (initial weights are drawn under the same lock, see training.initial_model).
RNG_LOCK = threading.RLock()


def uses_rng(model: nn.Module) -> bool:
    """Does a forward draw random numbers? (Dropout in training mode does.)"""
    return any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())


class RunRng:
    """The run's global-RNG state, seeded like ``torch.manual_seed(seed)`` would leave it."""

    def __init__(self, seed: int):
        self.state = torch.Generator().manual_seed(seed).get_state()
        self._outside: list[torch.Tensor] = []

    def install(self, model: nn.Module) -> None:
        model.register_forward_pre_hook(self._enter)
        model.register_forward_hook(self._leave, always_call=True)  # also when forward raises

    def _enter(self, _module, _inputs) -> None:
        RNG_LOCK.acquire()
        self._outside.append(torch.get_rng_state())
        torch.set_rng_state(self.state)

    def _leave(self, _module, _inputs, _output) -> None:
        try:
            self.state = torch.get_rng_state()
            torch.set_rng_state(self._outside.pop())
        finally:
            RNG_LOCK.release()
