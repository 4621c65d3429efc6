"""Why a run has nothing to draw, in one sentence: starting, ended before its first batch, or
its tensors released (``Run.shed``: the registry keeps the data and weights of only the
newest ended runs; their metrics stay)."""

from torchxp_core.runner import Run


def released(run: Run) -> bool:
    """True if ``run`` ended and its data and weights were let go of to save memory."""
    return not run.active and run.data is None and run.step > 0


def without_tensors(run: Run, kept: int) -> str | None:
    """The sentence for a page that draws ``run``'s data or weights; None when it has them."""
    if run.data is not None:
        return None
    if run.active:
        return f"{run.id} is starting."
    if released(run):
        return (
            f"{run.id}'s weights were released to save memory: the server keeps them for the "
            f"{kept} newest ended runs only (its curves stay on the Runs page). Train it again "
            "in the Training Lab, or pick a newer run."
        )
    why = f": {run.error}" if run.error else ""
    return f"{run.id} {run.status.value} before its first batch{why}; there is nothing to draw."


def no_history(run: Run | None, kept: int) -> str:
    """Why ``run`` has no parameter history (recorded per epoch) to show."""
    if run is None:
        return "That run is no longer kept by the server; pick another."
    if released(run):
        return without_tensors(run, kept) or ""
    if run.active:
        return "This run has not finished an epoch yet; parameters are recorded per epoch."
    return (
        f"{run.id} {run.status.value} before it finished an epoch; parameters are recorded per "
        "epoch, so there are none to show."
    )
