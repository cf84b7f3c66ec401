"""Keras layers: decoupled operators, cosine normalization."""

from kzoo.layers.decoupled_base import DecoupledBase
from kzoo.layers.decoupled_conv2d import DecoupledConv2D
from kzoo.layers.decoupled_dense import DecoupledDense

__all__ = ["DecoupledBase", "DecoupledConv2D", "DecoupledDense"]
