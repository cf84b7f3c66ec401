"""Multi-device training (JAX, virtual CPU devices): each scenario runs in a fresh process."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

WORKER = os.path.join(os.path.dirname(__file__), "distribution_worker.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env(devices):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args, devices, timeout=240):
    subprocess.run(
        [sys.executable, WORKER, *args],
        env=_env(devices),
        check=True,
        timeout=timeout,
        capture_output=True,
    )


def test_data_parallel_and_sharded_heads_equal_one_device(tmp_path):
    out = tmp_path / "compare.json"
    _run(["compare", str(out)], devices=8)
    result = json.loads(out.read_text())
    assert result["devices"] == 8
    assert result["data"]["kernel_shard"] == [8, 64]
    assert result["sharded"]["kernel_shard"] == [8, 8]
    assert result["pattern"]["kernel_shard"] == [8, 8]  # the layer named "head", no model
    for mode in ("data", "sharded", "pattern"):
        assert abs(result[mode]["loss"] - result["loss"]) < 1e-5, result
        assert result[mode]["grad_diff"] < 1e-5, result
    # Partial FC samples per shard: 8 shards x int(0.3 * 8) classes, not int(0.3 * 64)
    assert result["sampled_shape"] == [32, 16]
    assert result["sampled_target_diff"] < 1e-4, result


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_with_keras_distribution_initialize(tmp_path):
    port = _free_port()
    outs = [tmp_path / f"process{i}.json" for i in range(2)]
    reference_out = tmp_path / "reference.json"
    argvs = [["process", str(port), str(i), str(outs[i])] for i in range(2)]
    argvs.append(["reference", str(reference_out)])
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, *argv],
            env=_env(1 if argv[0] == "reference" else 2),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for argv in argvs
    ]
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err.decode()[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    reference = json.loads(reference_out.read_text())
    for out in outs:
        result = json.loads(out.read_text())
        assert result["devices"] == 4
        assert abs(result["loss"] - reference["loss"]) < 1e-5
        for got, want in zip(result["grads"], reference["grads"], strict=True):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5)


def test_train_at_scale_example_with_sharded_sampled_head():
    script = os.path.join(ROOT, "examples", "train_at_scale.py")
    argv = [sys.executable, script, "--devices", "8", "--shard-heads", "--sample-rate", "0.1"]
    argv += ["--classes", "4000", "--dim", "16", "--steps", "3", "--batch-size", "64"]
    out = subprocess.run(
        argv, env=_env(8), check=True, timeout=240, capture_output=True, text=True
    ).stdout
    line = out.strip().splitlines()[-1]
    assert line.startswith("devices 8, head kernel (16, 4000), per-device shard (16, 500)"), line
    assert np.isfinite(float(line.rsplit(" ", 1)[1])), line


CHECKS = """
import sys
from kzoo.training import distribution, load_config
from kzoo.training.objectives import check_devices

config = load_config(None, ["devices=8", "schedule.batch_size=12"])
distribution.setup(8)
assert distribution.axis_size("batch") == 8 and distribution.axis_size("model") == 1
try:
    check_devices(config, 10)
except ValueError as error:
    print(error)
config = load_config(None, ["devices=8", "shard_heads=true"])
distribution.setup(8, shard_heads=True)
assert distribution.axis_size("batch") == 1 and distribution.axis_size("model") == 8
check_devices(config, 16)
try:
    check_devices(config, 10)
except ValueError as error:
    print(error)
"""


def test_the_engine_refuses_batches_and_class_counts_the_devices_do_not_divide():
    out = subprocess.run(
        [sys.executable, "-c", CHECKS],
        env=_env(8),
        check=True,
        timeout=240,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert out == [
        "The batch of 12 must split evenly over the 8 data-parallel devices: set "
        "`schedule.batch_size` to a multiple of 8.",
        "`shard_heads` splits the head's 10 classes over 8 devices, which must divide them: set "
        "`devices` to a divisor of 10, or `shard_heads` false.",
    ]
