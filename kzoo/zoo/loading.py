"""`kzoo.load`: an entry's model, with its verified weights (or random ones) and a fresh head."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from kzoo.heads.margin_head import MarginHead
from kzoo.hub.bundled_files import bundled_folder, has_bundle, hub_reachable
from kzoo.hub.errors import DownloadError, OfflineCacheMissError, RemoteFileError
from kzoo.hub.transport import HubFiles, fetch, is_official_endpoint, is_offline
from kzoo.models.fine_tuning import fine_tuning_model
from kzoo.models.margin_model import MarginModel
from kzoo.zoo import builders  # noqa: F401  (registers the zoo's own architectures)
from kzoo.zoo.catalogue import ManifestLike, resolve
from kzoo.zoo.errors import ManifestError, NotPublishedError
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_builder


def pinned_revision(entry: ModelEntry) -> str | None:
    """The entry's commit for the current endpoint: `hub_revision` on huggingface.co when set."""
    if entry.hub_revision and is_official_endpoint():
        return entry.hub_revision
    return entry.revision


def fetch_entry(
    entry: ModelEntry,
    revision: str | None = None,
    *,
    force_download: bool = False,
    progress: bool = True,
) -> Path:
    """Fetches and verifies the entry's files (`kzoo.hub.fetch`); returns their folder."""
    pinned = pinned_revision(entry)
    if pinned is None:
        raise NotPublishedError(
            f"{entry.key!r} has no pinned revision in the manifest yet: publish it "
            "(`kzoo publish`) or build "
            f"it with random weights (kzoo.load({entry.key!r}, pretrained=False))."
        )
    files = HubFiles(entry.repo_id, entry.files, pinned, entry.key)
    return fetch(files, revision, force_download=force_download, progress=progress)


def _check_model(model: Any, entry: ModelEntry, source: str, check_input: bool = True) -> None:
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    if len(outputs) != len(entry.outputs):
        raise ManifestError(
            f"{entry.key}: the {source} model has {len(outputs)} outputs, the manifest's `outputs` "
            f"lists {entry.outputs}."
        )
    want = tuple(entry.input.shape)
    got = tuple(model.inputs[0].shape[1:])
    if check_input and got != want:
        raise ManifestError(
            f"{entry.key}: the {source} model takes inputs {got}, the manifest says {want}."
        )
    emb = outputs[entry.outputs.index("embedding")]
    if emb.shape[-1] != entry.embedding_size:
        raise ManifestError(
            f"{entry.key}: the {source} model's embedding has size {emb.shape[-1]}, "
            f"the manifest says {entry.embedding_size}."
        )


def fetch_or_bundled(
    entry: ModelEntry,
    revision: str | None = None,
    *,
    force_download: bool = False,
    progress: bool = True,
) -> Path:
    """`fetch_entry`; when HF_ENDPOINT is unset and the Hub cannot be reached (or HF_HUB_OFFLINE
    is set and the cache misses), the pinned files from the repository's bundle in hub/."""
    try:
        return fetch_entry(entry, revision, force_download=force_download, progress=progress)
    except (DownloadError, OfflineCacheMissError, RemoteFileError) as err:
        if (
            os.environ.get("HF_ENDPOINT")
            or revision not in (None, entry.revision)
            or entry.revision is None
            or not has_bundle(entry.repo_id)
            or not (is_offline() or not hub_reachable())
        ):
            if not os.environ.get("HF_ENDPOINT"):
                raise type(err)(f"{err} {NO_ENDPOINT_HINT}") from err
            raise
    folder = bundled_folder(entry.repo_id, entry.revision, entry.files)
    print(
        f"kzoo: the Hub is unreachable and HF_ENDPOINT is unset: {entry.key} comes from the "
        f"verified copy in hub/ ({entry.repo_id}@{entry.revision[:12]}).",
        file=sys.stderr,
    )
    return folder


NO_ENDPOINT_HINT = (
    "HF_ENDPOINT is unset, so this asked huggingface.co; the zoo's repositories are in the "
    "project's hub/: run `kzoo hub serve` and export the HF_ENDPOINT it prints, or load inside "
    "`with kzoo.zoo.local_hub():`."
)


def _strip_head(model: Any, entry: ModelEntry) -> Any:
    import keras

    if len(entry.outputs) == 1:
        return model
    embedding = model.outputs[entry.outputs.index("embedding")]
    return keras.Model(model.inputs, embedding, name=f"{model.name}_embedding")


