"""The Python snippet of README's "Training at scale" runs (8 virtual CPU devices, JAX)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_training_at_scale_snippet_runs():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("## Training at scale", 1)[1].split("\n## ", 1)[0]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    check = (
        "\nshard = model.get_layer('head').kernel.value.addressable_shards[0].data.shape"
        "\nassert shard == (128, 12_500), shard\nprint('ok')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", snippet + check],
        env=env,
        check=True,
        timeout=240,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip().endswith("ok")
