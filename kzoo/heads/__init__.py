"""Margin-softmax classification heads (Keras layers owning their class weights)."""

from kzoo.heads.arc_face import ArcFace
from kzoo.heads.coco import CoCo
from kzoo.heads.combined_margin import CombinedMargin
from kzoo.heads.cos_face import CosFace
from kzoo.heads.l2_softmax import L2Softmax, l2_softmax_alpha_lower_bound
from kzoo.heads.l_softmax import LSoftmax, margin_lambda
from kzoo.heads.margin_head import MarginHead
from kzoo.heads.norm_face import NormFace
from kzoo.heads.sphere_face import SphereFace

__all__ = [
    "ArcFace",
    "CoCo",
    "CombinedMargin",
    "CosFace",
    "L2Softmax",
    "LSoftmax",
    "MarginHead",
    "NormFace",
    "SphereFace",
    "l2_softmax_alpha_lower_bound",
    "margin_lambda",
]
