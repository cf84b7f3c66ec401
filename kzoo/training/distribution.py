"""Multi-device training through `keras.distribution` (JAX): data parallel, sharded heads, hosts.

One device: nothing to do. N devices of one host: `setup(devices=N)` before the
model is built replicates the weights and splits each batch (data parallel);
`shard_heads=True` also splits every margin head's `(embedding_dim, num_classes)` kernel along
its class axis over a `"model"` mesh axis (InsightFace's model-parallel FC, for 10⁵-10⁷
classes), via a `LayoutMap` built from the model by `head_layout_map`. Several hosts: call
`initialize` (one process per host, `keras.distribution.initialize`) first; the device counts
are then global and each process feeds its own share of every batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import keras

from kzoo.heads.margin_head import MarginHead

MODEL_AXIS = "model"
BATCH_AXIS = "batch"
HEAD_KERNEL_PATTERN = r"(^|/)head/kernel$"


def margin_heads(model: keras.Model) -> list[MarginHead]:
    """Every `kzoo.heads.MarginHead` (any subclass) inside `model`, nested models included."""
    return [layer for layer in model._flatten_layers() if isinstance(layer, MarginHead)]


def head_layout_map(
    model: keras.Model, device_mesh: keras.distribution.DeviceMesh, model_axis: str = MODEL_AXIS
) -> keras.distribution.LayoutMap:
    """A `LayoutMap` sharding each margin head's kernel along its class axis over `model_axis`.

    Keys are the kernels' variable paths (built model), so build the model to be distributed the
    same way (same layer names) under the resulting `ModelParallel`; every other variable is
    replicated. Heads whose class count the axis does not divide are left replicated.

    Args:
        model: a built Keras model holding kzoo margin heads.
        device_mesh: the mesh, with an axis named `model_axis`.
        model_axis: the mesh axis the class axis is split over.

    Example:
    >>> mesh = keras.distribution.DeviceMesh((1, 8), ("batch", "model"))
    >>> layout_map = head_layout_map(build_model(), mesh)
    """
    if model_axis not in device_mesh.axis_names:
        raise ValueError(
            f"`model_axis` must be an axis of the mesh {device_mesh.axis_names}, "
            f"got model_axis={model_axis!r}."
        )
    shards = device_mesh.shape[list(device_mesh.axis_names).index(model_axis)]
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for head in margin_heads(model):
        if not head.built:
            raise ValueError(f"Head '{head.name}' is not built: build `model` first.")
        if head.num_classes % shards == 0:
            layout_map[f"^{re.escape(head.kernel.path)}$"] = (None, model_axis)
    return layout_map


def make_distribution(
    devices: int | Sequence[Any] | None = None,
    shard_heads: bool = False,
    model: keras.Model | Callable[[], keras.Model] | None = None,
    model_parallel: int | None = None,
    head_pattern: str = HEAD_KERNEL_PATTERN,
) -> keras.distribution.Distribution:
    """`DataParallel` over `devices`, or `ModelParallel` with the heads sharded.

    Args:
        devices: a count (the first N of `keras.distribution.list_devices()`), a list of
            device ids, or None for every device (of every process after `initialize`).
        shard_heads: shard the margin heads' class axis over a `"model"` mesh axis.
        model: with `shard_heads`, the model whose head kernels are sharded (see
            `head_layout_map`), or a function building it: it is called once, then
            `keras.backend.clear_session()` resets Keras' automatic layer names so that the
            next build has the same variable paths. None: the kernels whose variable path
            matches `head_pattern` are sharded.
        model_parallel: the `"model"` axis size (a divisor of the device count); the rest is
            the `"batch"` axis. Defaults to every device: heads split N ways, the batch axis of
            size 1.
        head_pattern: without `model`, a regular expression of the head kernels' variable
            paths; the default matches layers named `head`, as in the zoo's classifiers.
    """
    available = keras.distribution.list_devices()
    if devices is None:
        devices = available
    elif isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(available):
            raise ValueError(
                f"`devices` must be between 1 and the {len(available)} devices available, "
                f"got devices={devices}."
            )
        devices = available[:devices]
    devices = list(devices)
    if not shard_heads:
        return keras.distribution.DataParallel(devices=devices)
    parallel = len(devices) if model_parallel is None else model_parallel
    if isinstance(parallel, bool) or not isinstance(parallel, int) or len(devices) % parallel:
        raise ValueError(
            f"`model_parallel` must divide the {len(devices)} devices, got {model_parallel!r}."
        )
    mesh = keras.distribution.DeviceMesh(
        (len(devices) // parallel, parallel), (BATCH_AXIS, MODEL_AXIS), devices
    )
    if model is None:
        layout_map = keras.distribution.LayoutMap(mesh)
        layout_map[head_pattern] = (None, MODEL_AXIS)
    elif isinstance(model, keras.Model):
        layout_map = head_layout_map(model, mesh)
    else:
        layout_map = head_layout_map(model(), mesh)
        keras.backend.clear_session()
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=BATCH_AXIS)


def setup(
    devices: int | Sequence[Any] | None = None,
    shard_heads: bool = False,
    model: keras.Model | Callable[[], keras.Model] | None = None,
    model_parallel: int | None = None,
    head_pattern: str = HEAD_KERNEL_PATTERN,
) -> keras.distribution.Distribution | None:
    """`make_distribution` and `keras.distribution.set_distribution`; None for one device.

    Call it before building the model that trains (Keras lays variables out at creation), and
    not `keras.backend.clear_session()` afterwards (it resets the distribution). With
    `shard_heads`, `model` is a model of the same architecture and layer names, or a builder
    (called once here, before a `clear_session`), or None to shard the kernels of the layers
    named `head` (`head_pattern`). This is what `kzoo train --devices N --shard-heads` calls.

    Example:
    ```python
    setup(devices=8, shard_heads=True, model=build_training_model)
    model = build_training_model()  # head kernel split over 8 devices
    model.fit(...)
    ```
    """
    if devices is None:
        count = len(keras.distribution.list_devices())
    else:
        count = devices if isinstance(devices, int) else len(devices)
    if count == 1 and not shard_heads:
        return None
    distribution = make_distribution(devices, shard_heads, model, model_parallel, head_pattern)
    keras.distribution.set_distribution(distribution)
    return distribution


def axis_size(axis: str = BATCH_AXIS) -> int:
    """The size of `axis` ("batch" or "model") in the current distribution's mesh; 1 without a
    distribution or without that axis. "batch" is the distribution's batch axis, whatever its
    name (`DataParallel`'s one axis)."""
    distribution = keras.distribution.distribution()
    mesh = getattr(distribution, "device_mesh", None)
    if mesh is None:
        return 1
    if axis == BATCH_AXIS:
        axis = getattr(distribution, "batch_dim_name", None) or BATCH_AXIS
    names = list(mesh.axis_names)
    return int(mesh.shape[names.index(axis)]) if axis in names else 1


def describe(model: keras.Model | None = None) -> dict[str, Any]:
    """The current distribution as plain data (for a run's record): its devices, its mesh axes
    and, given `model`, the per-device shard shape of each margin head's kernel."""
    distribution = keras.distribution.distribution()
    mesh = getattr(distribution, "device_mesh", None)
    if mesh is None:
        return {"devices": 1}
    info: dict[str, Any] = {
        "devices": int(mesh.devices.size),
        "mesh": dict(zip(mesh.axis_names, (int(n) for n in mesh.shape), strict=True)),
    }
    for head in margin_heads(model) if model is not None else []:
        shards = getattr(head.kernel.value, "addressable_shards", None)
        if shards:
            info[f"{head.name}_kernel_shard"] = list(shards[0].data.shape)
    return info


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Joins a multi-process (multi-host) run: `keras.distribution.initialize`.

    Run one process per host with the same `coordinator_address` (`host:port` of process 0)
    and `num_processes`, and its own `process_id`; afterwards `keras.distribution.list_devices`
    lists the devices of every process. None arguments are read by Keras from
    `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
    `KERAS_DISTRIBUTION_PROCESS_ID`.
    """
    keras.distribution.initialize(coordinator_address, num_processes, process_id)
