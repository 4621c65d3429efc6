"""The datasets torchxp offers: each one's task, classes, shape and size, and the split rule.

Facts only, with no data made here: ``config`` checks settings against them and ``data``
builds the arrays.
"""

from dataclasses import dataclass

from torchxp_core.losses import CLASSIFICATION, REGRESSION


@dataclass(frozen=True)
class DatasetInfo:
    label: str
    task: str  # CLASSIFICATION or REGRESSION
    classes: int  # fixed class count; 0 means "the n_classes setting decides"
    min_classes: int = 2
    image: bool = False  # True: samples are [C, H, W] images
    description: str = ""
    input_shape: tuple[int, ...] = (2,)  # one sample's shape, as the model receives it


DATASETS: dict[str, DatasetInfo] = {
    "moons": DatasetInfo("Two moons", CLASSIFICATION, 2, description="two interleaving arcs"),
    "circles": DatasetInfo("Circles", CLASSIFICATION, 2, description="a ring around a disc"),
    "spiral": DatasetInfo(
        "Spiral", CLASSIFICATION, 0, description="arms winding around the origin, one per class"
    ),
    "xor": DatasetInfo("XOR", CLASSIFICATION, 2, description="opposite quadrants share a class"),
    "blobs": DatasetInfo(
        "Gaussian blobs", CLASSIFICATION, 0, min_classes=3, description="one cloud per class"
    ),
    "curve": DatasetInfo(
        "1-D curve", REGRESSION, 0, description="y = sin(2x) + x/2 + noise", input_shape=(1,)
    ),
    "plane": DatasetInfo("2-D plane", REGRESSION, 0, description="y = 1.5 x1 - 2 x2 + noise"),
    "digits": DatasetInfo(
        "Digits (8×8)",
        CLASSIFICATION,
        10,
        image=True,
        description="scikit-learn's 1,797 handwritten digits as [B, 1, 8, 8]",
        input_shape=(1, 8, 8),
    ),
    "shapes": DatasetInfo(
        "Coloured shapes (16×16)",
        CLASSIFICATION,
        6,
        image=True,
        description="squares, discs and crosses in red or blue as [B, 3, 16, 16], made here; "
        "the class is shape and colour",
        input_shape=(3, 16, 16),
    ),
    # Real tables that ship with scikit-learn (no download): more than two features, so the
    # lab draws them on their first two principal components.
    "iris": DatasetInfo(
        "Iris (real)",
        CLASSIFICATION,
        3,
        input_shape=(4,),
        description="150 flowers, 4 measurements in cm, 3 species (Fisher, 1936)",
    ),
    "wine": DatasetInfo(
        "Wine (real)",
        CLASSIFICATION,
        3,
        input_shape=(13,),
        description="178 wines, 13 chemical measurements, 3 cultivars",
    ),
    "breast_cancer": DatasetInfo(
        "Breast cancer (real)",
        CLASSIFICATION,
        2,
        input_shape=(30,),
        description="569 tumours, 30 features of cell nuclei, malignant or benign",
    ),
    "csv": DatasetInfo(
        "Your CSV",
        CLASSIFICATION,
        0,
        input_shape=(0,),
        description="a table you upload: choose the target and the feature columns",
    ),
    "diabetes": DatasetInfo(
        "Diabetes (real)",
        REGRESSION,
        0,
        input_shape=(10,),
        description="442 patients, 10 baseline measurements, disease progression a year on",
    ),
}
DIGITS_SAMPLES = 1797  # fixed size of scikit-learn's digits
SHAPES_SAMPLES = 1500
# The datasets whose size is fixed.
FIXED_SAMPLES = {
    "digits": DIGITS_SAMPLES,
    "shapes": SHAPES_SAMPLES,
    "iris": 150,
    "wine": 178,
    "breast_cancer": 569,
    "diabetes": 442,
}


def n_val(total: int, fraction: float) -> int:
    """Validation samples held out of ``total`` (at least one)."""
    return max(1, round(total * fraction))
