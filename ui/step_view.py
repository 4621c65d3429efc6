"""The last Step's batch, stage by stage, each with its line of the loop the code panel shows
(the same numbering): the seed's pipeline as a debugger."""

import pandas as pd
import streamlit as st

from torchxp_core import loop_source, step_trace
from torchxp_core.figures import step as step_figs
from torchxp_core.runner import Run, Status
from ui import presenter


def show(run: Run) -> None:
    """The last Step's batch, stage by stage, each with its line in the code panel's loop."""
    trace = run.trace
    if trace is None or run.status not in (Status.PAUSED, Status.STOPPED, Status.FINISHED):
        return
    line = {  # "line 30 `optimizer.zero_grad()`": the number and the code, as the panel shows
        stage: f"line {n} `{code if code.startswith('pass') else code.split('  #')[0]}`"
        for stage, (n, code) in step_trace.stage_lines(loop_source.for_run(run.cfg)).items()
    }
    batch, outputs = trace["batch"] or {}, trace["outputs"] or {}
    zero = (
        "set every `.grad` to None"
        if trace["zero_grad"]
        else "**skipped** (a pitfall): `.grad` still holds the earlier batches' sums"
    )
    st.subheader(f"Step {run.step:,}, stage by stage")
    st.markdown(
        f"1. zero_grad ({line['zero_grad']}): {zero}\n"
        f"2. forward ({line['forward']}): inputs {list(batch.get('shape', ()))} "
        f"{batch.get('dtype', '')} on {batch.get('device', '')} → outputs "
        f"{list(outputs.get('shape', ()))}\n"
        f"3. loss ({line['loss']}): {trace['loss']:.6g}\n"
        f"4. backward ({line['backward']}): adds this batch's gradient to "
        f"`.grad`, column three\n"
        f"5. step ({line['step']}): moves each weight by the change shown"
    )
    rows = [
        {**{k: v for k, v in p.items() if k != "grad"}, "shape": " × ".join(map(str, p["shape"]))}
        for p in trace["params"]
    ]
    st.table(pd.DataFrame(rows).set_index("parameter"))  # static: redrawn each tick, no flicker
    grads(trace["params"])


def grads(params: list[dict]) -> None:
    """Each small parameter's ``.grad`` after backward(), a heatmap (the norms are above)."""
    title = f"`.grad` after backward(), parameters of up to {step_trace.SMALL} values"
    fig = step_figs.grad_heatmaps_figure(params, title.replace("`", ""))
    if fig is None:
        return
    presenter.style_chart(fig)
    st.plotly_chart(fig, key="step-grads", width="stretch")
    st.caption(
        "Every value of each small parameter's gradient for this batch, on its own scale: "
        "orange negative, blue positive. A weight's rows are its output units (as nn.Linear "
        "stores it), a bias is a column; larger tensors show their norm in the table only."
    )
