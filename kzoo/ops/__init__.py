"""Pure `keras.ops` functions shared by kzoo layers, losses and miners."""

from kzoo.ops.label_masks import (  # noqa: F401
    flatten_labels,
    negative_mask,
    positive_mask,
    same_label_mask,
    triplet_mask,
)
from kzoo.ops.masked_reductions import (  # noqa: F401
    divide_no_nan,
    masked_maximum,
    masked_mean,
    masked_minimum,
    mean_of_positive,
)
from kzoo.ops.pairwise_distances import (  # noqa: F401
    canonical_distance,
    paired_distances,
    pairwise_distances,
    safe_sqrt,
)
