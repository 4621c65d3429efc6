"""The one training loop: what every run executes, what the lab shows, what Export writes.

Only torch and contextlib here: loop_source.py copies these functions' source into the page
and into the exported script, which must run with torch alone. Each deliberate mistake of a
pitfall switch is a branch ``if mistake("<name>"):`` written beside the correct code (its
``else:``); loop_source resolves every branch for a run's pitfalls, so the page and the
script show only the code that run executes. Plumbing (pause/stop between batches, each
run's own random stream for Dropout, progress reports) lives outside these functions.
"""

from contextlib import nullcontext

import torch


def to_tensors(x, y, target_dtype, class_indices, device, mistake):
    """numpy arrays as the tensors the model and the loss expect, on the run's device."""
    inputs = torch.from_numpy(x)  # float32, the dtype of the model's weights (lesson #1)
    targets = torch.as_tensor(y, dtype=target_dtype)  # int64 class indices or float values
    if mistake("float64_data"):
        inputs = inputs.double()  # PITFALL float64_data: numpy's default dtype
    if mistake("wrong_label_dtype"):
        targets = targets.to(torch.int32)  # PITFALL wrong_label_dtype
    if mistake("nhwc_reshape"):
        # PITFALL nhwc_reshape: images stored [B, H, W, C] "fixed" with reshape, not permute
        inputs = inputs.permute(0, 2, 3, 1).reshape(inputs.shape)  # scrambles every image
    if not class_indices:
        if mistake("mse_shape"):
            pass  # PITFALL mse_shape: targets left (N,) against the outputs' (N, 1)
        else:
            targets = targets.reshape(-1, 1)  # BCE, BCEWithLogits and MSE want (N, 1)
    return inputs.to(device), targets.to(device)


class Tally:
    """An epoch's sums: each batch's loss times its size, in batch order, and its outputs."""

    def __init__(self, on_loss):
        self.on_loss = on_loss  # sees each batch's loss first (progress, divergence)
        self.total, self.count, self.outputs, self.labels = 0.0, 0, [], []

    def add(self, loss, outputs, labels):
        value = loss.item()
        self.on_loss(value)
        self.total += value * len(labels)
        self.count += len(labels)
        self.outputs.append(outputs.detach())  # scored once per epoch: no kernels per batch
        self.labels.append(labels)


def train_epoch(model, criterion, optimizer, batches, tally, mistake):
    """One pass over the training split: the seed's pipeline, batch by batch."""
    model.train()  # Dropout on; BatchNorm uses and updates batch statistics
    for inputs, labels in batches:
        if mistake("forget_zero_grad"):
            pass  # PITFALL forget_zero_grad: no optimizer.zero_grad(), .grad sums up
        else:
            optimizer.zero_grad()  # backward() adds to .grad, so empty it every batch
        outputs = model(inputs)
        if mistake("softmax_before_ce"):
            # PITFALL softmax_before_ce: CrossEntropyLoss applies log-softmax again inside
            loss = criterion(outputs.softmax(dim=1), labels)
        elif mistake("sigmoid_into_logits_loss"):
            # PITFALL sigmoid_into_logits_loss: BCEWithLogitsLoss applies a sigmoid again
            loss = criterion(outputs.sigmoid(), labels)
        else:
            loss = criterion(outputs, labels)
        loss.backward()  # ADDS this batch's gradient to each parameter's .grad
        optimizer.step()  # updates each weight from .grad by the optimizer's rule
        tally.add(loss, outputs, labels)


def evaluate(model, criterion, batches, tally, mistake):
    """One pass over the validation split: forward and loss only, no backward(), no step()."""
    if mistake("forget_eval"):
        pass  # PITFALL forget_eval: no model.eval(), Dropout/BatchNorm still train
    else:
        model.eval()  # Dropout off; BatchNorm normalises by its running statistics
    # PITFALL grad_in_val: no torch.no_grad(), every forward records a graph never used
    with nullcontext() if mistake("grad_in_val") else torch.no_grad():  # no backward()
        for inputs, labels in batches:
            outputs = model(inputs)
            if mistake("softmax_before_ce"):
                # PITFALL softmax_before_ce: CrossEntropyLoss applies log-softmax again inside
                loss = criterion(outputs.softmax(dim=1), labels)
            elif mistake("sigmoid_into_logits_loss"):
                # PITFALL sigmoid_into_logits_loss: BCEWithLogitsLoss applies a sigmoid again
                loss = criterion(outputs.sigmoid(), labels)
            else:
                loss = criterion(outputs, labels)
            tally.add(loss, outputs, labels)
