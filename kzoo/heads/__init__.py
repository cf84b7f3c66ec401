"""Margin-softmax classification heads (Keras layers owning their class weights)."""

from kzoo.heads.ada_face import AdaFace
from kzoo.heads.arc_face import ArcFace
from kzoo.heads.coco import CoCo
from kzoo.heads.combined_margin import CombinedMargin
from kzoo.heads.cos_face import CosFace
from kzoo.heads.curricular_face import CurricularFace
from kzoo.heads.l2_softmax import L2Softmax, l2_softmax_alpha_lower_bound
from kzoo.heads.l_softmax import LSoftmax, margin_lambda
from kzoo.heads.mag_face import MagFace
from kzoo.heads.margin_head import MarginHead
from kzoo.heads.norm_face import NormFace
from kzoo.heads.proxy_anchor import ProxyAnchor
from kzoo.heads.proxy_nca import ProxyNCA
from kzoo.heads.soft_triple import SoftTriple
from kzoo.heads.sphere_face import SphereFace
from kzoo.heads.sub_center_arc_face import SubCenterArcFace

__all__ = [
    "AdaFace",
    "ArcFace",
    "CoCo",
    "CombinedMargin",
    "CosFace",
    "CurricularFace",
    "L2Softmax",
    "LSoftmax",
    "MagFace",
    "MarginHead",
    "NormFace",
    "ProxyAnchor",
    "ProxyNCA",
    "SoftTriple",
    "SphereFace",
    "SubCenterArcFace",
    "l2_softmax_alpha_lower_bound",
    "margin_lambda",
]
