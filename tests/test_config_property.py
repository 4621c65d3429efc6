"""RunConfig.from_dict is total: any JSON-like input gives a config or a ValueError sentence.

Hypothesis draws arbitrary JSON values and near-valid settings: the right sections and
field names with values of every JSON type, mixed with values that would be valid.
"""

from dataclasses import fields

from hypothesis import given, settings
from hypothesis import strategies as st

from torchxp_core.config import DataConfig, ModelConfig, RunConfig, TrainConfig

SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
GOOD = [
    "moons",
    "spiral",
    "digits",
    "curve",
    "mlp",
    "cnn",
    "relu",
    "tanh",
    "cross_entropy",
    "bce",
    "bce_with_logits",
    "mse",
    "sgd",
    "adam",
    "cpu",
    "cuda",
    "forget_eval",
    "8,8",
    "",
    0,
    1,
    2,
    3,
    5,
    7,
    8,
    32,
    200,
    1000,
    0.0,
    0.1,
    0.2,
    0.5,
    0.9,
    1e-3,
    True,
    False,
    [],
    [8],
    [16, 16],
    ["0"],
    ["2"],
    [0],
    ["forget_eval"],
    ["forget_zero_grad", "grad_in_val"],
]
# Cheap strategies keep 10,000 cases near 30 s: short texts from a small alphabet, and
# integers of every size from a few draws (10**400 once overflowed float()).
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([10**400, -(10**400), 2**53 + 1])
    | st.floats()  # nan and ±inf too
    | st.text(alphabet="ab0²٣,.-_ ", max_size=4)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text("ab", max_size=2), inner, max_size=2)
    ),
    max_leaves=3,
)
values = st.sampled_from(GOOD) | json_values
sections = {
    name: st.dictionaries(
        st.sampled_from([f.name for f in fields(cls)] + ["x"]), values, max_size=6
    )
    for name, cls in SECTIONS.items()
}
near_valid = st.fixed_dictionaries(
    {}, optional={name: section | json_values for name, section in sections.items()}
)
anything = json_values | near_valid | st.dictionaries(st.sampled_from([*SECTIONS, "x"]), values)


@settings(max_examples=10_000, deadline=None)
@given(anything)
def test_from_dict_returns_a_config_or_raises_a_value_error_sentence(raw):
    try:
        cfg = RunConfig.from_dict(raw)
    except ValueError as exc:
        message = str(exc)
        assert message[:1].isupper() and message.endswith("."), message
        assert len(message) < 400, message  # a sentence, not a dump of the input
    else:
        assert RunConfig.from_dict(cfg.to_dict()) == cfg  # what exists round-trips
