#!/usr/bin/env bash
# L-Softmax and softmax on MNIST, the same recipe, 3 seeds each, side by side on one lent GPU
# (the device tool's H200): six `kzoo train` processes at once, then the run folders packed
# into $OUT/runs.tar.gz. Run from the repository root:
#
#   bash training/results/lsoftmax_mnist/gpu_v2.sh
#
# On the device machine (nothing installs there) Keras travels as wheels in .whl/ and MNIST's
# four files in .devdata/mnist/ (both ignored by git). A run that fails in its first
# FAIL_FAST seconds stops the batch, and the batch is retried on the torch backend; whatever
# is still running at DEADLINE seconds is stopped and reported.
set -uo pipefail
OUT=${OUT:-/tmp/kzoo_gpu_out}
RUNS=${RUNS:-/work/runs}
DEADLINE=${DEADLINE:-520}
FAIL_FAST=${FAIL_FAST:-150}
EXTRA=(${EXTRA:-})
RECIPE=(--set schedule.epochs=30 --set augment.shift=2 --set schedule.warmup_epochs=1.0
        --set evaluate.curve_points=1)
mkdir -p "$OUT" "$RUNS"
if ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
[ -d .devdata ] && export KZOO_DATA=$PWD/.devdata
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_PREALLOCATE=false KZOO_DEBUG=1
nvidia-smi -L > "$OUT/device.txt" 2>&1
t0=$SECONDS

batch() {  # $1: backend. Returns 0 when every run finished, 1 on an early failure.
  local backend=$1 pids=() names=() head seed name out start=$SECONDS
  for head in lsoftmax softmax; do
    for seed in 0 1 2; do
      name=${head}_cnn.mnist; [ "$seed" = 0 ] || name=${name}_seed$seed
      out=$RUNS/${head}_cnn_v2gpu_seed$seed
      rm -rf "$out" "$out.backup"
      KERAS_BACKEND=$backend python3 -m kzoo.cli.main train \
        "training/configs/${head}_cnn.mnist.toml" "${RECIPE[@]}" --set seed=$seed \
        --set name=$name --out "$out" --backup-dir "$out.backup" --verbose 2 "${EXTRA[@]}" \
        > "$out.log" 2>&1 &
      pids+=($!); names+=("$out")
    done
  done
  local running=${#pids[@]} i
  while [ "$running" -gt 0 ]; do
    sleep 5; running=0
    for i in "${!pids[@]}"; do
      if kill -0 "${pids[$i]}" 2>/dev/null; then running=$((running + 1)); continue; fi
      wait "${pids[$i]}"; local rc=$?
      if [ "$rc" != 0 ]; then
        echo "$backend: ${names[$i]} exited $rc after $((SECONDS - start)) s"
        tail -30 "${names[$i]}.log"
        if [ $((SECONDS - start)) -lt "$FAIL_FAST" ]; then
          kill "${pids[@]}" 2>/dev/null; wait; return 1
        fi
      fi
      unset "pids[$i]"
    done
    if [ $((SECONDS - t0)) -gt "$DEADLINE" ]; then
      echo "deadline: stopping ${#pids[@]} unfinished runs"; kill "${pids[@]}" 2>/dev/null; wait
      return 0
    fi
  done
  return 0
}

batch jax || batch torch
echo "batch took $((SECONDS - t0)) s"
for log in "$RUNS"/*_v2gpu_seed*.log; do echo "== $log"; grep -E "^Epoch|accuracy [0-9]" "$log" | tail -3; done
tar czf "$OUT/runs.tar.gz" --exclude='*.backup' -C "$RUNS" . && ls -la "$OUT"
