"""Test helpers shared by kzoo's own tests and by users testing their extensions."""

from kzoo.testing.test_case import TestCase, gradients, layer_gradients, to_numpy

__all__ = ["TestCase", "gradients", "layer_gradients", "to_numpy"]
