#!/usr/bin/env bash
# The test suite: everything under TensorFlow, then the multi_backend numerics under JAX and torch.
# Extra arguments go to every pytest run (e.g. -k heads, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KZOO_DATA:-}" ] && [ -d ../shared/datasets ]; then export KZOO_DATA="$(cd ../shared/datasets && pwd)"; fi
workers="${KZOO_TEST_WORKERS:-2}"
echo "== TensorFlow backend: all tests but slow ones"
KERAS_BACKEND=tensorflow python -m pytest -n "$workers" -m "not slow" "$@"
echo "== JAX backend: multi_backend tests"
KERAS_BACKEND=jax python -m pytest -n "$workers" -m "multi_backend and not slow" "$@"
echo "== torch backend: multi_backend tests"
if python -c "import torch" 2>/dev/null; then
  KERAS_BACKEND=torch python -m pytest -n "$workers" -m "multi_backend and not slow" "$@"
else
  echo "torch is not installed (the parity extra): skipped"
fi
