"""The Loss Explorer's experiments (lessons #5-#8): each returns arrays, frames or small
dataclasses computed by the installed torch at call time, with the closed form beside it.

One module per loss: `bce`, `logits` (BCEWithLogits), `cross_entropy`, `mse`; `attempt` runs a
torch call and keeps its real error and warning messages.
"""

import torch

TORCH_VERSION = torch.__version__  # the torch every number on the page comes from