def load(
    name: str | ModelEntry,
    *,
    revision: str | None = None,
    pretrained: bool = True,
    include_head: bool = True,
    manifest: ManifestLike = None,
    force_download: bool = False,
    progress: bool = True,
    num_classes: int | None = None,
    head: str | None = None,
    head_kwargs: dict[str, Any] | None = None,
) -> Any:
    """Loads a zoo model as a Keras model, or its backbone with a fresh head to fine-tune.

    A classifier comes back as a `kzoo.models.MarginModel` (`image -> [embedding, logits]`):
    `fit(x, y)` applies its head's margin, `predict` is margin-free.

    Fine-tuning in three calls: `model = kzoo.load(name, num_classes=N)` returns the pretrained
    backbone with a new head of `N` classes (the entry's head type unless `head` is given),
    compiled with `MarginModel.compile()`'s defaults (call `compile()` again to change them);
    then `model.fit(x, y)` and `model.predict(x)`. The backbone's BatchNormalization layers stay
    trainable with momentum 0.9, so their moving statistics follow the new data (measured
    against frozen statistics in benchmarks/results/fine_tune_bn_policy.md).

    Inputs (preprocessing): float32 arrays of the entry's `input.shape`, channels last (HWC; the
    grey 28×28 models have 1 channel), `x = pixels * input.scale + input.offset`, then
    `(x - input.mean) / input.std` when those are set (`kzoo.info(name)["input"]`, or
    `kzoo info NAME`); e.g. the 28×28 zoo models take `uint8_images[..., None] / 255.0`.

    Args:
        name: `name` (its default tag) or `name.tag`, e.g. `sphereface_resnet20.fashion_mnist`;
            or an entry already resolved (`Manifest.resolve`), which is used as is.
        revision: a branch, tag or commit of the model's repository; default the manifest's pinned
            commit, whose files are checked against the manifest's sha256 values before loading.
            Another revision may take another input size than the manifest's `input` says
            (v2 of "triplet_convnet.omniglot_openset" takes 28×28 drawings, v3, pinned, 56×56).
        pretrained: False builds the same architecture with random weights, offline, from the
            manifest's `architecture` (a registered builder and its kwargs).
        include_head: False returns the embedding model only (drops the logits output).
        manifest: a `Manifest` or a path; default `$KZOO_MANIFEST` or the repository's
            `weights_manifest.json`.
        force_download: fetch again even when the cache holds the files.
        progress: show progress bars.
        num_classes: put a fresh head of this many classes on the pretrained backbone.
        head: the new head's type, one of `kzoo.models.HEADS` (default: the entry's, or
            "arcface" for an entry trained without a classifier head); needs `num_classes`.
        head_kwargs: arguments of the new head (default: the entry's when `head` is None).

    Files come through `huggingface_hub` into the standard HF cache (`HF_ENDPOINT`,
    `HF_HUB_OFFLINE`, `HF_HOME` are respected); a cached, verified copy needs no network. Loading
    uses Keras' safe mode.

    Example:
        >>> model = kzoo.load("sphereface_resnet20", include_head=False)
        >>> embeddings = model.predict(images)
    """
    import keras

    entry = resolve(name, manifest)
    if not pretrained:
        arch = entry.architecture
        model = get_builder(arch.builder)(**arch.kwargs)
        source, check_input = f"builder {arch.builder!r}", True
    else:
        folder = fetch_or_bundled(entry, revision, force_download=force_download, progress=progress)
        model = keras.saving.load_model(str(folder), compile=False, safe_mode=True)
        pinned = pinned_revision(entry)
        source = f"downloaded ({entry.repo_id}@{revision or pinned})"
        # the files' folder is named by their commit (HF snapshot or hub/ bundle copy)
        check_input = folder.name in (pinned, entry.revision)
    _check_model(model, entry, source, check_input)
    if num_classes is not None:
        return _fine_tuning(model, entry, num_classes, head, head_kwargs)
    if head is not None or head_kwargs is not None:
        raise ValueError("`head` and `head_kwargs` choose the new head: pass `num_classes` too.")
    model = _as_margin_model(model)
    return model if include_head else _strip_head(model, entry)


def _as_margin_model(model: Any) -> Any:
    names = [layer.name for layer in model.layers]
    if isinstance(model, MarginModel) or "backbone" not in names or "head" not in names:
        return model
    if not isinstance(model.get_layer("head"), MarginHead) or model.output_names != [
        "embedding",
        "logits",
    ]:
        return model
    return MarginModel.from_functional(model)


def _fine_tuning(
    model: Any,
    entry: ModelEntry,
    num_classes: int,
    head: str | None,
    head_kwargs: dict[str, Any] | None,
) -> Any:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an int >= 2, got {num_classes!r}.")
    if head is None:
        kwargs = entry.architecture.kwargs
        head = kwargs.get("head", "arcface")
        if head_kwargs is None:
            head_kwargs = kwargs.get("head_kwargs")
    new = fine_tuning_model(model, num_classes, head=head, head_kwargs=head_kwargs)
    new.compile()
    return new
