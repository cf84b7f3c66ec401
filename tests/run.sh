#!/usr/bin/env bash
# The test suite: everything under TensorFlow, then the multi_backend numerics under JAX.
# Extra arguments go to both pytest runs (e.g. -k heads, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KZOO_DATA:-}" ] && [ -d ../shared/datasets ]; then export KZOO_DATA="$(cd ../shared/datasets && pwd)"; fi
workers="${KZOO_TEST_WORKERS:-2}"
echo "== TensorFlow backend: all tests but slow ones"
KERAS_BACKEND=tensorflow python -m pytest -n "$workers" -m "not slow" "$@"
echo "== JAX backend: multi_backend tests"
KERAS_BACKEND=jax python -m pytest -n "$workers" -m "multi_backend and not slow" "$@"
