#!/usr/bin/env bash
# Trains a batch of `kzoo train` runs side by side on one lent GPU and packs their folders.
#
#   bash training/gpu_batch.sh training/gpu/lsoftmax_mnist_30ep.txt
#
# Each line of the batch file (blank lines and `#` comments aside) is `FOLDER ARGS...`: the run
# writes `$RUNS/FOLDER` (backup beside it, log `FOLDER.log`) with `kzoo train ARGS...`. All runs
# start at once; then `$OUT/runs.tar.gz` holds every folder and log (backups left out).
#
# The device machine installs nothing: carry Keras as wheels in .whl/ (see the device tool's
# notes) and the datasets the runs read in .devdata/ (e.g. a copy of ../shared/datasets/mnist;
# both are ignored by git). Runs use the first backend of BACKENDS; when one fails within
# FAIL_FAST seconds, every run stops and the batch starts again on the next backend. At DEADLINE
# seconds unfinished runs are stopped (their logs come back).
set -uo pipefail
BATCH=${1:?usage: gpu_batch.sh BATCH_FILE}
OUT=${OUT:-/tmp/kzoo_gpu_out}
RUNS=${RUNS:-/work/runs}
DEADLINE=${DEADLINE:-520}
FAIL_FAST=${FAIL_FAST:-150}
BACKENDS=${BACKENDS:-jax torch}
mkdir -p "$OUT" "$RUNS"
if ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
[ -d .devdata ] && export KZOO_DATA=$PWD/.devdata
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 KZOO_DEBUG=1
export XLA_PYTHON_CLIENT_PREALLOCATE=false
command -v nvidia-smi > /dev/null && nvidia-smi -L > "$OUT/device.txt" 2>&1
mapfile -t LINES < <(grep -v '^\s*\(#\|$\)' "$BATCH")
t0=$SECONDS

batch() {  # $1: backend. Returns 1 when a run failed within FAIL_FAST seconds, else 0.
  local backend=$1 pids=() folders=() line folder args i rc start=$SECONDS
  for line in "${LINES[@]}"; do
    read -r -a args <<< "$line"
    folder=$RUNS/${args[0]}
    rm -rf "$folder" "$folder.backup"
    KERAS_BACKEND=$backend python3 -m kzoo.cli.main train "${args[@]:1}" --out "$folder" \
      --backup-dir "$folder.backup" --verbose 2 > "$folder.log" 2>&1 &
    pids+=($!); folders+=("$folder")
  done
  while [ ${#pids[@]} -gt 0 ]; do
    sleep 5
    for i in "${!pids[@]}"; do
      kill -0 "${pids[$i]}" 2>/dev/null && continue
      wait "${pids[$i]}"; rc=$?
      if [ "$rc" != 0 ]; then
        echo "$backend: ${folders[$i]} exited $rc after $((SECONDS - start)) s"
        tail -n 30 "${folders[$i]}.log"
        if [ $((SECONDS - start)) -lt "$FAIL_FAST" ]; then
          kill "${pids[@]}" 2>/dev/null; wait; return 1
        fi
      fi
      unset "pids[$i]"
    done
    if [ ${#pids[@]} -gt 0 ] && [ $((SECONDS - t0)) -gt "$DEADLINE" ]; then
      echo "deadline: stopping ${#pids[@]} unfinished runs"; kill "${pids[@]}" 2>/dev/null; wait
      return 0
    fi
  done
}

for backend in $BACKENDS; do batch "$backend" && break; done
echo "batch took $((SECONDS - t0)) s"
for line in "${LINES[@]}"; do
  read -r -a args <<< "$line"
  echo "== ${args[0]}"; grep -E "^Epoch|: accuracy [0-9]|error" "$RUNS/${args[0]}.log" | tail -n 3
done
cd "$RUNS" && tar czf "$OUT/runs.tar.gz" --exclude='*.backup' \
  $(for line in "${LINES[@]}"; do read -r -a args <<< "$line"; echo "${args[0]}" "${args[0]}.log"; done) \
  && ls -la "$OUT"
