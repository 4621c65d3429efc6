"""Your own CSV: parsing, the task inferred, dtypes, and a sentence for every bad file."""

import contextlib

import numpy as np
import pytest
import torch

from torchxp_core import tables
from torchxp_core.config import DataConfig, RunConfig, TrainConfig
from torchxp_core.data import make_dataset

ROWS = "\n".join(
    f"{i % 7},{(i * 37) % 11 / 3:.3f},{'cat' if i % 3 else 'dog'},{i * 0.5}" for i in range(60)
)
GOOD = ("a,b,animal,value\n" + ROWS + "\n").encode()


def test_a_good_table_parses_with_its_numeric_columns_and_tasks_inferred():
    frame = tables.parse(GOOD)
    assert list(frame.columns) == ["a", "b", "animal", "value"]
    assert tables.numeric_columns(frame) == ["a", "b", "value"]
    assert tables.infer_task(frame["animal"]) == "classification"  # text labels
    assert tables.infer_task(frame["a"]) == "classification"  # 7 whole numbers
    assert tables.infer_task(frame["value"]) == "regression"  # 60 distinct values


def test_text_labels_become_int64_class_indices_and_features_float32():
    got = tables.arrays(tables.parse(GOOD), "animal", ["a", "b"])
    assert got.x.dtype == np.float32 and got.y.dtype == np.int64  # lessons #1 and #5
    assert got.classes == ("cat", "dog") and set(got.y) == {0, 1}
    # ...which is what CrossEntropyLoss takes.
    loss = torch.nn.CrossEntropyLoss()(torch.zeros(len(got.y), 2), torch.from_numpy(got.y))
    assert torch.isfinite(loss)
    value = tables.arrays(tables.parse(GOOD), "value", ["a", "b"], "regression")
    assert value.y.dtype == np.float32 and value.task == "regression"


BAD = {
    "not UTF-8": (b"a,b\n\xff\xfe,1\n" * 30, "not UTF-8"),
    "empty": (b"   \n", "empty"),
    "binary": (b"a,b\n\x00\x01,2\n" * 30, "binary"),
    "one column": (b"a\n" + b"1\n" * 30, "one column"),
    "duplicate names": (b"a,a,b\n" + b"1,2,3\n" * 30, "repeated: a"),
    "ragged": (b"a,b\n1,2\n1,2,3,4,5\n" * 15, "not a CSV table"),
    "too few rows": (b"a,b\n1,2\n", "at least 20"),
    "too many rows": (b"a,b\n" + b"1,2\n" * (tables.MAX_ROWS + 1), "the limit is 100,000"),
    "too many columns": (
        (",".join(f"c{i}" for i in range(tables.MAX_COLUMNS + 1)) + "\n").encode() * 21,
        "the limit is 200",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_gets_a_sentence(case):
    raw, words = BAD[case]
    with pytest.raises(tables.TableError, match=words):
        tables.parse(raw)


def _frame(text: str):
    return tables.parse(text.encode())


def test_bad_column_choices_get_a_sentence():
    frame = tables.parse(GOOD)
    cases = [
        (("nope", ["a"]), "no column 'nope'"),
        (("value", []), "at least one feature"),
        (("value", ["animal"]), "hold text: animal"),
        (("animal", ["a"], "regression"), "can only be classification"),
    ]
    for args, words in cases:
        with pytest.raises(tables.TableError, match=words):
            tables.arrays(frame, *args)
    one_class = _frame("x,y\n" + "\n".join(f"{i},same" for i in range(30)))
    with pytest.raises(tables.TableError, match="one class"):
        tables.arrays(one_class, "y", ["x"])
    infinite = _frame("x,y\n" + "\n".join(f"{'inf' if i == 3 else i},{i % 2}" for i in range(30)))
    with pytest.raises(tables.TableError, match="infinity in: x"):
        tables.arrays(infinite, "y", ["x"])


def test_missing_values_drop_their_rows_and_are_counted_or_refused_past_a_share():
    few = _frame("x,y\n" + "\n".join(f"{'' if i < 3 else i},{i % 2}" for i in range(40)))
    got = tables.arrays(few, "y", ["x"])
    assert got.dropped == 3 and len(got.x) == 37
    many = _frame("x,y\n" + "\n".join(f"{'' if i < 20 else i},{i % 2}" for i in range(40)))
    with pytest.raises(tables.TableError, match="20 of 40 rows miss a value"):
        tables.arrays(many, "y", ["x"])


def test_fuzzed_bytes_only_ever_give_a_table_or_a_sentence():
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b'a,b,1,2.5,\n\n"x";\t-e+\xff\x00nan,inf', dtype=np.uint8)
    for _ in range(400):
        raw = rng.choice(alphabet, size=rng.integers(0, 300)).tobytes()
        raw = (b"a,b\n" if rng.random() < 0.5 else b"") + raw
        try:
            frame = tables.parse(raw)
        except tables.TableError:
            continue
        for target in frame.columns:
            with contextlib.suppress(tables.TableError):
                tables.arrays(frame, target, list(frame.columns))


def test_a_run_on_a_stored_table_trains_and_finds_its_file_by_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHXP_DATA_DIR", str(tmp_path))
    digest = tables.save(GOOD, tables.data_folder())
    assert (tmp_path / "tables" / f"{digest}.csv").read_bytes() == GOOD
    cfg = RunConfig(
        DataConfig(dataset="csv", table=digest, target="animal", features=("a", "b")),
        train=TrainConfig(batch_size=16),
    )
    data = make_dataset(cfg.data)
    assert data.n_classes == 2 and data.x_train.shape[1] == 2
    with pytest.raises(ValueError, match="not in this server's data folder"):
        RunConfig(DataConfig(dataset="csv", table="0" * 64, target="animal", features=("a",)))
    with pytest.raises(ValueError, match="Upload a CSV"):
        RunConfig(DataConfig(dataset="csv"))
    # A stored run's settings come back through the link's checks, table and columns too.
    from torchxp_core import share

    values, problems = share.from_query(share.query_of(cfg.to_dict()))
    assert not problems and values["data.table"] == digest
    assert tuple(values["data.features"]) == ("a", "b")
