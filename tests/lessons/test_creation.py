"""Lesson #9 against torch as it runs: which constructors share a numpy array's memory."""

import numpy as np
import torch

from torchxp_core.lessons import creation


def _shares(make) -> bool:
    a = np.arange(3, dtype=np.float32)
    t = make(a)
    a[0] = 7.0
    return t[0].item() == 7.0


def test_from_numpy_shares_memory_and_torch_tensor_copies():
    table = creation.mutation_table("cpu", size=5).set_index("expression")
    assert table.loc["torch.from_numpy(a)", "changed"]
    assert table.loc["torch.from_numpy(a)", "same data_ptr"]
    assert not table.loc["torch.tensor(a)", "changed"]
    assert not table.loc["torch.tensor(a)", "same data_ptr"]
    assert table.loc["torch.as_tensor(a)", "changed"]


def test_as_tensor_with_a_dtype_change_copies():
    table = creation.mutation_table("cpu").set_index("expression")
    row = table.loc["torch.as_tensor(a, dtype=torch.float64)"]
    assert row["dtype"] == "float64" and not row["changed"] and not row["same data_ptr"]
    assert table.loc["torch.as_tensor(a, dtype=torch.float32)", "changed"]


def test_every_row_agrees_with_torch_and_with_its_own_data_ptr():
    table = creation.mutation_table("cpu")
    makers = dict(creation._constructors("cpu"))
    for _, row in table.iterrows():
        assert row["changed"] == row["same data_ptr"], row["expression"]
        assert row["changed"] == _shares(makers[row["expression"]]), row["expression"]
        assert row["first after"] == (creation.NEW_VALUE if row["changed"] else 0.0)


def test_from_numpy_on_read_only_array_still_shares_and_big_endian_is_refused():
    readonly, big_endian, native = creation.from_numpy_edge_cases()
    assert readonly.shares_memory and readonly.outcome in ("warning", "tensor")
    assert "99" in readonly.note
    swapped = np.arange(2, dtype=np.dtype(np.float32).newbyteorder())
    try:
        torch.from_numpy(swapped)
        expected = None
    except ValueError as exc:
        expected = str(exc)
    assert big_endian.message == (expected or "")
    assert big_endian.outcome == ("error" if expected else "tensor")
    assert native.outcome == "tensor" and native.shares_memory


def test_verdicts_read_the_table_the_page_shows():
    table = creation.mutation_table("cpu")
    verdict = creation.verdicts(table)
    assert verdict["dtype change"] == "copied"
    assert verdict["no change"] == "shared"
    assert verdict["Tensor"] == ("shared" if _shares(torch.Tensor) else "copied")
    assert "GPU" in verdict["device change"]


def test_tensor_class_casts_float64_and_reads_an_int_as_a_size():
    table = creation.tensor_class_calls().set_index("expression")
    a = np.array(creation.FLOAT64_VALUES)
    cls = torch.Tensor(a)
    assert table.loc["torch.Tensor(a)", "dtype"] == str(cls.dtype).removeprefix("torch.")
    assert table.loc["torch.Tensor(a)", "dtype"] == "float32"
    assert not table.loc["torch.Tensor(a)", "shares a's memory"]
    assert table.loc["torch.tensor(a)", "dtype"] == "float64"
    assert table.loc["torch.from_numpy(a)", "shares a's memory"]
    assert table.loc["torch.Tensor(3)", "shape"] == str(tuple(torch.Tensor(3).shape)) == "(3,)"
    assert table.loc["torch.tensor(3)", "shape"] == "()"
    # the ops are torch's own: the class asks for empty memory, like torch.empty
    assert "aten.empty" in table.loc["torch.Tensor(3)", "aten ops"]
    assert table.loc["torch.Tensor(3)", "aten ops"] == table.loc["torch.empty(3)", "aten ops"]
    assert "empty" not in table.loc["torch.tensor(3)", "aten ops"]
    assert "_to_copy" in table.loc["torch.Tensor(a)", "aten ops"]  # the cast
