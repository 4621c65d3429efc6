"""Did a finished run learn anything? A run at chance level must not read as a success."""

import numpy as np

from torchxp_core.data import Dataset
from torchxp_core.losses import CLASSIFICATION

CHANCE_MARGIN = 0.02  # accuracy within 2 points of always guessing the commonest class


def learned_nothing(task: str, data: Dataset, last_epoch: dict) -> str:
    """A sentence when the last epoch is no better than a guess that ignores the inputs; else ''."""
    if task == CLASSIFICATION:
        accuracy = last_epoch.get("val_accuracy")
        commonest = np.bincount(data.y_val).max() / len(data.y_val)
        if accuracy is not None and accuracy <= commonest + CHANCE_MARGIN:
            return (
                f"It learned nothing: {accuracy:.1%} validation accuracy, no better than always "
                f"guessing the commonest class ({commonest:.1%})."
            )
        return ""
    rmse = last_epoch.get("val_rmse")
    spread = float(np.std(data.y_val))  # the RMSE of always predicting the mean
    if rmse is not None and rmse >= 0.98 * spread:
        return (
            f"It learned nothing: validation RMSE {rmse:.3g}, no better than always predicting "
            f"the mean ({spread:.3g})."
        )
    return ""
